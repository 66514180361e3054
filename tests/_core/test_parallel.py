import pytest

from theorylab._core import parallel


def square(x: int) -> int:
    return x * x


def test_serial_in_order():
    assert parallel.map(square, range(6), progress=False) == [0, 1, 4, 9, 16, 25]


def test_processes_in_order():
    assert parallel.map(square, range(5), scheduler="processes", max_workers=2, progress=False) == [
        0,
        1,
        4,
        9,
        16,
    ]


def test_using_sets_default():
    with parallel.using("serial"):
        assert parallel.map(square, [3], progress=False) == [9]


def test_bad_scheduler():
    with pytest.raises(ValueError, match="scheduler must be"):
        parallel.map(square, [1, 2], scheduler="gpu-cluster", progress=False)


def test_dask_local_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        # by address (what `--scheduler tcp://...` passes) ...
        assert parallel.map(
            square, range(7), scheduler=cluster.scheduler_address, progress=False
        ) == [x * x for x in range(7)]
        # ... and by Client, closures included (Dask ships them with cloudpickle)
        with distributed.Client(cluster) as client:
            offset = 10
            out = parallel.map(lambda x: x + offset, range(4), scheduler=client, progress=False)
            assert out == [10, 11, 12, 13]


def test_torch_threads_sets_and_restores() -> None:
    import torch

    before = torch.get_num_threads()
    with parallel.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before

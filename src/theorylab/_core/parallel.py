"""``map(fn, items)`` over a sweep: in-process, on local processes, or on a Dask cluster.

The scheduler is chosen per call or, for a whole block of code (``theorylab reproduce
--scheduler ADDR``), with the :func:`using` context manager:

- ``None`` -> the current default (in-process unless :func:`using` set another);
- ``"serial"`` -> in this process, in order;
- ``"processes"`` -> a local process pool (``concurrent.futures``, spawn start method);
- ``"tcp://host:port"`` or a ``distributed.Client`` -> the Dask cluster behind it.

Results always come back in the order of ``items``. No home-made scheduler: Dask does
the distribution.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

T = TypeVar("T")
R = TypeVar("R")

_default: ContextVar[Any] = ContextVar("theorylab_scheduler", default="serial")


@contextlib.contextmanager
def using(scheduler: Any) -> Iterator[None]:
    """Make ``scheduler`` the default of :func:`map` inside the ``with`` block."""
    token = _default.set("serial" if scheduler is None else scheduler)
    try:
        yield
    finally:
        _default.reset(token)


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the ``with`` block with ``torch.set_num_threads(n)``, restoring the previous count
    (small-tensor studies run faster on one thread than with OpenMP hand-offs)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _progress(enabled: bool, total: int, label: str) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled or total < 2,
        transient=True,
    )


def _client(scheduler: Any) -> tuple[Any, bool]:
    """A ``distributed.Client`` for ``scheduler`` and whether we own (must close) it."""
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "a Dask scheduler was given but dask.distributed is not installed; "
            "pip install 'theorylab[distributed]'"
        ) from exc
    if isinstance(scheduler, Client):
        return scheduler, False
    return Client(scheduler, timeout="20s"), True


def map(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    scheduler: Any = None,
    progress: bool = True,
    label: str = "running",
    max_workers: int | None = None,
) -> list[R]:
    """``[fn(x) for x in items]``, in order, on the chosen scheduler (see module docstring).

    ``fn`` must be picklable for ``"processes"`` (a module-level function); Dask uses
    cloudpickle and also takes closures. ``progress`` shows a rich progress bar.
    """
    items = list(items)
    if scheduler is None:
        scheduler = _default.get()
    if not callable(fn):
        raise TypeError(f"fn must be callable; got {type(fn).__name__}")
    with _progress(progress, len(items), label) as bar:
        task = bar.add_task(label, total=len(items))
        if scheduler == "serial":
            out = []
            for item in items:
                out.append(fn(item))
                bar.advance(task)
            return out
        if scheduler == "processes":
            workers = max_workers or min(len(items), os.cpu_count() or 1) or 1
            ctx = multiprocessing.get_context("spawn")
            with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
                results: list[Any] = [None] * len(items)
                for fut in cf.as_completed(futures):
                    results[futures[fut]] = fut.result()
                    bar.advance(task)
            return results
        if isinstance(scheduler, str) and not scheduler.startswith(
            ("tcp://", "tls://", "inproc://", "ucx://")
        ):
            raise ValueError(
                "scheduler must be None, 'serial', 'processes', a Dask address such as "
                f"'tcp://host:8786', or a distributed.Client; got {scheduler!r}"
            )
        client, owned = _client(scheduler)
        try:
            from distributed import as_completed

            futures = client.map(fn, items, pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            results = [None] * len(items)
            for fut in as_completed(futures):
                results[index[fut.key]] = fut.result()
                bar.advance(task)
            return results
        finally:
            if owned:
                client.close()


__all__ = ["map", "torch_threads", "using"]

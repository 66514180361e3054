"""theorylab.perturbed.warcraft: shapes, determinism per seed, the hidden costs and optimal
labels (checked by a second algorithm), the CNN, the accuracy metric and bad input."""

from __future__ import annotations

import inspect
import json
import re

import numpy as np
import pytest
import torch

import theorylab.perturbed as P
from theorylab.perturbed import solvers, warcraft
from theorylab.perturbed.warcraft import TERRAIN, CostNet, WarcraftMaps, warcraft_maps

CITATION = re.compile(r"\b[A-Z][\w\-'’]+.{0,120}?\b(19|20)\d\d\b|this library", re.S)


@pytest.fixture(scope="module")
def maps() -> WarcraftMaps:
    return warcraft_maps(12, grid=6, pixels=3, seed=3)


def test_shapes_dtypes_and_frozen_result(maps: WarcraftMaps) -> None:
    assert len(maps) == 12
    assert maps.images.shape == (12, 3, 18, 18) and maps.images.dtype == torch.float32
    assert float(maps.images.min()) >= 0.0 and float(maps.images.max()) <= 1.0
    for t in (maps.costs, maps.paths):
        assert t.shape == (12, 6, 6) and t.dtype == torch.float32
    assert maps.optimal.shape == (12,) and maps.types.dtype == torch.int64
    with pytest.raises(AttributeError):
        maps.costs = maps.paths  # type: ignore[misc]
    d = maps.to_dict()
    assert set(d) == {"images", "costs", "paths", "optimal", "types"}
    json.dumps(d)
    assert np.array(d["types"]).shape == (12, 6, 6)


def test_hidden_costs_and_optimal_labels(maps: WarcraftMaps) -> None:
    table = torch.tensor([t.cost for t in TERRAIN])
    assert torch.equal(maps.costs, table[maps.types])
    assert [t.cost for t in TERRAIN] == [0.8, 1.2, 5.3, 7.7, 9.2]  # Warcraft's cost levels
    # labels are paths from the top-left to the bottom-right cell ...
    assert bool((maps.paths[:, 0, 0] == 1).all() and (maps.paths[:, -1, -1] == 1).all())
    assert set(maps.paths.unique().tolist()) <= {0.0, 1.0}
    # ... and optimal: SciPy's Dijkstra (a second algorithm) finds the same costs
    dj = solvers.GridShortestPath("dijkstra")(maps.costs)
    assert torch.allclose((dj * maps.costs).sum((1, 2)), maps.optimal)
    assert torch.allclose((maps.paths * maps.costs).sum((1, 2)), maps.optimal)


def test_pixels_show_the_terrain_colour() -> None:
    m = warcraft_maps(3, grid=5, pixels=4, pixel_noise=0.0, seed=0)
    colours = torch.tensor([t.colour for t in TERRAIN], dtype=torch.float32)
    # flat-texture cells (grass, sand) are their colour times the per-map brightness jitter
    img = m.images.permute(0, 2, 3, 1).reshape(3, 5, 4, 5, 4, 3)[:, :, 1, :, 1]  # (3, 5, 5, 3)
    want = colours[m.types]
    ratio = img / want
    flat = (m.types == 0) | (m.types == 2)
    for k in range(3):
        r = ratio[k][flat[k]]
        assert float(r.min()) > 0.84 and float(r.max()) < 1.16
        assert float(r.max() - r.min()) < 1e-5  # one jitter factor per map


def test_same_seed_same_maps_other_seed_other_maps(maps: WarcraftMaps) -> None:
    again = warcraft_maps(12, grid=6, pixels=3, seed=3)
    assert all(torch.equal(getattr(maps, f), getattr(again, f)) for f in ("images", "types"))
    other = warcraft_maps(12, grid=6, pixels=3, seed=4)
    assert not torch.equal(maps.types, other.types)
    a = warcraft_maps(2, grid=4, seed=np.random.default_rng(5))
    b = warcraft_maps(2, grid=4, seed=np.random.default_rng(5))
    assert torch.equal(a.images, b.images)


def test_costnet_outputs_seeding_and_global_state() -> None:
    x = warcraft_maps(4, grid=5, pixels=4, seed=1).images
    net = CostNet(pixels=4, hidden=8, seed=0)
    out = net(x)
    assert out.shape == (4, 5, 5) and bool((out > 0.05).all())
    same = CostNet(pixels=4, hidden=8, seed=0)
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), same.parameters(), strict=True))
    state = torch.random.get_rng_state()
    CostNet(seed=torch.Generator().manual_seed(2))
    assert torch.equal(state, torch.random.get_rng_state())  # global RNG untouched
    # an int seed initialises as torch.manual_seed(seed) followed by the layers would
    torch.manual_seed(7)
    ref = CostNet(4, 8)
    assert all(
        torch.equal(p, q)
        for p, q in zip(ref.parameters(), CostNet(4, 8, seed=7).parameters(), strict=True)
    )


def test_path_accuracy_of_the_true_costs_is_one(maps: WarcraftMaps) -> None:
    class Oracle(torch.nn.Module):
        def forward(self, images: torch.Tensor) -> torch.Tensor:
            return maps.costs

    assert warcraft.path_accuracy(Oracle(), maps) == 1.0
    # constant costs give the straight diagonal, optimal only on some maps
    flat = warcraft.path_accuracy(lambda x: torch.ones(len(x), 6, 6), maps)
    diag = torch.eye(6).expand(12, 6, 6)
    assert flat == float(
        ((diag * maps.costs).sum((1, 2)) <= maps.optimal * (1 + 1e-5)).float().mean()
    )


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n": 0}, ValueError, "n must be >= 1"),
        ({"n": 2.5}, TypeError, "n must be an int"),
        ({"grid": 1}, ValueError, "grid must be >= 2"),
        ({"pixels": 0}, ValueError, "pixels must be >= 1"),
        ({"pixel_noise": -0.1}, ValueError, "pixel_noise must be >= 0"),
        ({"pixel_noise": float("nan")}, ValueError, "pixel_noise must be finite"),
        ({"seed": -1}, ValueError, "seed must be a non-negative int"),
        ({"seed": "x"}, TypeError, "seed must be an int"),
    ],
)
def test_bad_input(kwargs, exc, match) -> None:
    args = {"n": 2, "grid": 4, **kwargs}
    with pytest.raises(exc, match=match):
        warcraft_maps(args.pop("n"), **args)


def test_bad_model_input() -> None:
    with pytest.raises(ValueError, match="hidden must be >= 1"):
        CostNet(4, 0)
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        CostNet(seed=-2)
    with pytest.raises(TypeError, match="maps must be a WarcraftMaps"):
        warcraft.path_accuracy(CostNet(), {"images": None})
    with pytest.raises(TypeError, match="model must be callable"):
        warcraft.path_accuracy(3, warcraft_maps(1, grid=3, seed=0))


def test_public_names_document_their_source_and_take_seed() -> None:
    # the module is in theorylab.perturbed.__all__; its own names follow the contract too
    for name in warcraft.__all__:
        obj = getattr(warcraft, name)
        if callable(obj):
            assert CITATION.search(inspect.getdoc(obj) or ""), name
    for fn in (warcraft.warcraft_maps, CostNet.__init__):
        assert inspect.signature(fn).parameters["seed"].default is None
    assert P.warcraft_maps is warcraft_maps and P.CostNet is CostNet

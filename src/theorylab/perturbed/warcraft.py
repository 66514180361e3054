"""Warcraft-like shortest-path maps, generated locally, and a small CNN that predicts their
cell costs (the Warcraft shortest-path task of Vlastelica, Paulus, Musil, Martius, Rolínek,
ICLR 2020, on which Berthet, Blondel, Teboul, Cuturi, Vert, Bach, NeurIPS 2020, train through
the perturbed shortest path).

The real task uses Warcraft II terrain tiles; here, so that nothing is downloaded, a map is a
grid of five terrain types (:data:`TERRAIN`: a hidden cost, a colour and a texture each), drawn
as the argmax over the types of smooth random fields so that terrain comes in patches, and
rendered as a small noisy RGB image. The label of a map is the cheapest 8-neighbour path from
the top-left to the bottom-right cell under the hidden costs
(:data:`~theorylab.perturbed.solvers.shortest_path_grid`).

Example::

    from theorylab.perturbed import warcraft

    train = warcraft.warcraft_maps(600, grid=8, seed=0)     # images, costs, paths, ...
    model = warcraft.CostNet(pixels=4, hidden=16, seed=1)   # image -> (8, 8) positive costs
    warcraft.path_accuracy(model, train)                    # fraction of optimal paths
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from theorylab._core.results import Result
from theorylab._core.rng import SeedLike, as_generator, as_torch_generator, spawn_seeds
from theorylab._core.validation import check_int, check_real
from theorylab.perturbed import solvers


class Terrain(NamedTuple):
    """One terrain type: its name, hidden cost, RGB colour and texture (0 flat, 1 dots,
    2 stripes); this library's stand-in for a Warcraft tile."""

    name: str
    cost: float
    colour: tuple[float, float, float]
    texture: int


# the Warcraft maps' cost levels (Vlastelica et al. 2020), one per terrain type
TERRAIN: tuple[Terrain, ...] = (
    Terrain("grass", 0.8, (0.40, 0.62, 0.28), 0),
    Terrain("forest", 1.2, (0.22, 0.45, 0.20), 1),
    Terrain("sand", 5.3, (0.72, 0.64, 0.42), 0),
    Terrain("water", 7.7, (0.22, 0.38, 0.70), 2),
    Terrain("rock", 9.2, (0.48, 0.46, 0.44), 1),
)
# log-odds offsets of the terrain types: cheap terrain is more frequent
_TERRAIN_BIAS = (0.6, 0.3, 0.0, -0.1, -0.2)


@dataclass(frozen=True, slots=True)
class WarcraftMaps(Result):
    """``n`` Warcraft-like maps (:func:`warcraft_maps`; this library's data set).

    - ``images``: ``(n, 3, grid * pixels, grid * pixels)`` float32 RGB in ``[0, 1]``;
    - ``costs``: ``(n, grid, grid)`` float32 hidden cell costs (from :data:`TERRAIN`);
    - ``paths``: ``(n, grid, grid)`` float32 0/1 cells of the cheapest 8-neighbour path from
      the top-left to the bottom-right cell;
    - ``optimal``: ``(n,)`` float32 cost of that path;
    - ``types``: ``(n, grid, grid)`` int64 terrain type indices into :data:`TERRAIN`.
    """

    images: torch.Tensor
    costs: torch.Tensor
    paths: torch.Tensor
    optimal: torch.Tensor
    types: torch.Tensor

    def __len__(self) -> int:
        return int(self.types.shape[0])


def warcraft_maps(
    n: int,
    *,
    grid: int = 12,
    pixels: int = 4,
    pixel_noise: float = 0.12,
    seed: SeedLike = None,
) -> WarcraftMaps:
    """``n`` random Warcraft-like maps of ``grid x grid`` cells, each cell drawn as a
    ``pixels x pixels`` block, with their hidden costs and optimal paths (the Warcraft
    shortest-path task of Vlastelica et al. 2020, generated locally; this library's data set).

    The terrain is the argmax over the five types of bilinearly upsampled coarse Gaussian
    fields plus fine noise; the image has a per-map brightness jitter and per-pixel Gaussian
    noise of standard deviation ``pixel_noise``. The same ``seed`` gives the same maps.
    """
    n = check_int(n, "n", min_value=1)
    grid = check_int(grid, "grid", min_value=2)
    pixels = check_int(pixels, "pixels", min_value=1)
    pixel_noise = check_real(pixel_noise, "pixel_noise", min_value=0.0)
    seed_map, seed_img = spawn_seeds(seed, 2)
    types = _terrain_types(n, grid, seed_map)
    costs = torch.tensor(np.array([t.cost for t in TERRAIN])[types], dtype=torch.float32)
    paths = solvers.shortest_path_grid(costs)
    return WarcraftMaps(
        images=torch.from_numpy(_render(types, pixels, pixel_noise, seed_img)),
        costs=costs,
        paths=paths,
        optimal=(paths * costs).sum(dim=(1, 2)),
        types=torch.from_numpy(types),
    )


def _terrain_types(n: int, grid: int, seed: int) -> np.ndarray:
    """``(n, grid, grid)`` terrain type indices: the argmax over the types of smooth random
    fields (bilinear upsampling of coarse Gaussian noise), so that terrain comes in patches."""
    gen = as_torch_generator(seed)
    coarse = max(2, grid // 3)
    fields = torch.randn(n, len(TERRAIN), coarse, coarse, generator=gen, dtype=torch.float64)
    fine = F.interpolate(fields, size=(grid, grid), mode="bilinear", align_corners=True)
    fine = fine + 0.3 * torch.randn(fine.shape, generator=gen, dtype=torch.float64)
    bias = torch.tensor(_TERRAIN_BIAS, dtype=torch.float64).view(1, -1, 1, 1)
    return (fine + bias).argmax(dim=1).numpy()


def _render(types: np.ndarray, pixels: int, noise: float, seed: int) -> np.ndarray:
    """RGB images ``(n, 3, grid * pixels, grid * pixels)`` of the maps: each cell a
    ``pixels x pixels`` block in its terrain's colour and texture, with per-map brightness
    jitter and per-pixel Gaussian noise."""
    rng = as_generator(seed)
    n, g, _ = types.shape
    colours = np.array([t.colour for t in TERRAIN])
    textures = np.array([t.texture for t in TERRAIN])
    img = colours[types]  # (n, g, g, 3)
    img = np.repeat(np.repeat(img, pixels, axis=1), pixels, axis=2)
    yy, xx = np.mgrid[0 : g * pixels, 0 : g * pixels]
    tex = np.repeat(np.repeat(textures[types], pixels, axis=1), pixels, axis=2)
    dots = ((yy % 2 == 0) & (xx % 2 == 0))[None] & (tex == 1)
    stripes = ((yy + xx) % 3 == 0)[None] & (tex == 2)
    img = img * np.where(dots | stripes, 0.7, 1.0)[..., None]
    img = img * rng.uniform(0.85, 1.15, size=(n, 1, 1, 1))
    img = img + noise * rng.normal(size=img.shape)
    return np.clip(img, 0, 1).transpose(0, 3, 1, 2).astype(np.float32)


class CostNet(torch.nn.Module):
    """Image ``(B, 3, g p, g p)`` -> positive cell costs ``(B, g, g)``: a ``p x p``
    stride-``p`` convolution per cell, a residual 3x3 convolution for context, a 1x1 read-out
    and ``softplus + 0.05`` (this library's small stand-in for the CNNs of the Warcraft task,
    Vlastelica et al. 2020 and Berthet et al. 2020).

    ``seed`` initialises the weights without touching torch's global random state; with
    ``seed=None`` they come from torch's global generator, as for any torch module.
    """

    def __init__(self, pixels: int = 4, hidden: int = 16, *, seed: SeedLike = None) -> None:
        super().__init__()
        pixels = check_int(pixels, "pixels", min_value=1)
        hidden = check_int(hidden, "hidden", min_value=1)
        with _seeded_init(seed):
            self.cell = torch.nn.Conv2d(3, hidden, pixels, stride=pixels)
            self.context = torch.nn.Conv2d(hidden, hidden, 3, padding=1)
            self.out = torch.nn.Conv2d(hidden, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Cell costs ``(B, g, g)``, each ``> 0.05``."""
        h = F.relu(self.cell(x))
        h = F.relu(self.context(h)) + h
        return F.softplus(self.out(h)).squeeze(1) + 0.05


@contextlib.contextmanager
def _seeded_init(seed: SeedLike) -> Iterator[None]:
    """Inside, torch's global CPU generator is seeded from ``seed``; it is restored on exit
    (``None``: the global generator as it is)."""
    if seed is None:
        yield
        return
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        as_torch_generator(seed)  # validates (ValueError naming seed)
        value = int(seed)
    else:
        value = int(as_generator(seed).integers(0, 2**63 - 1))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(value)
        yield


def path_accuracy(model: torch.nn.Module, maps: WarcraftMaps) -> float:
    """Fraction of ``maps`` whose path under the costs ``model(maps.images)`` is optimal for the
    hidden costs (equally cheap paths count as correct): the perfect-path accuracy of the
    Warcraft task (Vlastelica et al. 2020; Berthet et al. 2020)."""
    if not callable(model):
        raise TypeError(f"model must be callable images -> costs; got {type(model).__name__}")
    if not isinstance(maps, WarcraftMaps):
        raise TypeError(f"maps must be a WarcraftMaps; got {type(maps).__name__}")
    with torch.no_grad():
        pred = solvers.shortest_path_grid(model(maps.images))
    cost = (pred * maps.costs).sum(dim=(1, 2))
    return float((cost <= maps.optimal * (1 + 1e-5)).float().mean())


__all__ = ["TERRAIN", "CostNet", "Terrain", "WarcraftMaps", "path_accuracy", "warcraft_maps"]

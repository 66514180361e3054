"""Batched discrete solvers ``theta -> y*(theta)`` for :func:`~theorylab.perturbed.perturbed`.

Every solver maps a tensor of shape ``(*batch, *event)`` to a tensor of the same shape: the
solution ``y*(theta)``, a vertex of the polytope ``C`` (Berthet et al. 2020, §2). The number of
trailing *event* dimensions is the solver's ``event_dims`` (1 for vectors, 2 for grids and
matrices). ``maximize`` says whether the solver maximises ``<y, theta>`` (argmax, top-k, ranks,
assignment, LP) or minimises it (shortest paths, whose ``theta`` are non-negative costs).

- :data:`argmax`: one-hot vector of the largest entry (simplex).
- :func:`top_k`: 0/1 mask of the ``k`` largest entries.
- :data:`ranks`: ranks ``1..d`` (the largest entry gets ``d``; permutohedron).
- :data:`sort`: the entries in increasing order.
- :data:`shortest_path_grid`: 0/1 indicator of the vertices of the cheapest 8-neighbour path
  from the top-left to the bottom-right cell of a vertex-cost grid (the Warcraft maps of
  Vlastelica et al. 2020 and Berthet et al. 2020, §5.3).
- :func:`shortest_path`: 0/1 indicator of the edges of a shortest path in any graph with
  non-negative edge costs.
- :data:`assignment`: the permutation matrix of a maximum-weight assignment.
- :func:`lp`: a vertex of ``{x : A x <= b, bounds}`` maximising ``<theta, x>`` (HiGHS).

CPU-bound steps run in NumPy/SciPy where they are faster than PyTorch (sorting many short rows:
NumPy's SIMD sort), and in PyTorch elsewhere, so that CUDA tensors stay on the device.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.optimize
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from scipy.sparse.csgraph import dijkstra

from theorylab._core.validation import check_choice, check_int


class Solver:
    """Base class of the built-in solvers: ``solver(theta)`` on any leading batch shape
    (this library's solver protocol).

    Subclasses implement ``_solve(theta)`` on a tensor of shape ``(N, *event)``. Solvers are
    picklable, so that ``perturbed(..., workers=k)`` can ship them to worker processes.
    """

    event_dims: int = 1
    maximize: bool = True
    name: str = "solver"

    def __call__(self, theta: torch.Tensor) -> torch.Tensor:
        if not isinstance(theta, torch.Tensor):
            theta = torch.as_tensor(np.asarray(theta, dtype=np.float64))
        if theta.ndim < self.event_dims:
            raise ValueError(
                f"theta must have at least {self.event_dims} dimension(s) for {self.name}; "
                f"got shape {tuple(theta.shape)}"
            )
        if not theta.is_floating_point():
            theta = theta.to(torch.get_default_dtype())
        event = tuple(theta.shape[theta.ndim - self.event_dims :])
        batch = tuple(theta.shape[: theta.ndim - self.event_dims])
        flat = theta.detach().reshape(-1, *event).contiguous()
        if flat.shape[0] == 0:
            return torch.zeros_like(theta)
        self._check(flat)
        return self._solve(flat).to(theta.dtype).reshape(*batch, *event)

    def _check(self, theta: torch.Tensor) -> None:
        """Validate a flat batch ``(N, *event)`` (shapes, signs); raise ``ValueError``."""

    def _solve(self, theta: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _one_hot_at(theta: torch.Tensor, index: torch.Tensor, value: Any = 1.0) -> torch.Tensor:
    out = torch.zeros_like(theta)
    return out.scatter_(-1, index, value)


class Argmax(Solver):
    """One-hot encoding of ``argmax_i theta_i``: the argmax of ``<y, theta>`` over the
    simplex's vertices (Berthet et al. 2020, §2)."""

    name = "argmax"

    @staticmethod
    def _index(theta: torch.Tensor) -> torch.Tensor:
        if _numpy_ok(theta):  # NumPy's SIMD argmax: about 3x torch's on CPU
            return torch.from_numpy(np.argmax(theta.numpy(), axis=-1)[:, None])
        return theta.argmax(dim=-1, keepdim=True)

    def _solve(self, theta: torch.Tensor) -> torch.Tensor:
        return _one_hot_at(theta, self._index(theta))

    def _sparse(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(index, value)`` of the solution rows ``(N, 1)``: the one-hot's position."""
        index = self._index(theta)
        return index, torch.ones(index.shape, dtype=theta.dtype, device=theta.device)


class TopK(Solver):
    """0/1 mask of the ``k`` largest entries: the argmax of ``<y, theta>`` over
    ``{y in [0, 1]^d : sum y = k}`` (this library's solver, one ``torch.topk``)."""

    name = "top_k"

    def __init__(self, k: int) -> None:
        self.k = check_int(k, "k", min_value=1)

    def _check(self, theta: torch.Tensor) -> None:
        if self.k > theta.shape[-1]:
            raise ValueError(f"k must be <= the dimension {theta.shape[-1]} of theta; got {self.k}")

    def _solve(self, theta: torch.Tensor) -> torch.Tensor:
        return _one_hot_at(theta, theta.topk(self.k, dim=-1, sorted=False).indices)

    def _sparse(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(index, value)`` of the solution rows ``(N, k)``: the mask's positions."""
        self._check(theta)
        index = theta.topk(self.k, dim=-1, sorted=False).indices
        return index, torch.ones(index.shape, dtype=theta.dtype, device=theta.device)

    def __repr__(self) -> str:
        return f"TopK(k={self.k})"


def top_k(k: int) -> TopK:
    """The solver ``theta -> 0/1 mask of the k largest entries`` (see :class:`TopK`;
    this library)."""
    return TopK(k)


def _numpy_ok(theta: torch.Tensor) -> bool:
    return theta.device.type == "cpu" and theta.dtype in (torch.float32, torch.float64)


def _argsort(theta: torch.Tensor) -> torch.Tensor:
    """Row-wise argsort (increasing); NumPy's SIMD sort on CPU (about 6x faster than torch's
    for many short rows), torch elsewhere."""
    if _numpy_ok(theta):
        return torch.from_numpy(np.argsort(theta.numpy(), axis=-1))
    return torch.argsort(theta, dim=-1)


class Ranks(Solver):
    """Ranks ``1..d`` in increasing order of ``theta`` (the largest entry gets ``d``): the
    argmax of ``<y, theta>`` over the permutohedron ``conv{permutations of (1, ..., d)}``
    (Berthet et al. 2020, §5.2). One argsort plus a scatter."""

    name = "ranks"

    def _solve(self, theta: torch.Tensor) -> torch.Tensor:
        order = _argsort(theta)
        d = theta.shape[-1]
        values = torch.arange(1, d + 1, dtype=theta.dtype, device=theta.device).expand_as(theta)
        return torch.empty_like(theta).scatter_(-1, order, values)


class Sort(Solver):
    """The entries of ``theta`` in increasing order (this library's solver; NumPy's SIMD sort
    on CPU)."""

    name = "sort"

    def _solve(self, theta: torch.Tensor) -> torch.Tensor:
        if _numpy_ok(theta):
            return torch.from_numpy(np.sort(theta.numpy(), axis=-1))
        return torch.sort(theta, dim=-1).values


def _path_indicator(
    pred: torch.Tensor, source: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """0/1 indicator ``(N, V)`` of the nodes on the ``source -> target`` path of each
    predecessor tree ``pred`` (``(N, V)``; the source and unreached nodes point to themselves),
    walking back from the targets of all instances at once; and whether each target reached
    its source."""
    n, v = pred.shape
    on = torch.zeros((n, v), dtype=torch.float32, device=pred.device)
    cur = target.view(n, 1)
    src = source.view(n, 1)
    on.scatter_(1, cur, 1.0)
    for _ in range(v):
        if bool((cur == src).all()):
            break
        cur = pred.gather(1, cur)
        on.scatter_(1, cur, 1.0)
    return on, (cur == src).view(n)


def _check_costs(theta: torch.Tensor, what: str) -> None:
    """Shortest paths need finite, non-negative costs."""
    if not bool(torch.isfinite(theta).all()):
        raise ValueError("theta must be finite; it contains NaN or infinite costs")
    if bool((theta < 0).any()):
        raise ValueError(
            f"theta must be non-negative {what}; use mode='multiplicative' in perturbed() "
            "to keep perturbed costs non-negative"
        )


def _min3x3(dist: torch.Tensor) -> torch.Tensor:
    """Minimum over each cell's 3x3 neighbourhood (itself included) of ``(N, H, W)``, padded
    with +inf: two separable passes of elementwise minima (far faster than ``max_pool2d`` on
    many small single-channel images)."""
    p = F.pad(dist, (1, 1, 1, 1), value=math.inf)
    r = torch.minimum(torch.minimum(p[:, :, :-2], p[:, :, 1:-1]), p[:, :, 2:])
    return torch.minimum(torch.minimum(r[:, :-2], r[:, 1:-1]), r[:, 2:])


def _grid_predecessors(dist: torch.Tensor, stamp: torch.Tensor | None, s: int) -> torch.Tensor:
    """Predecessor ``(N, H*W)`` of every cell in the shortest-path tree given by converged
    distances ``dist``: the neighbour of least distance. With zero costs, ties are broken by the
    earliest sweep at which that distance was reached (``stamp``), which keeps the tree acyclic.
    The source points to itself. A running minimum over the 8 shifts (no stacked copies)."""
    n, h, w = dist.shape
    shifts = [(a, b) for a in range(3) for b in range(3) if (a, b) != (1, 1)]
    pd = F.pad(dist, (1, 1, 1, 1), value=math.inf)
    ps = None if stamp is None else F.pad(stamp, (1, 1, 1, 1), value=math.inf)
    best = torch.full_like(dist, math.inf)
    best_stamp = None if stamp is None else torch.full_like(dist, math.inf)
    k = torch.zeros(dist.shape, dtype=torch.long, device=dist.device)
    for j, (a, b) in enumerate(shifts):
        d = pd[:, a : a + h, b : b + w]
        take = d < best
        if ps is not None and best_stamp is not None:
            st = ps[:, a : a + h, b : b + w]
            take |= (d == best) & (st < best_stamp)
            best_stamp = torch.where(take, st, best_stamp)
        best = torch.where(take, d, best)
        k.masked_fill_(take, j)
    offsets = torch.tensor([(a - 1) * w + (b - 1) for a, b in shifts], device=dist.device)
    pred = torch.arange(h * w, device=dist.device) + offsets[k.view(n, h * w)]
    pred[:, s] = s
    return pred


class GridShortestPath(Solver):
    """Cheapest 8-neighbour path on a vertex-cost grid, as a 0/1 ``(H, W)`` indicator.

    ``theta`` has shape ``(*batch, H, W)`` and holds non-negative vertex costs; a path's cost is
    the sum of the costs of its cells, both ends included (the Warcraft shortest-path task of
    Vlastelica et al. 2020, used by Berthet et al. 2020, §5.3). ``source`` and ``target`` are
    ``(row, col)`` cells (negative indices count from the end); by default the top-left and the
    bottom-right corners.

    ``method``:

    - ``"bellman-ford"``: min-plus relaxation of all cells of all instances at once
      (``D <- min(D, c + min over the 3x3 neighbourhood of D)``, a few elementwise minima per
      sweep), until no distance changes; then each cell's predecessor is its cheapest
      neighbour. Runs on ``theta``'s device.
    - ``"dijkstra"``: SciPy's Dijkstra, once, on the block-diagonal graph of the whole batch
      (``min_only=True`` with one source per block).
    - ``"auto"`` (default): Bellman-Ford (it measured faster on 12x12 batches; see
      ``benchmarks/perturbed.py``).

    Both return the same path up to ties between equally cheap paths.
    """

    event_dims = 2
    maximize = False
    name = "shortest_path_grid"

    def __init__(
        self,
        method: str = "auto",
        *,
        source: tuple[int, int] = (0, 0),
        target: tuple[int, int] = (-1, -1),
    ) -> None:
        self.method = check_choice(method, "method", ("auto", "bellman-ford", "dijkstra"))
        self.source = tuple(check_int(s, "source") for s in source)
        self.target = tuple(check_int(t, "target") for t in target)
        if len(self.source) != 2 or len(self.target) != 2:
            raise ValueError("source and target must be (row, col) pairs")

    def _cells(self, h: int, w: int) -> tuple[int, int]:
        out = []
        for name, (r, c) in (("source", self.source), ("target", self.target)):
            if not (-h <= r < h and -w <= c < w):
                raise ValueError(f"{name} {(r, c)} is outside the {h}x{w} grid")
            out.append((r % h) * w + (c % w))
        return out[0], out[1]

    def _check(self, theta: torch.Tensor) -> None:
        _check_costs(theta, "vertex costs for shortest_path_grid")

    def _solve(self, theta: torch.Tensor) -> torch.Tensor:
        n, h, w = theta.shape
        s, t = self._cells(h, w)
        if self.method == "dijkstra":
            pred = self._dijkstra(theta, s)
        else:
            pred = self._bellman_ford(theta, s)
        ends = torch.full((2, n), s, dtype=torch.long, device=pred.device)
        ends[1] = t
        on, _ = _path_indicator(pred, ends[0], ends[1])
        return on.to(theta.device).reshape(n, h, w)

    @staticmethod
    def _bellman_ford(theta: torch.Tensor, s: int) -> torch.Tensor:
        n, h, w = theta.shape
        dist = torch.full_like(theta, math.inf).view(n, h * w)
        dist[:, s] = theta.view(n, h * w)[:, s]
        dist = dist.view(n, h, w)
        # sweep at which each distance last dropped (the source's is 0): only needed to break
        # ties between equally distant neighbours when some costs are exactly 0
        track = bool((theta == 0).any())
        stamp = torch.zeros_like(theta) if track else None
        for sweep in range(1, h * w + 1):
            cand = _min3x3(dist).add_(theta)
            better = cand < dist
            if not bool(better.any()):
                break
            dist = torch.minimum(cand, dist, out=cand)
            if stamp is not None:
                stamp = torch.where(better, float(sweep), stamp)
        return _grid_predecessors(dist, stamp, s)

    @staticmethod
    def _grid_edges(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
        r, c = np.divmod(np.arange(h * w), w)
        src, dst = [], []
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                if dr == 0 and dc == 0:
                    continue
                ok = (r + dr >= 0) & (r + dr < h) & (c + dc >= 0) & (c + dc < w)
                src.append(np.flatnonzero(ok))
                dst.append((r[ok] + dr) * w + c[ok] + dc)
        return np.concatenate(src), np.concatenate(dst)

    def _dijkstra(self, theta: torch.Tensor, s: int) -> torch.Tensor:
        n, h, w = theta.shape
        src, dst = self._grid_edges(h, w)
        costs = theta.detach().cpu().numpy().reshape(n, h * w).astype(np.float64)
        # edge u -> v costs c(v); the source's own cost is the same for every path
        return _batched_dijkstra(costs[:, dst], src, dst, h * w, np.full(n, s)).to(theta.device)

    def __repr__(self) -> str:
        return f"GridShortestPath(method={self.method!r})"


def _batched_dijkstra(
    weights: np.ndarray, src: np.ndarray, dst: np.ndarray, n_nodes: int, sources: np.ndarray
) -> torch.Tensor:
    """Predecessors ``(N, n_nodes)`` (roots and unreached nodes point to themselves) of N
    shortest-path trees on one graph with per-instance edge weights ``(N, E)``, from one SciPy
    Dijkstra call on the block-diagonal graph of all instances."""
    n = weights.shape[0]
    offsets = (np.arange(n) * n_nodes)[:, None]
    rows = (src[None, :] + offsets).ravel()
    cols = (dst[None, :] + offsets).ravel()
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(n * n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n * n_nodes), out=indptr[1:])
    graph = sp.csr_matrix(
        (weights.ravel()[order], cols[order], indptr), shape=(n * n_nodes, n * n_nodes)
    )
    _, pred, _ = dijkstra(
        graph, indices=sources + offsets.ravel(), return_predecessors=True, min_only=True
    )
    pred = pred.astype(np.int64)
    own = np.arange(n * n_nodes)
    pred = np.where(pred < 0, own, pred) - np.repeat(offsets.ravel(), n_nodes)
    return torch.from_numpy(pred.reshape(n, n_nodes))


class ShortestPath(Solver):
    """Shortest ``source -> target`` path in a fixed graph with non-negative edge costs
    ``theta`` of shape ``(*batch, E)``, as a 0/1 indicator of its edges (the path polytope of
    Berthet et al. 2020, §5). One SciPy Dijkstra call on the block-diagonal graph of the whole
    batch. Build it with :func:`shortest_path`."""

    maximize = False
    name = "shortest_path"

    def __init__(
        self, edges: np.ndarray, n_nodes: int, source: int, target: int, directed: bool
    ) -> None:
        self.edges = edges
        self.n_nodes = n_nodes
        self.source = source
        self.target = target
        self.directed = directed
        src, dst = edges[:, 0], edges[:, 1]
        eid = np.arange(len(edges))
        if not directed:
            src, dst, eid = np.r_[src, dst], np.r_[dst, src], np.r_[eid, eid]
        self._src, self._dst, self._eid = src, dst, eid
        key = src * n_nodes + dst
        if np.unique(key).size != key.size:
            raise ValueError(
                "graph must not have parallel edges (or, undirected, both u-v and v-u)"
            )
        self._key_sorted = np.sort(key)
        self._eid_sorted = eid[np.argsort(key)]

    def _check(self, theta: torch.Tensor) -> None:
        if theta.shape[-1] != len(self.edges):
            raise ValueError(
                f"theta must hold one cost per edge ({len(self.edges)}); got {theta.shape[-1]}"
            )
        _check_costs(theta, "edge costs for shortest_path")

    def _solve(self, theta: torch.Tensor) -> torch.Tensor:
        n = theta.shape[0]
        costs = theta.detach().cpu().numpy().astype(np.float64)[:, self._eid]
        pred = _batched_dijkstra(
            costs, self._src, self._dst, self.n_nodes, np.full(n, self.source)
        ).numpy()
        ends = torch.full((2, n), self.source, dtype=torch.long)
        ends[1] = self.target
        on, reached = _path_indicator(torch.from_numpy(pred), ends[0], ends[1])
        on = on.numpy() > 0
        if not bool(reached.all()):
            raise ValueError(f"target node {self.target} is unreachable from {self.source}")
        rows, v = np.nonzero(on & (np.arange(self.n_nodes) != self.source))
        keys = pred[rows, v] * self.n_nodes + v
        edge = self._eid_sorted[np.searchsorted(self._key_sorted, keys)]
        out = np.zeros((n, len(self.edges)))
        out[rows, edge] = 1.0
        return torch.from_numpy(out).to(theta.device)

    def __repr__(self) -> str:
        return (
            f"ShortestPath(n_nodes={self.n_nodes}, n_edges={len(self.edges)}, "
            f"source={self.source}, target={self.target})"
        )


def shortest_path(
    graph: Any, source: int, target: int, *, n_nodes: int | None = None, directed: bool = True
) -> ShortestPath:
    """The solver ``edge costs (*batch, E) -> 0/1 edge indicator of the shortest path``.

    ``graph`` gives the edges, in the order of ``theta``'s last axis: an ``(E, 2)`` integer
    array of ``(u, v)`` pairs, a SciPy sparse matrix (its stored entries, row-major), or a
    ``networkx`` graph (``list(graph.edges())``, nodes labelled ``0..n-1``). With
    ``directed=False`` each edge may be used both ways. Solved by Dijkstra's algorithm
    (Dijkstra 1959, SciPy's implementation); see :class:`ShortestPath`.
    """
    if sp.issparse(graph):
        coo = sp.coo_matrix(graph)
        order = np.lexsort((coo.col, coo.row))
        edges = np.stack([coo.row[order], coo.col[order]], axis=1)
        n_nodes = n_nodes or max(graph.shape)
    elif hasattr(graph, "edges") and hasattr(graph, "number_of_nodes"):
        edges = np.asarray(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
        n_nodes = n_nodes or graph.number_of_nodes()
        if hasattr(graph, "is_directed") and not graph.is_directed():
            directed = False
    else:
        edges = np.asarray(graph)
        if edges.ndim != 2 or edges.shape[1] != 2 or not np.issubdtype(edges.dtype, np.integer):
            raise TypeError(
                "graph must be an (E, 2) integer edge array, a SciPy sparse matrix or a "
                "networkx graph"
            )
    edges = np.asarray(edges, dtype=np.int64)
    if len(edges) == 0:
        raise ValueError("graph must have at least one edge")
    n_nodes = int(n_nodes if n_nodes is not None else edges.max() + 1)
    if edges.min() < 0 or edges.max() >= n_nodes:
        raise ValueError(f"graph's nodes must be labelled 0..{n_nodes - 1}")
    source = check_int(source, "source", min_value=0, max_value=n_nodes - 1)
    target = check_int(target, "target", min_value=0, max_value=n_nodes - 1)
    return ShortestPath(edges, n_nodes, source, target, directed)


class Assignment(Solver):
    """Permutation matrix of a maximum-weight assignment of the ``(n, m)`` score matrix
    ``theta`` (SciPy's ``linear_sum_assignment``, after Crouse 2016; ``n <= m`` gives each row
    one column), the argmax of ``<Y, theta>`` over the Birkhoff polytope. Per instance, on the
    CPU."""

    event_dims = 2
    name = "assignment"

    def _solve(self, theta: torch.Tensor) -> torch.Tensor:
        costs = theta.detach().cpu().numpy()
        out = np.zeros(costs.shape)
        for i, c in enumerate(costs):
            r, col = scipy.optimize.linear_sum_assignment(c, maximize=True)
            out[i, r, col] = 1.0
        return torch.from_numpy(out).to(theta.device)


class LinearProgram(Solver):
    """A vertex of ``{x : A x <= b, A_eq x = b_eq, bounds}`` that maximises ``<theta, x>``,
    by SciPy's HiGHS (Huangfu, Hall 2018; ``scipy.optimize.linprog``), one instance at a
    time. Build it with
    :func:`lp`. It is picklable, so ``perturbed(..., workers=k)`` runs it in a process pool."""

    name = "lp"

    def __init__(
        self,
        A: np.ndarray | None,
        b: np.ndarray | None,
        A_eq: np.ndarray | None,
        b_eq: np.ndarray | None,
        bounds: Any,
        n: int,
    ) -> None:
        self.A, self.b, self.A_eq, self.b_eq, self.bounds, self.n = A, b, A_eq, b_eq, bounds, n

    def _check(self, theta: torch.Tensor) -> None:
        if theta.shape[-1] != self.n:
            raise ValueError(f"theta must have {self.n} entries (columns of A); got {theta.shape}")

    def _solve(self, theta: torch.Tensor) -> torch.Tensor:
        costs = theta.detach().cpu().numpy().astype(np.float64)
        out = np.empty_like(costs)
        for i, c in enumerate(costs):
            res = scipy.optimize.linprog(
                -c,
                A_ub=self.A,
                b_ub=self.b,
                A_eq=self.A_eq,
                b_eq=self.b_eq,
                bounds=self.bounds,
                method="highs",
            )
            if res.status != 0:
                raise RuntimeError(f"lp: HiGHS failed on instance {i}: {res.message}")
            out[i] = res.x
        return torch.from_numpy(out).to(theta.device)

    def __repr__(self) -> str:
        return f"LinearProgram(n={self.n})"


def _matrix(value: Any, name: str, ndim: int) -> np.ndarray | None:
    if value is None:
        return None
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional; got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite")
    return arr


def lp(
    A: Any,
    b: Any,
    *,
    A_eq: Any = None,
    b_eq: Any = None,
    bounds: Sequence[float | None] | Sequence[Sequence[float | None]] = (0, None),
) -> LinearProgram:
    """The solver ``theta -> argmax {<theta, x> : A x <= b, A_eq x = b_eq, bounds}``
    (see :class:`LinearProgram`: HiGHS, Huangfu, Hall 2018); ``A`` may be ``None`` when only
    equalities are given.
    The polytope must be bounded in the directions ``theta`` takes."""
    A_, b_ = _matrix(A, "A", 2), _matrix(b, "b", 1)
    Aeq, beq = _matrix(A_eq, "A_eq", 2), _matrix(b_eq, "b_eq", 1)
    if (A_ is None) != (b_ is None) or (Aeq is None) != (beq is None):
        raise ValueError("give A with b, and A_eq with b_eq")
    if A_ is None and Aeq is None:
        raise ValueError("A (with b) or A_eq (with b_eq) is required")
    if A_ is not None and A_.shape[0] != b_.shape[0]:
        raise ValueError(f"A has {A_.shape[0]} rows but b has {b_.shape[0]} entries")
    if Aeq is not None and Aeq.shape[0] != beq.shape[0]:
        raise ValueError(f"A_eq has {Aeq.shape[0]} rows but b_eq has {beq.shape[0]} entries")
    n = (A_ if A_ is not None else Aeq).shape[1]
    if A_ is not None and Aeq is not None and Aeq.shape[1] != n:
        raise ValueError("A and A_eq must have the same number of columns")
    return LinearProgram(A_, b_, Aeq, beq, bounds, n)


argmax = Argmax()
ranks = Ranks()
sort = Sort()
shortest_path_grid = GridShortestPath()
assignment = Assignment()

__all__ = [
    "Argmax",
    "Assignment",
    "GridShortestPath",
    "LinearProgram",
    "Ranks",
    "ShortestPath",
    "Solver",
    "Sort",
    "TopK",
    "argmax",
    "assignment",
    "lp",
    "ranks",
    "shortest_path",
    "shortest_path_grid",
    "sort",
    "top_k",
]

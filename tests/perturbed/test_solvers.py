"""Built-in solvers against brute force (all paths, all permutations, all subsets), networkx
and a second algorithm."""

import itertools

import networkx as nx
import numpy as np
import pytest
import torch

from theorylab.perturbed import solvers


def test_argmax_top_k_against_brute_force():
    g = torch.Generator().manual_seed(0)
    theta = torch.randn(20, 6, generator=g)
    y = solvers.argmax(theta)
    assert torch.equal(y.argmax(-1), theta.argmax(-1)) and torch.equal(y.sum(-1), torch.ones(20))
    for k in (1, 2, 3):
        y = solvers.top_k(k)(theta)
        for row, yr in zip(theta, y, strict=True):
            best = max(itertools.combinations(range(6), k), key=lambda s: row[list(s)].sum())
            assert set(torch.nonzero(yr).ravel().tolist()) == set(best)


def test_ranks_and_sort_against_permutations():
    g = torch.Generator().manual_seed(1)
    theta = torch.randn(10, 5, generator=g, dtype=torch.float64)
    r = solvers.ranks(theta)
    assert torch.equal(r, (torch.argsort(torch.argsort(theta, -1), -1) + 1).to(r.dtype))
    perms = torch.tensor(list(itertools.permutations(range(1, 6))), dtype=torch.float64)
    for row, rr in zip(theta, r, strict=True):
        assert torch.equal(perms[(perms @ row).argmax()], rr)  # argmax over the permutohedron
    assert torch.equal(solvers.sort(theta), torch.sort(theta, -1).values)
    # leading batch shapes pass through
    assert solvers.ranks(theta.reshape(2, 5, 5)).shape == (2, 5, 5)


def _grid_paths(h, w):
    """All simple 8-neighbour paths from (0, 0) to (h-1, w-1), by depth-first search."""
    out = []

    def walk(path):
        r, c = path[-1]
        if (r, c) == (h - 1, w - 1):
            out.append(list(path))
            return
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                nxt = (r + dr, c + dc)
                if (dr or dc) and 0 <= nxt[0] < h and 0 <= nxt[1] < w and nxt not in path:
                    path.append(nxt)
                    walk(path)
                    path.pop()

    walk([(0, 0)])
    return out


@pytest.mark.parametrize("method", ["bellman-ford", "dijkstra"])
def test_grid_shortest_path_against_all_paths_on_3x3(method):
    paths = _grid_paths(3, 3)
    masks = np.zeros((len(paths), 3, 3))
    for i, p in enumerate(paths):
        for r, c in p:
            masks[i, r, c] = 1
    rng = np.random.default_rng(2)
    costs = rng.uniform(0.1, 5.0, size=(40, 3, 3))
    y = solvers.GridShortestPath(method)(torch.from_numpy(costs)).numpy()
    for c, yy in zip(costs, y, strict=True):
        best = masks[np.argmin((masks * c).sum(axis=(1, 2)))]
        np.testing.assert_array_equal(yy, best)


def test_grid_methods_agree_with_networkx_on_12x12():
    rng = np.random.default_rng(3)
    costs = rng.uniform(0.0, 9.0, size=(6, 12, 12)).astype(np.float32)
    bf = solvers.GridShortestPath("bellman-ford")(torch.from_numpy(costs)).numpy()
    dj = solvers.GridShortestPath("dijkstra")(torch.from_numpy(costs)).numpy()
    for c, a, b in zip(costs, bf, dj, strict=True):
        gph = nx.DiGraph()
        for r in range(12):
            for col in range(12):
                for dr, dc in itertools.product((-1, 0, 1), repeat=2):
                    if (dr or dc) and 0 <= r + dr < 12 and 0 <= col + dc < 12:
                        gph.add_edge(
                            (r, col), (r + dr, col + dc), weight=float(c[r + dr, col + dc])
                        )
        opt = nx.dijkstra_path_length(gph, (0, 0), (11, 11)) + c[0, 0]
        for y in (a, b):
            assert abs((y * c).sum() - opt) < 1e-3
            # a connected 8-neighbour path: every cell but the ends has >= 2 path neighbours
            assert y[0, 0] == 1 and y[11, 11] == 1


def test_grid_source_target_options():
    costs = torch.ones(1, 4, 5)
    y = solvers.GridShortestPath(source=(0, 4), target=(3, 0))(costs)
    assert y.sum() == 5 and y[0, 0, 4] == 1 and y[0, 3, 0] == 1  # 4 diagonal-ish moves


def test_shortest_path_on_graphs_against_all_simple_paths():
    rng = np.random.default_rng(4)
    gph = nx.gnp_random_graph(7, 0.5, seed=5, directed=True)
    gph.add_edges_from([(0, 3), (3, 6)])
    edges = np.array(list(gph.edges()))
    solver = solvers.shortest_path(edges, 0, 6)
    costs = rng.uniform(0.0, 3.0, size=(10, len(edges)))
    y = solver(torch.from_numpy(costs)).numpy()
    index = {tuple(e): i for i, e in enumerate(edges.tolist())}
    for c, yy in zip(costs, y, strict=True):
        best = min(
            nx.all_simple_paths(gph, 0, 6),
            key=lambda p: sum(c[index[(u, v)]] for u, v in itertools.pairwise(p)),
        )
        expected = np.zeros(len(edges))
        expected[[index[(u, v)] for u, v in itertools.pairwise(best)]] = 1
        np.testing.assert_array_equal(yy, expected)
    # networkx graph and sparse matrix inputs give the same solver
    assert torch.equal(
        solvers.shortest_path(gph, 0, 6)(torch.from_numpy(costs)), torch.from_numpy(y)
    )


def test_undirected_shortest_path():
    gph = nx.path_graph(4)  # 0-1-2-3, undirected
    y = solvers.shortest_path(gph, 3, 0)(torch.ones(3))
    assert torch.equal(y, torch.ones(3))


def test_assignment_against_all_permutations():
    rng = np.random.default_rng(6)
    theta = rng.normal(size=(8, 4, 4))
    y = solvers.assignment(torch.from_numpy(theta)).numpy()
    for t, yy in zip(theta, y, strict=True):
        best = max(itertools.permutations(range(4)), key=lambda p: t[range(4), p].sum())
        expected = np.zeros((4, 4))
        expected[range(4), best] = 1
        np.testing.assert_array_equal(yy, expected)


def test_lp_against_vertex_enumeration():
    # the unit box [0, 1]^3 cut by x1 + x2 + x3 <= 2: maximise over its listed vertices
    A = np.array([[1.0, 1.0, 1.0]])
    b = np.array([2.0])
    solver = solvers.lp(A, b, bounds=(0, 1))
    verts = np.array([v for v in itertools.product((0, 1), repeat=3) if sum(v) <= 2], float)
    rng = np.random.default_rng(7)
    theta = rng.normal(size=(10, 3))
    y = solver(torch.from_numpy(theta)).numpy()
    np.testing.assert_allclose(y, verts[np.argmax(theta @ verts.T, axis=1)], atol=1e-9)


def test_solver_bad_input():
    with pytest.raises(ValueError, match="theta must be non-negative"):
        solvers.shortest_path_grid(-torch.ones(3, 3))
    with pytest.raises(ValueError, match="k must be <="):
        solvers.top_k(4)(torch.randn(2, 3))
    with pytest.raises(ValueError, match="k must be >= 1"):
        solvers.top_k(0)
    with pytest.raises(ValueError, match="method"):
        solvers.GridShortestPath("astar")
    with pytest.raises(ValueError, match="one cost per edge"):
        solvers.shortest_path(np.array([[0, 1]]), 0, 1)(torch.ones(2))
    with pytest.raises(ValueError, match="unreachable"):
        solvers.shortest_path(np.array([[0, 1], [2, 1]]), 0, 2)(torch.ones(2))
    with pytest.raises(ValueError, match="parallel edges"):
        solvers.shortest_path(np.array([[0, 1], [0, 1]]), 0, 1)
    with pytest.raises(ValueError, match="A has 2 rows but b has 1"):
        solvers.lp(np.ones((2, 3)), np.ones(1))


def _is_path(mask: np.ndarray, start: tuple[int, int], end: tuple[int, int]) -> bool:
    """The marked cells hold an 8-connected chain from start to end (flood fill)."""
    seen, todo = {start}, [start]
    while todo:
        r, c = todo.pop()
        for dr, dc in itertools.product((-1, 0, 1), repeat=2):
            nxt = (r + dr, c + dc)
            if nxt not in seen and 0 <= nxt[0] < mask.shape[0] and 0 <= nxt[1] < mask.shape[1]:
                if mask[nxt]:
                    seen.add(nxt)
                    todo.append(nxt)
    return end in seen and mask[start] == 1


@pytest.mark.parametrize("method", ["bellman-ford", "dijkstra"])
def test_grid_with_zero_costs_gives_a_connected_optimal_path(method):
    rng = np.random.default_rng(8)
    costs = rng.choice([0.0, 0.0, 1.0, 3.0], size=(20, 7, 7))
    y = solvers.GridShortestPath(method)(torch.from_numpy(costs)).numpy()
    ref = solvers.GridShortestPath("dijkstra" if method == "bellman-ford" else "bellman-ford")
    opt = (ref(torch.from_numpy(costs)).numpy() * costs).sum(axis=(1, 2))
    for c, yy, o in zip(costs, y, opt, strict=True):
        assert _is_path(yy, (0, 0), (6, 6))
        assert abs((yy * c).sum() - o) < 1e-9

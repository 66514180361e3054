"""G-set reader, input coercion, generators, rank rules."""

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from theorylab.sdp import (
    as_adjacency,
    erdos_renyi,
    goe_cost,
    rank_barvinok_pataki,
    rank_threshold,
    rank_ww,
    read_gset,
    sync_overlap,
    toroidal_grid,
    z2_synchronization,
)


def write(tmp_path, text, name="g.txt"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_read_rudy_small(tmp_path):
    A = read_gset(write(tmp_path, "4 3\n1 2 1\n2 3 -1\n4 1 2\n"))
    dense = np.zeros((4, 4))
    for i, j, w in [(0, 1, 1), (1, 2, -1), (3, 0, 2)]:
        dense[i, j] = dense[j, i] = w
    np.testing.assert_array_equal(A.toarray(), dense)


def test_read_rudy_no_edges(tmp_path):
    A = read_gset(write(tmp_path, "3 0\n"))
    assert A.shape == (3, 3) and A.nnz == 0


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty"),
        ("4\n", "header"),
        ("a b\n", "header"),
        ("3 2\n1 2 1\n", "declares m = 2"),
        ("3 1\n1 1 1\n", "self-loop"),
        ("3 2\n1 2 1\n2 1 1\n", "repeated edge"),
        ("3 1\n1 4 1\n", "out of range"),
        ("3 1\n0 2 1\n", "out of range"),
        ("3 1\n1 2\n", "fields"),
        ("3 1\n1 x 1\n", "malformed"),
        ("3 1\n1 2 nan\n", "non-finite"),
    ],
)
def test_read_rudy_malformed(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        read_gset(write(tmp_path, text))


def test_read_missing_file(tmp_path):
    with pytest.raises(ValueError, match="path"):
        read_gset(tmp_path / "nope.txt")
    with pytest.raises(TypeError, match="path"):
        read_gset(3)


def test_read_real_gset(gset_dir):
    A = read_gset(gset_dir / "G11")  # toroidal grid 800 nodes, 1600 edges, weights +-1
    assert A.shape == (800, 800) and A.nnz == 3200
    assert abs(A - A.T).max() == 0
    assert set(np.unique(A.data)) <= {-1.0, 1.0}
    assert (np.diff(A.indptr) == 4).all()  # 4-regular


def test_as_adjacency_forms_agree():
    G = nx.Graph()
    G.add_weighted_edges_from([(0, 1, 2.0), (1, 2, 1.0), (2, 3, -1.0)])
    G.add_node(4)  # isolated vertex
    dense = np.zeros((5, 5))
    for i, j, w in [(0, 1, 2.0), (1, 2, 1.0), (2, 3, -1.0)]:
        dense[i, j] = dense[j, i] = w
    for g in (G, dense, sp.csr_matrix(dense), sp.coo_matrix(dense)):
        np.testing.assert_array_equal(as_adjacency(g).toarray(), dense)
    with_loop = dense.copy()
    with_loop[0, 0] = 5.0  # self-loops carry no cut weight
    np.testing.assert_array_equal(as_adjacency(with_loop).toarray(), dense)


@pytest.mark.parametrize(
    ("bad", "exc", "match"),
    [
        (np.ones((2, 3)), ValueError, "square"),
        (np.array([[0, 1], [2, 0]]), ValueError, "symmetric"),
        (np.array([[0, np.nan], [np.nan, 0]]), ValueError, "finite"),
        (np.ones(3), ValueError, "square"),
        (object(), TypeError, "graph"),
    ],
)
def test_as_adjacency_bad(bad, exc, match):
    with pytest.raises(exc, match=match):
        as_adjacency(bad)


def test_erdos_renyi():
    A = erdos_renyi(2000, 20, seed=3)
    deg = np.asarray(A.sum(axis=1)).ravel()
    assert abs(deg.mean() - 20) < 0.5  # binomial: sd of the mean ~ 0.1
    assert abs(A - A.T).max() == 0 and A.diagonal().max() == 0
    assert set(np.unique(A.data)) == {1.0}
    np.testing.assert_array_equal(
        erdos_renyi(50, 5, seed=1).toarray(), erdos_renyi(50, 5, seed=1).toarray()
    )
    assert erdos_renyi(6, 5, seed=0).nnz == 30  # q = 1: complete graph


def test_toroidal_grid():
    A = toroidal_grid(5, 7, seed=0)
    assert A.shape == (35, 35) and A.nnz == 4 * 35
    assert (np.asarray(abs(A).sum(axis=1)).ravel() == 4).all()
    assert set(np.unique(toroidal_grid(4, 4, signed=False).data)) == {1.0}


def test_rank_rules_match_definitions():
    for n in range(1, 400):
        bp = max(r for r in range(1, n + 2) if r * (r + 1) // 2 <= n)
        assert rank_barvinok_pataki(n) == bp
        assert rank_threshold(n) == min(p for p in range(1, n + 3) if p * (p + 1) // 2 > n)
        ww = [p for p in range(1, n + 1) if p * (p + 1) // 2 + p <= n]
        assert rank_ww(n) == (max(ww) if ww else 0)
    assert [rank_ww(n) for n in (14, 20, 30, 1000)] == [4, 5, 6, 43]  # by hand
    assert rank_threshold(10, m=3) == 3
    assert math.isqrt(8) == 2
    with pytest.raises(ValueError, match="n"):
        rank_threshold(0)


def test_z2_synchronization_model():
    A, x = z2_synchronization(400, 3.0, seed=0)
    assert A.shape == (400, 400) and np.allclose(A, A.T)
    # planted part: x^T A x / n^2 = snr / n + O(1/n)
    assert abs(x @ A @ x / 400 - 3.0) < 0.5
    assert sync_overlap(np.outer(x, [1.0, 0.0]), x) == 1.0
    assert sync_overlap(np.outer(-x, [0.0, 1.0]), x) == 1.0


def test_goe_cost():
    C = goe_cost(400, seed=0)
    assert C.shape == (400, 400) and np.array_equal(C, C.T)
    off = C[np.triu_indices(400, 1)]
    assert abs(off.var() * 400 - 1.0) < 0.05  # off-diagonal variance 1/n
    assert abs(np.diag(C).var() * 400 - 2.0) < 0.4  # diagonal variance 2/n
    assert abs(np.linalg.eigvalsh(C)[-1] - 2.0) < 0.2  # semicircle edge at 2
    np.testing.assert_array_equal(goe_cost(30, seed=5), goe_cost(30, seed=np.random.default_rng(5)))
    with pytest.raises(TypeError, match="n"):
        goe_cost(3.0)


def test_generators_seeds_default_to_fresh_entropy():
    # seed=None draws fresh graphs; an explicit seed repeats
    assert (erdos_renyi(300, 10) != erdos_renyi(300, 10)).nnz > 0
    a, b = toroidal_grid(5, 5, seed=np.random.default_rng(2)), toroidal_grid(5, 5, seed=2)
    assert (a != b).nnz == 0
    A1, x1 = z2_synchronization(20, 1.0, seed=3)
    A2, x2 = z2_synchronization(20, 1.0, seed=3)
    assert np.array_equal(A1, A2) and np.array_equal(x1, x2)

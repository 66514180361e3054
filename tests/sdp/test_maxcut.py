"""MaxCut: closed forms (cycles, complete and bipartite graphs), brute force on tiny graphs,
components, G-set files."""

import dataclasses
import importlib
import itertools
import json

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from theorylab.sdp import (
    MaxCutResult,
    as_adjacency,
    cut_values,
    erdos_renyi,
    gw_round,
    maxcut,
    read_gset,
    toroidal_grid,
)

ALPHA_GW = 0.87856


def brute_force_maxcut(A):
    A = np.asarray(A.toarray() if hasattr(A, "toarray") else A)
    n = A.shape[0]
    best = -np.inf
    for bits in itertools.product([-1.0, 1.0], repeat=n - 1):
        x = np.array((1.0, *bits))
        best = max(best, 0.25 * np.sum(A * (1 - np.outer(x, x))))
    return best


@pytest.mark.parametrize("n", [3, 5, 7, 11, 25])
def test_odd_cycle_closed_form(n):
    # Delorme–Poljak / GW: SDP value of C_n (n odd) = (n/2)(1 + cos(pi/n)); max cut n - 1
    res = maxcut(nx.cycle_graph(n), tol=1e-8, seed=0)
    exact = n / 2 * (1 + np.cos(np.pi / n))
    assert res.certified
    assert res.sdp_value <= exact * (1 + 1e-12) and res.upper_bound >= exact * (1 - 1e-12)
    assert res.sdp_value == pytest.approx(exact, rel=1e-8)
    assert res.cut_value == n - 1


@pytest.mark.parametrize("n", [4, 6, 9])
def test_complete_graph_closed_form(n):
    res = maxcut(nx.complete_graph(n), tol=1e-8, seed=0)
    assert res.sdp_value == pytest.approx(n * n / 4, rel=1e-8)
    assert res.upper_bound >= n * n / 4 * (1 - 1e-12)
    assert res.cut_value == (n // 2) * ((n + 1) // 2)


def test_bipartite_sdp_equals_total_weight():
    G = nx.complete_bipartite_graph(4, 6)
    for k, (u, v) in enumerate(G.edges()):
        G[u][v]["weight"] = 1.0 + (k % 3)
    total = sum(w for _, _, w in G.edges(data="weight"))
    res = maxcut(G, tol=1e-8, seed=0)
    assert res.certified
    assert res.sdp_value == pytest.approx(total, rel=1e-8)
    assert res.cut_value == pytest.approx(total)  # rank-1 optimum: rounding is exact


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_rounding_against_brute_force(seed):
    A = erdos_renyi(12, 4, seed=seed)
    res = maxcut(A, seed=0)
    best = brute_force_maxcut(A)
    assert res.cut_value <= best + 1e-9 <= res.upper_bound + 1e-6
    assert best >= ALPHA_GW * res.sdp_value  # GW guarantee, weights >= 0
    direct = 0.25 * np.sum(A.toarray() * (1 - np.outer(res.cut, res.cut)))
    assert res.cut_value == pytest.approx(direct)
    assert set(np.unique(res.cut)) <= {-1.0, 1.0}


def test_cut_values_formula():
    A = toroidal_grid(3, 4, seed=0)  # signed weights
    X = np.random.default_rng(0).choice([-1.0, 1.0], size=(12, 5))
    Ad = A.toarray()
    expect = [
        sum(Ad[i, j] for i in range(12) for j in range(i + 1, 12) if x[i] != x[j]) for x in X.T
    ]
    np.testing.assert_allclose(cut_values(A, X), expect)
    x, val = gw_round(A, np.eye(12)[:, :3] + 0.1, n_rounds=8, seed=0)
    assert val == pytest.approx(cut_values(A, x)[0])


def test_no_edges_isolated_and_components():
    empty = maxcut(np.zeros((6, 6)), seed=0)
    assert empty.sdp_value == 0 and empty.upper_bound == 0 and empty.certified
    one = maxcut(np.zeros((1, 1)), seed=0)
    assert one.sdp_value == 0 and one.cut.shape == (1,)
    # triangle + an edge + two isolated vertices: SDP values add over components
    G = nx.Graph()
    G.add_nodes_from(range(7))
    G.add_edges_from([(0, 1), (1, 2), (2, 0), (4, 5)])
    res = maxcut(G, tol=1e-8, seed=0)
    tri = 3 / 2 * (1 + np.cos(np.pi / 3))  # 2.25
    assert res.certified and res.sdp_value == pytest.approx(tri + 1.0, rel=1e-8)
    assert res.cut_value == 3.0


def test_gset_file_in_tmp_path(tmp_path):
    path = tmp_path / "c5.rudy"
    path.write_text("5 5\n1 2 1\n2 3 1\n3 4 1\n4 5 1\n5 1 1\n")
    res = maxcut(path, seed=0)
    assert res.sdp_value == pytest.approx(2.5 * (1 + np.cos(np.pi / 5)), rel=1e-6)
    assert res.certified
    with pytest.raises(ValueError, match="graph"):
        maxcut(tmp_path / "missing.rudy")
    bad = tmp_path / "bad.rudy"
    bad.write_text("5 2\n1 2 1\n")
    with pytest.raises(ValueError, match="declares"):
        maxcut(bad)


def test_real_gset_certified(gset_dir):
    A = read_gset(gset_dir / "G11")
    res = maxcut(A, tol=1e-6, seed=0)
    assert res.certified and res.rel_gap <= 1e-6
    assert res.cut_value <= res.upper_bound
    assert res.cut_value >= 0.8 * res.sdp_value  # signed weights: no GW guarantee, but close


def test_negative_weights_and_dense():
    A = toroidal_grid(4, 5, seed=2)
    r1, r2 = maxcut(A, tol=1e-8, seed=0), maxcut(A.toarray(), tol=1e-8, seed=0)
    assert r1.certified and r2.certified
    assert r1.sdp_value == pytest.approx(r2.sdp_value, rel=1e-7)
    assert r1.cut_value <= brute_force_maxcut(A) + 1e-9 <= r1.upper_bound + 1e-6


def test_result_is_frozen_max_form_and_json_ready():
    res = maxcut(nx.cycle_graph(5), tol=1e-8, seed=0)
    assert isinstance(res, MaxCutResult) and res.sense == "max"
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.cut_value = 0.0
    # the documented names are the Certified ones of the max form
    assert (res.sdp_value, res.upper_bound) == (res.value, res.bound) == (res.lower, res.upper)
    assert res.gap == pytest.approx(res.upper_bound - res.sdp_value)
    # max form = min form of the same factor: <L/4, X> = (sum a_ij - <A, X>)/4
    assert res.sdp_value == pytest.approx((10 - res.sdp.value) / 4, rel=1e-14)
    assert res.upper_bound == pytest.approx((10 - res.sdp.bound) / 4, rel=1e-14)
    d = res.to_dict()
    json.dumps(d)
    assert "Y" not in d and len(d["cut"]) == 5 and d["bound"] == res.upper_bound
    assert d["sdp"]["ranks"] == list(res.sdp.ranks) and "Y" not in d["sdp"]


def test_seed_kinds():
    A = erdos_renyi(60, 5, seed=1)
    a, b = maxcut(A, seed=3), maxcut(A, seed=3)
    np.testing.assert_array_equal(a.cut, b.cut)
    assert maxcut(A, seed=np.random.default_rng(3)).certified and maxcut(A).certified
    x, val = gw_round(A, a.Y, seed=np.random.default_rng(0))
    assert val == pytest.approx(cut_values(A, x)[0])


def test_graph_is_validated_once(monkeypatch):
    # maxcut converts and checks the graph once; the solver and the rounding reuse it
    maxcut_module = importlib.import_module("theorylab.sdp.maxcut")  # `sdp.maxcut` is the function
    calls = []
    real = maxcut_module.as_adjacency

    def counting(graph, name="graph"):
        calls.append(name)
        return real(graph, name)

    def no_second_check(*args, **kwargs):
        raise AssertionError("as_cost must not re-validate the graph")

    monkeypatch.setattr(maxcut_module, "as_adjacency", counting)
    monkeypatch.setattr("theorylab.sdp.problem.as_cost", no_second_check)
    monkeypatch.setattr("theorylab.sdp.solver.as_cost", no_second_check)
    res = maxcut(toroidal_grid(6, 7, seed=0), seed=0)
    assert calls == ["graph"] and res.certified


def test_as_adjacency_leaves_input_alone_and_is_canonical():
    M = sp.coo_matrix(([2.0, 1.0, 1.0, 3.0], ([0, 0, 1, 2], [2, 1, 0, 2])), shape=(3, 3))
    M = sp.csr_matrix(M)  # a CSR input with a diagonal entry
    before = M.copy()
    with pytest.raises(ValueError, match="symmetric"):
        as_adjacency(M)  # (0, 2) has no mirror entry
    assert (M != before).nnz == 0
    S = sp.csr_matrix(np.array([[5.0, 1.0], [1.0, 0.0]]))
    A = as_adjacency(S)
    assert S[0, 0] == 5.0 and A.has_canonical_format
    np.testing.assert_array_equal(A.toarray(), [[0.0, 1.0], [1.0, 0.0]])


@pytest.mark.parametrize(
    ("X", "match"),
    [(np.ones((4, 2)), "X must have shape"), (np.zeros((3, 1)), "±1"), (np.ones((3, 2, 1)), "X")],
)
def test_cut_values_bad_input(X, match):
    with pytest.raises(ValueError, match=match):
        cut_values(nx.path_graph(3), X)


def test_gw_round_bad_input():
    A = nx.path_graph(3)
    with pytest.raises(ValueError, match="Y must have n = 3"):
        gw_round(A, np.ones((4, 2)), seed=0)
    with pytest.raises(ValueError, match="n_rounds"):
        gw_round(A, np.ones((3, 2)), n_rounds=0, seed=0)
    with pytest.raises(ValueError, match="n_rounds"):
        maxcut(A, n_rounds=0)  # checked before the solve

"""Finite fields, projective-space indexing and the PGR server (DP / FFT / dense)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from theorylab.ldp.fields import field, field_orders, prime_power
from theorylab.ldp.projective import ProjectiveSpace, hyperplane_counts


@pytest.mark.parametrize("q", [2, 3, 4, 5, 7, 8, 9, 16, 25, 27])
def test_field_axioms_exhaustive(q: int) -> None:
    F = field(q)
    a = np.arange(q)
    A, B, C = np.meshgrid(a, a, a, indexing="ij")
    assert np.array_equal(F.mul(F.mul(A, B), C), F.mul(A, F.mul(B, C)))
    assert np.array_equal(F.mul(A, F.add(B, C)), F.add(F.mul(A, B), F.mul(A, C)))
    assert np.array_equal(F.add(F.add(A, B), C), F.add(A, F.add(B, C)))
    assert np.array_equal(F.mul(a[1:], F.inv(a[1:])), np.ones(q - 1, dtype=np.int64))
    assert np.array_equal(F.add(a, F.neg(a)), np.zeros(q, dtype=np.int64))
    assert np.array_equal(F.mul(a, 1), a) and np.array_equal(F.add(a, 0), a)
    # the multiplicative group is cyclic of order q - 1: some element has that order
    orders = []
    for g in range(1, q):
        x, o = g, 1
        while x != 1:
            x, o = int(F.mul(x, g)), o + 1
        orders.append(o)
    assert max(orders) == q - 1


def test_prime_powers() -> None:
    assert prime_power(1024) == (2, 10) and prime_power(243) == (3, 5)
    assert prime_power(12) is None and prime_power(1) is None
    assert field_orders(2, 30) == [2, 3, 4, 5, 7, 8, 9, 11, 13, 16, 17, 19, 23, 25, 27, 29]
    with pytest.raises(ValueError, match="prime power"):
        field(6)


@pytest.mark.parametrize(("q", "t"), [(q, t) for q in (2, 3, 4, 5, 7, 8, 9, 11) for t in (2, 3, 4)])
def test_index_round_trip_and_prefix_rule(q: int, t: int) -> None:
    S = ProjectiveSpace(q, t)
    idx = np.arange(S.K)
    V = S.vectors(idx)
    assert np.array_equal(S.indices(V), idx)
    assert np.all(V[idx, S.leading(V)] == 1)  # canonical: leading entry 1
    # prefix extension: appending digit d to index i (length t-1) gives q i + 1 + d
    if t >= 3:
        P = ProjectiveSpace(q, t - 1)
        for i in range(min(P.K, 20)):
            pv = P.vectors(np.array([i]))[0]
            for d in range(q):
                assert S.indices(np.r_[pv, d][None, :])[0] == q * i + 1 + d
    # all K points are distinct projective points: no two are proportional
    assert S.K == (q**t - 1) // (q - 1)


@pytest.mark.parametrize(("q", "t"), [(3, 3), (4, 3), (5, 3), (4, 4), (9, 3)])
def test_set_system_sizes_by_brute_force(q: int, t: int) -> None:
    S = ProjectiveSpace(q, t)
    V = S.vectors(np.arange(S.K))
    inc = S.field.dot(V[:, None, :], V[None, :, :]) == 0
    cset = (q ** (t - 1) - 1) // (q - 1)
    cint = (q ** (t - 2) - 1) // (q - 1)
    assert np.all(inc.sum(axis=1) == cset)
    inter = inc.astype(int) @ inc.T.astype(int)
    off = ~np.eye(S.K, dtype=bool)
    assert np.all(inter[off] == cint)


CASES = [
    (q, t)
    for q in (2, 3, 4, 5, 7, 8, 9, 11, 13, 16)
    for t in (2, 3, 4)
    if (q**t - 1) // (q - 1) <= 5000
]


@pytest.mark.parametrize(("q", "t"), CASES)
def test_dp_equals_dense_equals_fft(q: int, t: int) -> None:
    K = (q**t - 1) // (q - 1)
    y = np.random.default_rng(q * 10 + t).integers(0, 1000, size=(2, K))
    dense = hyperplane_counts(y, q, t, method="dense")
    assert np.array_equal(hyperplane_counts(y, q, t, method="dp"), dense)
    if prime_power(q)[1] == 1:
        assert np.array_equal(hyperplane_counts(y, q, t, method="fft"), dense)
    else:
        with pytest.raises(ValueError, match="prime"):
            hyperplane_counts(y, q, t, method="fft")


@pytest.mark.parametrize("q, t", [(7, 4), (4, 5), (9, 3), (2, 7)])
def test_dp_numpy_and_numba_paths_agree(q: int, t: int) -> None:
    from theorylab.ldp import projective

    K = (q**t - 1) // (q - 1)
    y = np.random.default_rng(q * t).integers(0, 50, size=(2, K)).astype(np.int64)
    a = projective._dp(y, q, t, use_numba=False)
    if projective.HAVE_NUMBA:
        assert np.array_equal(a, projective._dp(y, q, t, use_numba=True))
    assert np.array_equal(a, projective._dense(y, q, t))


@pytest.mark.parametrize("q, t", [(2, 6), (3, 4), (4, 5), (5, 3), (8, 3), (9, 3), (53, 3)])
def test_pgr_point_map_numpy_and_numba_agree_and_hit_the_right_side(q: int, t: int) -> None:
    from theorylab.ldp.pgr import _points_nb, point_from_randomness

    space = ProjectiveSpace(q, t)
    F = space.field
    rng = np.random.default_rng(q + t)
    n = 5000
    items = rng.integers(0, space.K, n)
    c = np.where(rng.random(n) < 0.5, 0, rng.integers(1, q, n))
    R = rng.integers(0, q ** (t - 1), n) + (c == 0)  # (R, c) = (0, 0) is not a point
    R = np.minimum(R, q ** (t - 1) - 1)
    a = point_from_randomness(space, items, R, c, use_numba=False)
    if _points_nb is not None:
        assert np.array_equal(a, point_from_randomness(space, items, R, c, use_numba=True))
    # independent check: <u, v> is zero exactly when c is (scaling u keeps that property)
    dots = F.dot(space.vectors(a), space.vectors(items))
    assert np.array_equal(dots == 0, c == 0)
    assert a.min() >= 0 and a.max() < space.K


@pytest.mark.parametrize("q, m", [(2, 5), (3, 4), (4, 3), (5, 3), (9, 2), (7, 1)])
def test_suffix_tables_match_canonicalizing_every_point(q: int, m: int, monkeypatch) -> None:
    from theorylab.ldp import projective

    F = field(q)
    space = ProjectiveSpace(q, m)
    vecs = space.vectors(np.arange(space.K))
    nonzero = np.any(vecs[:, 1:] != 0, axis=1)
    results = [projective._suffix_tables.__wrapped__(q, m)]
    monkeypatch.setattr(projective, "_leading_one_tables_nb", None)
    results.append(projective._suffix_tables.__wrapped__(q, m))
    for b0, ginv, child in results:
        assert np.array_equal(b0[1:], vecs[:, 0]) and b0[0] == 0
        assert child[0] == 0 and np.all(child[1:][~nonzero] == 0)
        if m == 1:
            continue
        rest = vecs[nonzero, 1:]
        first = rest[np.arange(rest.shape[0]), np.argmax(rest != 0, axis=1)]
        assert np.array_equal(F.mul(first, ginv[1:][nonzero]), np.ones(rest.shape[0], int))
        # the child is the point spanned by the rest: same line, canonical representative
        sub = ProjectiveSpace(q, m - 1)
        hat = sub.vectors(child[1:][nonzero] - 1)
        assert np.array_equal(F.mul(hat, first[:, None]), rest)


def test_hyperplane_counts_bad_input() -> None:
    with pytest.raises(ValueError, match="last dimension"):
        hyperplane_counts(np.zeros(10, dtype=int), 3, 3)
    with pytest.raises(TypeError):
        hyperplane_counts(np.zeros(13), 3, 3)
    with pytest.raises(ValueError, match="method"):
        hyperplane_counts(np.zeros(13, dtype=int), 3, 3, method="magic")


def test_every_point_pair_geometry_small() -> None:
    # a point u lies on S_v iff v lies on S_u (symmetry of the incidence)
    S = ProjectiveSpace(4, 3)
    V = S.vectors(np.arange(S.K))
    inc = S.field.dot(V[:, None, :], V[None, :, :]) == 0
    assert np.array_equal(inc, inc.T)
    for i, j in itertools.combinations(range(S.K), 2):
        assert not np.array_equal(S.canonicalize(V[i][None]), S.canonicalize(V[j][None]))

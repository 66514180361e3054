"""Counting conservation laws: the dimension of the trace of the generated Lie algebra.

Marcotte, Gribonval, Peyré (NeurIPS 2023), Theorem 3.3 (Frobenius): if dim Lie(W)(θ) is
locally constant near θ0, the number of independent conservation laws near θ0 is
N = D − dim Lie(W)(θ0), where W is spanned by the generator fields of the flow.

The algorithm (this library's variant of the authors' ``dim_trace_lie_algebra``): fields are
kept when they raise the rank of their *stacked evaluations at several generic points* (a
function-space test, stricter than the authors' single-point test); round k brackets the
fields kept in round k−1 with the kept generators; after every accepted field the trace rank
at the first point is compared with D − n_known (n_known: rank of the known laws'
gradients). Stopping rules, each reported:

- ``certified``: trace rank = D − n_known, so the known laws are complete (N = n_known);
- ``full``: trace rank = D, so N = 0;
- ``closed``: a round keeps nothing new (confirmed on fresh points), so the kept fields span
  Lie(W) and N = D − rank is exact;
- ``heuristic``: ``max_depth``/``max_fields`` reached, or the trace rank stalled for
  ``patience`` rounds; D − rank is then only an upper bound (and n_known a lower bound).
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from theorylab._core.results import Result
from theorylab._core.rng import SeedLike, as_generator
from theorylab._core.validation import check_int, check_real
from theorylab.conservation.fields import (
    eval_poly_fields,
    eval_poly_fields_exact,
    eval_torch_fields,
    gradient_field,
)
from theorylab.conservation.flows import FieldSystem, Flow, as_flow, check_model, system_of
from theorylab.conservation.known import known_law_polys
from theorylab.conservation.models import Model
from theorylab.errors import TheorylabWarning


@dataclass(frozen=True, slots=True)
class LawCount(Result):
    """The result of :func:`count_laws`: the number of independent conservation laws
    N = D − dim Lie(W)(θ) (Marcotte, Gribonval, Peyré 2023, Thm 3.3).

    ``number``: independent laws near a generic point (N = state_dim − lie_dim; an upper
    bound when ``status == "heuristic"``); ``lower``/``upper``: the bracket on N;
    ``n_known``: rank of the known laws; ``certified``: the count is proven equal to the
    known laws' rank; ``closed``: the generated Lie algebra closed as a function space;
    ``history``: trace rank after each round.
    """

    number: int
    state_dim: int
    lie_dim: int
    n_known: int
    certified: bool
    closed: bool
    status: str
    lower: int
    upper: int
    history: tuple[int, ...]
    n_fields: int
    depth: int
    n_points: int
    min_gap: float
    exact: bool
    seconds: float
    model: str = ""
    flow: str = ""

    def __str__(self) -> str:
        cert = "certified complete" if self.certified else self.status
        return (
            f"{self.model} under {self.flow}: {self.number} independent law(s) "
            f"[{cert}; state dim {self.state_dim}, Lie trace dim {self.lie_dim}, "
            f"known rank {self.n_known}, depth {self.depth}, {self.n_fields} fields, "
            f"{self.seconds:.2f} s]"
        )


class _FloatSpan:
    """Incremental span of vectors in R^dim (Gram–Schmidt with re-orthogonalization)."""

    def __init__(self, dim: int, rtol: float):
        self.dim, self.rtol = dim, rtol
        self._Q = np.zeros((dim, min(dim, 64)))
        self.rank = 0

    def add_many(self, vecs: Sequence[np.ndarray]) -> list[float]:
        """:meth:`add` for each vector in turn, with the projection on the current basis done
        for the whole batch at once (BLAS-3); same result as adding one by one."""
        V = np.asarray(vecs, dtype=np.float64)
        if V.size == 0 or self.rank == 0:
            return [self.add(v) for v in V]
        norms = np.linalg.norm(V, axis=1, keepdims=True)
        V = np.divide(V, norms, out=np.zeros_like(V), where=norms > 0)
        Q = self._Q[:, : self.rank]
        V = V - (V @ Q) @ Q.T
        return [self.add(v, prenormalized=True) for v in V]

    def add(self, vec: np.ndarray, prenormalized: bool = False) -> float:
        """Add ``vec`` if it raises the rank; return its relative residual (0 if rejected)."""
        if prenormalized:  # already unit-norm, then projected once: re-project and test
            r = vec
            Q = self._Q[:, : self.rank]
            for _ in range(2):
                r = r - Q @ (Q.T @ r)
            return self._accept(r)
        norm = np.linalg.norm(vec)
        if norm == 0 or not np.isfinite(norm) or self.rank >= self.dim:
            return 0.0
        Q = self._Q[:, : self.rank]
        r = vec / norm
        for _ in range(2):
            r = r - Q @ (Q.T @ r)
        return self._accept(r)

    def _accept(self, r: np.ndarray) -> float:
        gap = float(np.linalg.norm(r))
        if gap <= self.rtol or not np.isfinite(gap) or self.rank >= self.dim:
            return 0.0
        if self.rank == self._Q.shape[1]:
            grown = np.zeros((self.dim, min(self.dim, 2 * self.rank)))
            grown[:, : self.rank] = self._Q[:, : self.rank]
            self._Q = grown
        self._Q[:, self.rank] = r / gap
        self.rank += 1
        return gap


class _ExactSpan:
    """Incremental span over Q (echelon form with normalized pivots)."""

    def __init__(self, dim: int):
        self.dim = dim
        self.rows: list[tuple[int, list]] = []

    @property
    def rank(self) -> int:
        return len(self.rows)

    def add_many(self, vecs: Sequence[Sequence]) -> list[float]:
        return [self.add(v) for v in vecs]

    def add(self, vec: Sequence) -> float:
        v = list(vec)
        for p, row in self.rows:
            c = v[p]
            if c:
                v = [a - c * b for a, b in zip(v, row, strict=True)]
        piv = next((i for i, a in enumerate(v) if a), None)
        if piv is None:
            return 0.0
        inv = 1 / v[piv]
        self.rows.append((piv, [a * inv for a in v]))
        return 1.0


def generic_points(
    rng: np.random.Generator, k: int, positive: np.ndarray, *, exact: bool = False
) -> np.ndarray:
    """``k`` generic points ``(k, n)``: magnitudes U[0.5, 1.5] with random signs, positive on
    the ``positive`` coordinates; with ``exact``, integers in ±[32, 96] (numerators over 64)."""
    n = positive.size
    mags = rng.integers(32, 97, size=(k, n)) if exact else rng.uniform(0.5, 1.5, (k, n))
    signs = np.where(rng.random((k, n)) < 0.5, -1, 1)
    signs[:, positive] = 1
    return signs * mags


class _Engine:
    """Evaluation at the current points plus the two spans (function space, trace)."""

    def __init__(
        self,
        system: FieldSystem,
        rng: np.random.Generator,
        n_points: int,
        exact: bool,
        rtol: float,
        deadline: float = math.inf,
    ):
        self.system, self.rng, self.exact, self.rtol = system, rng, exact, rtol
        self.deadline = deadline
        self.n = system.dim
        self.points: list = []
        self._add_points(n_points)
        self.kept: list = []
        self.trace = _ExactSpan(self.n) if exact else _FloatSpan(self.n, rtol)
        self.E = self._new_span()
        self.min_gap = math.inf

    def _new_span(self):
        dim = len(self.points) * self.n
        return _ExactSpan(dim) if self.exact else _FloatSpan(dim, self.rtol)

    def _add_points(self, k: int) -> None:
        pts = generic_points(self.rng, k, self.system.positive, exact=self.exact)
        if self.exact:
            self.points += [[Fraction(int(x), 64) for x in row] for row in pts]
        else:
            self.points += list(pts)

    def evaluate(self, fields: Sequence, points=None) -> list:
        """Stacked evaluations (one flat vector of length P·n per field)."""
        pts = self.points if points is None else points
        if not fields:  # e.g. nothing kept yet when every generator vanishes at the points
            return []
        if self.exact:
            return eval_poly_fields_exact(fields, pts)
        arr = np.asarray(pts)
        vals = (
            eval_poly_fields(fields, arr)
            if self.system.polynomial
            else eval_torch_fields(fields, arr)
        )
        return list(vals.reshape(len(fields), -1))

    def trace_rank_at(self, fields: Sequence, which: int = 0) -> int:
        """Rank of the fields' values at point ``which``, evaluated 512 at a time and
        stopping at full rank (at point 0, a lower bound on the trace dimension)."""
        span = _ExactSpan(self.n) if self.exact else _FloatSpan(self.n, self.rtol)
        for k in range(0, len(fields), 512):
            span.add_many(self.evaluate(fields[k : k + 512], [self.points[which]]))
            if span.rank >= self.n:
                break
        return span.rank

    def grow(self) -> None:
        """Double the number of points and rebuild the function-space span."""
        self._add_points(len(self.points))
        self.E = self._new_span()
        for v in self.evaluate(self.kept):
            self.E.add(v)

    def consider(self, fields: Iterable, target: int) -> tuple[list, bool, list]:
        """Keep the fields that raise the function-space rank; stop early at ``target``.

        ``fields`` is consumed lazily, 64 at a time, so that brackets are only computed until
        the count is certified. Returns the kept fields, whether ``target`` was reached, and
        the fields drawn from ``fields``.
        """
        new: list = []
        drawn: list = []
        source = itertools.takewhile(lambda _: not self.out_of_time, fields)
        carry: list = []
        while True:
            chunk, carry = carry[:64], carry[64:]
            if len(chunk) < 64:
                fresh = list(itertools.islice(source, 64 - len(chunk)))
                drawn += fresh
                chunk += fresh
            if not chunk or self.out_of_time:
                return new, False, drawn
            vals = self.evaluate(chunk)
            for j, (f, v, gap) in enumerate(zip(chunk, vals, self.E.add_many(vals), strict=True)):
                if gap > 0:
                    self.kept.append(f)
                    new.append(f)
                    self.min_gap = min(self.min_gap, gap)
                    self.trace.add(v[: self.n])
                    if self.trace.rank >= target:
                        return new, True, drawn
                    if self.E.rank >= self.E.dim:  # saturated: later rejections untrustworthy
                        self.grow()
                        carry = chunk[j + 1 :] + carry
                        break

    @property
    def out_of_time(self) -> bool:
        return time.perf_counter() > self.deadline


def _brackets(gens: list, frontier: list, first_round: bool) -> Iterator:
    for a, g in enumerate(gens):
        for b, z in enumerate(frontier):
            if first_round and b <= a:  # [G_a, G_a] = 0 and [G_b, G_a] = −[G_a, G_b]
                continue
            br = g.bracket(z)
            if not br.is_zero():
                yield br


def _known_rank(engine: _Engine, known_polys: list) -> int:
    if not known_polys:
        return 0
    R = engine.system.ring
    grads = [gradient_field(R, p) for p in known_polys]
    return engine.trace_rank_at(grads, 0)


def count_laws(
    model: Model,
    flow: Flow = "gradient",
    *,
    seed: SeedLike = None,
    n_points: int = 3,
    exact: bool = False,
    rtol: float = 1e-8,
    max_depth: int = 12,
    max_fields: int = 5000,
    patience: int = 2,
    max_seconds: float | None = None,
    known: Sequence[sympy.Expr] | None = None,
) -> LawCount:
    """Number of independent conservation laws of ``flow`` for ``model`` near a generic point.

    Marcotte, Gribonval, Peyré (2023), Thm 3.3: N = D − dim Lie(W)(θ); momentum and mirror
    flows as in Marcotte, Gribonval, Peyré (2024). The count always comes from the Lie-algebra
    algorithm (module docstring); known laws only certify it.

    ``seed`` draws the ``n_points`` generic points; a count with status certified, full or
    closed does not depend on it (random points are generic with probability one).
    ``patience``: stop (status ``heuristic``) when the trace rank has not grown for that many
    consecutive rounds without the algebra closing; the count is then an upper bound.
    ``max_seconds``: a time budget, checked after every bracket; when it runs
    out the status is ``heuristic`` (deep brackets of large polynomial models are costly).
    ``exact=True`` evaluates at rational points and computes ranks over Q (polynomial models
    only; practical for state dimensions up to a few dozen). ``known`` overrides the
    closed-form laws used for certification (sympy expressions in the state symbols).
    """
    start = time.perf_counter()
    n_points = check_int(n_points, "n_points", min_value=1)
    max_depth = check_int(max_depth, "max_depth", min_value=0)
    max_fields = check_int(max_fields, "max_fields", min_value=1)
    patience = check_int(patience, "patience", min_value=1)
    if max_seconds is not None:
        max_seconds = check_real(max_seconds, "max_seconds", min_value=0.0, strict_min=True)
    rtol = check_real(rtol, "rtol", min_value=0.0, strict_min=True)
    if not isinstance(exact, bool):
        raise TypeError(f"exact must be a bool; got {type(exact).__name__}")
    model, flow = check_model(model), as_flow(flow)
    system = system_of(model, flow)
    if exact and not system.polynomial:
        raise ValueError(
            "exact=True needs a polynomial model and an entropy/Euclidean metric "
            "(from_function models and callable metrics are counted in float64)"
        )
    if known is None:
        known_polys = known_law_polys(model, flow) if system.polynomial else []
    else:
        if not system.polynomial:
            raise ValueError("known laws can only be checked for polynomial models")
        known_polys = [system.ring.from_expr(sympy.sympify(k)) for k in known]
    deadline = math.inf if max_seconds is None else start + max_seconds
    engine = _Engine(system, as_generator(seed), n_points, exact, rtol, deadline)
    n = system.dim
    n_known = _known_rank(engine, known_polys)
    target = n - n_known

    generators = [g for g in system.generators if not g.is_zero()]
    shortcut = engine.trace_rank_at(generators)
    if shortcut >= target:  # certified (or full) by the generators alone, no bracket needed
        return _result(
            model,
            flow,
            engine,
            shortcut,
            n_known,
            "",
            False,
            (shortcut,),
            0,
            start,
            n_fields=shortcut,
        )
    gens, done, _ = engine.consider(generators, target)
    history = [engine.trace.rank]
    frontier, depth, status, closed = gens, 0, "", False
    while not done:
        stalled = len(history) > patience and history[-1] == history[-1 - patience]
        if depth >= max_depth or len(engine.kept) >= max_fields or stalled or engine.out_of_time:
            status = "heuristic"
            break
        depth += 1
        new, done, cands = engine.consider(_brackets(gens, frontier, depth == 1), target)
        if not new and not done and not engine.out_of_time:  # apparent closure: confirm
            engine.grow()
            new, done, _ = engine.consider(cands, target)
            if not new and not done and not engine.out_of_time:
                history.append(engine.trace.rank)
                closed, status = True, "closed"
                break
        history.append(engine.trace.rank)
        frontier = new
    rank = engine.trace.rank
    if not exact:
        ranks = [engine.trace_rank_at(engine.kept, i) for i in range(1, min(len(engine.points), 3))]
        if ranks and max(ranks) != rank:
            warnings.warn(
                f"trace rank differs across points ({[rank, *ranks]}): a non-generic point "
                "was drawn; try another seed",
                TheorylabWarning,
                stacklevel=2,
            )
            rank = max(rank, *ranks)
    return _result(
        model,
        flow,
        engine,
        rank,
        n_known,
        status,
        closed,
        tuple(history),
        depth,
        start,
        n_fields=len(engine.kept),
    )


def _result(
    model, flow, engine, rank, n_known, status, closed, history, depth, start, *, n_fields
) -> LawCount:
    n = engine.n
    if not status:
        status = "full" if rank == n else "certified"
    number = n - rank
    certified = status != "heuristic" and number == n_known
    if status == "certified" and not certified:  # only reachable through the max-rank fix-up
        status = "closed" if closed else "heuristic"
    return LawCount(
        number=number,
        state_dim=n,
        lie_dim=rank,
        n_known=n_known,
        certified=certified,
        closed=closed,
        status=status,
        lower=n_known if status == "heuristic" else number,
        upper=number,
        history=history,
        n_fields=n_fields,
        depth=depth,
        n_points=len(engine.points),
        min_gap=float(engine.min_gap),
        exact=engine.exact,
        seconds=time.perf_counter() - start,
        model=getattr(model, "name", str(model)),
        flow=str(flow),
    )


__all__ = ["LawCount", "count_laws"]

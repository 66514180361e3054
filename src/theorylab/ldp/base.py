"""The frequency-oracle interface and shared helpers (the mergeable
:class:`~theorylab.ldp.aggregate.Aggregate` lives in :mod:`theorylab.ldp.aggregate` and is
re-exported here).

A frequency oracle (Wang, Blocki, Li, Jha 2017, Section 3) is a pair: a local randomiser
run by each of n users on their item x in [k] = {0, ..., k-1}, and a server that turns the
n reports into an unbiased estimate of every item's frequency. Every oracle here has the
same interface (see :class:`Oracle`); the support-set estimator shared by most of them is
Wang et al. 2017, Eq. (2): ``c_v = (T_v - n P0) / (P1 - P0)`` with ``T_v`` the number of
reports that support ``v``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from theorylab._core.deprecation import renamed_kwargs
from theorylab._core.rng import SeedLike
from theorylab._core.validation import check_choice, check_finite, check_int, check_real
from theorylab.errors import ConvergenceError
from theorylab.ldp.aggregate import Aggregate, aggregate_reports, describe_config
from theorylab.ldp.sampling import RandomSource, as_source, log_ratio, ratio_within

#: Largest output space that :meth:`Oracle.probabilities` will enumerate.
MAX_ENUMERATION = 1 << 22


def check_epsilon(epsilon: Any) -> float:
    """``epsilon`` as a positive finite float, or a clear error."""
    return check_real(epsilon, "epsilon", min_value=0.0, strict_min=True)


def check_k(k: Any) -> int:
    """``k`` (the number of items) as an int >= 2, or a clear error."""
    return check_int(k, "k", min_value=2)


def check_items(items: Any, k: int, name: str = "items") -> np.ndarray:
    """``items`` as a 1-D int64 array with every entry in ``[0, k)``, or a clear error.

    Float, boolean and object arrays are refused (``TypeError``) even when integral.
    """
    arr = np.asarray(items)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be an array of integers in [0, {k}); got dtype {arr.dtype}")
    if arr.ndim != 1:
        if arr.ndim == 0:
            arr = arr.reshape(1)
        else:
            raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}")
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= k:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{name} must lie in [0, {k}); found {bad}")
    return arr.astype(np.int64, copy=False)


def check_int_reports(
    reports: Any, high: int, *, shape_tail: tuple[int, ...] = (), name: str = "reports"
) -> np.ndarray:
    """Integer reports of shape ``(n, *shape_tail)`` with entries in ``[0, high)``."""
    arr = np.asarray(reports)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array; got dtype {arr.dtype}")
    if arr.ndim != 1 + len(shape_tail) or tuple(arr.shape[1:]) != shape_tail:
        want = "(n" + "".join(f", {s}" for s in shape_tail) + ")"
        raise ValueError(
            f"{name} must have shape {want} for this oracle; got {arr.shape} "
            "(reports from another oracle configuration?)"
        )
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= high:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"{name} must lie in [0, {high}) for this oracle; found {bad} "
                "(reports from another oracle configuration?)"
            )
    return arr


def project_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection of ``v`` (shape (k,)) onto the probability simplex.

    Sort-based algorithm of Held, Wolfe and Crowder (1974); see Duchi et al. 2008, Fig. 1.
    """
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    ind = np.arange(1, v.size + 1)
    rho = np.nonzero(u - css / ind > 0)[0][-1]
    theta = css[rho] / (rho + 1)
    return np.maximum(v - theta, 0.0)


def normalize_estimate(freqs: np.ndarray, normalize: str | None) -> np.ndarray:
    """Post-process raw unbiased frequency estimates.

    ``None``: returned as is (unbiased). ``"clip"``: negative entries set to 0, then
    rescaled to sum to 1 (if anything is left). ``"project"``: Euclidean projection onto the
    probability simplex. Post-processing biases the estimates (Wang et al. 2020,
    "Locally differentially private frequency estimation with consistency", NDSS).
    """
    if normalize is None:
        return freqs
    check_choice(normalize, "normalize", ["clip", "project"])
    if normalize == "clip":
        out = np.maximum(freqs, 0.0)
        total = out.sum()
        return out / total if total > 0 else out
    return project_simplex(freqs)


def calibrate(start: int, ratio: Callable[[int], Fraction], epsilon: float, step: int) -> int:
    """Move the integer threshold ``start`` by ``step`` until ``ratio(m) <= e^epsilon``.

    Used to make the *realised* (rounded) sampling probabilities exactly epsilon-LDP.
    """
    m = start
    for _ in range(1 << 16):
        if ratio_within(ratio(m), epsilon):
            return m
        m += step
    raise ConvergenceError("could not calibrate the sampling threshold")  # pragma: no cover


class Oracle(ABC):
    """A locally private frequency oracle over items ``[0, k)``: a local randomiser and an
    unbiased server estimator (Wang, Blocki, Li, Jha 2017, Section 3).

    Subclasses set ``name`` and implement the randomiser and the server. Common members:

    - ``k``, ``epsilon`` (the stated privacy level), ``achieved_epsilon`` (the log of the
      worst-case probability ratio of the randomiser *as implemented*, with its rounded
      rational probabilities; always ``<= epsilon``), ``bits`` (communication per report),
      ``config`` (hashable description), ``output_size`` (number of possible reports);
    - ``privatize(items, seed=...)`` -> reports (vectorised over users);
    - ``aggregate(reports)`` -> :class:`Aggregate` (numpy or chunked ``dask.array``);
    - ``estimate(aggregate, normalize=None)`` -> ``(k,)`` frequency estimates;
    - ``variance(n, freqs=None)`` -> ``(k,)`` exact variance of the raw frequency estimates;
    - ``probabilities(item)`` -> ``(output_size,)`` exact output distribution (small cases).
    """

    name: ClassVar[str] = "oracle"

    def __init__(self, k: int, epsilon: float) -> None:
        self.k = check_k(k)
        self.epsilon = check_epsilon(epsilon)

    # ---------------------------------------------------------------- description
    @property
    @abstractmethod
    def bits(self) -> int:
        """Communication per report, in bits."""

    @property
    @abstractmethod
    def output_size(self) -> int:
        """Number of distinct reports (the size of the output space)."""

    @property
    @abstractmethod
    def statistic_size(self) -> int:
        """Length of the aggregate's ``counts`` vector."""

    def _params(self) -> tuple[tuple[str, Any], ...]:
        return ()

    @property
    def config(self) -> tuple[Any, ...]:
        """Hashable configuration: the name, ``k``, ``epsilon`` and the oracle's parameters."""
        return (self.name, ("k", self.k), ("epsilon", self.epsilon), *self._params())

    @property
    @abstractmethod
    def worst_ratio(self) -> Fraction:
        """Exact worst-case ratio ``max P(y|x) / P(y|x')`` of the realised randomiser."""

    @property
    def achieved_epsilon(self) -> float:
        """``ln(worst_ratio)``: the privacy level the implementation actually provides."""
        return log_ratio(self.worst_ratio)

    def __repr__(self) -> str:
        return describe_config(self.config)

    # ---------------------------------------------------------------- client
    @renamed_kwargs(rng="seed")
    def privatize(self, items: Any, *, seed: SeedLike | str = None) -> np.ndarray:
        """Randomise every user's item; ``items`` has shape ``(n,)``, values in ``[0, k)``.

        ``seed``: ``None`` (fresh entropy), an int, a ``numpy.random.Generator``, a
        ``torch.Generator`` or ``"secure"`` (operating-system randomness, see
        :class:`theorylab.ldp.sampling.RandomSource`). The old spelling ``rng=`` still works,
        with a ``DeprecationWarning``.
        """
        x = check_items(items, self.k)
        return self._privatize(x, as_source(seed))

    @abstractmethod
    def _privatize(self, items: np.ndarray, src: RandomSource) -> np.ndarray: ...

    # ---------------------------------------------------------------- server
    def aggregate(self, reports: Any) -> Aggregate:
        """The :class:`Aggregate` (mergeable sufficient statistic) of ``reports``.

        ``reports`` is what :meth:`privatize` returned, or a ``dask.array`` of it chunked
        along the first axis (reduced on the active Dask scheduler; see
        :func:`theorylab.ldp.aggregate.aggregate_reports` for other containers). Reports are
        validated first (shape, dtype, range); nothing is aggregated from an invalid batch.
        """
        return aggregate_reports(reports, self)

    @abstractmethod
    def _check_reports(self, reports: Any) -> np.ndarray: ...

    @abstractmethod
    def _statistic(self, reports: np.ndarray) -> np.ndarray: ...

    def _check_aggregate(self, aggregate: Any) -> Aggregate:
        if not isinstance(aggregate, Aggregate):
            raise TypeError(f"aggregate must be an Aggregate; got {type(aggregate).__name__}")
        if aggregate.config != self.config:
            raise ValueError(
                f"aggregate was built by {describe_config(aggregate.config)}, not by {self!r}"
            )
        if aggregate.n < 1:
            raise ValueError("aggregate holds no reports (n = 0)")
        return aggregate

    def estimate_counts(self, aggregate: Aggregate) -> np.ndarray:
        """Unbiased estimates of the item counts ``n_x``, shape ``(k,)``."""
        agg = self._check_aggregate(aggregate)
        return self._estimate_counts(np.asarray(agg.counts), agg.n)

    def estimate(self, aggregate: Aggregate, *, normalize: str | None = None) -> np.ndarray:
        """Frequency estimates ``(k,)``: unbiased by default; ``normalize="clip"`` or
        ``"project"`` post-processes (see :func:`normalize_estimate`)."""
        counts = self.estimate_counts(aggregate)
        return normalize_estimate(counts / aggregate.n, normalize)

    @abstractmethod
    def _estimate_counts(self, counts: np.ndarray, n: int) -> np.ndarray: ...

    # ---------------------------------------------------------------- analysis
    def _check_freqs(self, n: Any, freqs: Any) -> tuple[int, np.ndarray]:
        n = check_int(n, "n", min_value=1)
        if freqs is None:
            return n, np.zeros(self.k)
        f = np.asarray(freqs, dtype=np.float64)
        if f.shape != (self.k,):
            raise ValueError(f"freqs must have shape ({self.k},); got {f.shape}")
        check_finite(f, "freqs")
        if np.any(f < 0) or abs(f.sum() - 1.0) > 1e-6:
            raise ValueError("freqs must be a probability vector (non-negative, summing to 1)")
        return n, f

    def variance(self, n: int, freqs: Any = None) -> np.ndarray:
        """Exact variance of each raw frequency estimate, shape ``(k,)``, for ``n`` users.

        ``freqs`` (shape ``(k,)``) is the true distribution; ``None`` gives the rare-item
        limit (``f_v -> 0`` and, for blocked oracles, no other user in ``v``'s block): the
        per-user factor ``V`` (Wang et al. 2017, Section 3) divided by ``n``.
        """
        n, f = self._check_freqs(n, freqs)
        return self._variance(n, f, freqs is None)

    @abstractmethod
    def _variance(self, n: int, f: np.ndarray, rare: bool) -> np.ndarray: ...

    def probabilities(self, item: int) -> np.ndarray:
        """Exact output distribution ``P(report | item)``, shape ``(output_size,)``.

        Computed by running the sampler's own deterministic mapping over every value of its
        random inputs, weighted by their realised (rounded, rational) probabilities; indexed
        like :meth:`report_ids`. Only for output spaces up to ``2^22``.
        """
        x = check_int(item, "item", min_value=0, max_value=self.k - 1)
        if self.output_size > MAX_ENUMERATION:
            raise ValueError(
                f"output space of {self!r} has {self.output_size} reports; probabilities() "
                f"enumerates at most {MAX_ENUMERATION} (use a smaller k)"
            )
        return self._probabilities(x)

    @abstractmethod
    def _probabilities(self, item: int) -> np.ndarray: ...

    def report_ids(self, reports: Any) -> np.ndarray:
        """Each report as an integer in ``[0, output_size)`` (indexes :meth:`probabilities`)."""
        return self._report_ids(self._check_reports(reports))

    @abstractmethod
    def _report_ids(self, reports: np.ndarray) -> np.ndarray: ...


class IndexReports:
    """Mixin for oracles whose report is one integer in ``[0, output_size)`` and whose
    aggregate is the histogram of reports: ``bits = ceil(log2 output_size)``."""

    output_size: int

    @property
    def bits(self) -> int:
        return ceil_log2(self.output_size)

    @property
    def statistic_size(self) -> int:
        return self.output_size

    def _check_reports(self, reports: Any) -> np.ndarray:
        return check_int_reports(reports, self.output_size)

    def _statistic(self, reports: np.ndarray) -> np.ndarray:
        return np.bincount(reports, minlength=self.output_size)

    def _report_ids(self, reports: np.ndarray) -> np.ndarray:
        return reports.astype(np.int64)


class SupportOracle(Oracle):
    """An oracle whose report supports a set of items with P1 = P(supports x | x) and the
    same P0 = P(supports v | w) for every v != w (Wang, Blocki, Li, Jha 2017, Section 3).

    Subclasses set ``_p1`` and ``_p0`` (exact realised rationals) and ``_support(counts)``.
    """

    _p1: Fraction
    _p0: Fraction

    @property
    def p1(self) -> float:
        """P(report supports x | input x), as realised."""
        return float(self._p1)

    @property
    def p0(self) -> float:
        """P(report supports v | input w), w != v, as realised."""
        return float(self._p0)

    @property
    def per_user_variance(self) -> float:
        """``V = P0 (1 - P0) / (P1 - P0)^2``: ``Var(f_v) ~ V / n`` for rare items."""
        p1, p0 = self._p1, self._p0
        return float(p0 * (1 - p0) / (p1 - p0) ** 2)

    @abstractmethod
    def _support(self, counts: np.ndarray, n: int) -> np.ndarray:
        """Support counts ``T_v``, shape ``(k,)``, from the aggregate's ``counts``."""

    def support_counts(self, aggregate: Aggregate) -> np.ndarray:
        """``T_v`` = number of reports that support ``v``, shape ``(k,)``."""
        agg = self._check_aggregate(aggregate)
        return self._support(np.asarray(agg.counts), agg.n)

    def _estimate_counts(self, counts: np.ndarray, n: int) -> np.ndarray:
        t = self._support(counts, n).astype(np.float64)
        p1, p0 = float(self._p1), float(self._p0)
        return (t - n * p0) / (p1 - p0)

    def _variance(self, n: int, f: np.ndarray, rare: bool) -> np.ndarray:
        p1, p0 = float(self._p1), float(self._p0)
        return (f * p1 * (1 - p1) + (1 - f) * p0 * (1 - p0)) / (n * (p1 - p0) ** 2)


def ceil_log2(m: int) -> int:
    """``ceil(log2 m)`` for an int ``m >= 1`` (exact)."""
    return (int(m) - 1).bit_length()


def chunk_rows(n: int, row_cost: int, budget: int = 1 << 22) -> list[slice]:
    """Row slices of at most ``budget // row_cost`` rows each (bounded temporaries)."""
    step = max(1, budget // max(1, row_cost))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)] or [slice(0, 0)]


def log2_comb(k: int, d: int) -> float:
    """``log2 C(k, d)``."""
    return (math.lgamma(k + 1) - math.lgamma(d + 1) - math.lgamma(k - d + 1)) / math.log(2)


__all__ = [
    "Aggregate",
    "Oracle",
    "SupportOracle",
    "calibrate",
    "ceil_log2",
    "check_epsilon",
    "check_items",
    "check_k",
    "normalize_estimate",
    "project_simplex",
]

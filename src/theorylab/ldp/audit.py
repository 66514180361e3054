"""Privacy audits of local randomisers: exact (from the enumerated output distribution) and
empirical (from samples, with Clopper-Pearson confidence bounds), in the spirit of the LDP
auditing of Arcolezi and Gambs 2023 (arXiv:2309.01597), which found pure-ldp's UE bug."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from theorylab._core.deprecation import renamed_kwargs
from theorylab._core.results import Result
from theorylab._core.rng import SeedLike
from theorylab._core.validation import check_int, check_real
from theorylab.ldp.base import MAX_ENUMERATION, Oracle, check_items
from theorylab.ldp.sampling import RandomSource, as_source

#: Relative float rounding allowed in exact audits (probabilities are float64 sums/products
#: of a handful of exactly-rounded terms; their ratios carry errors far below this).
FLOAT_TOLERANCE = 1e-10


@dataclass(frozen=True, slots=True)
class AuditResult(Result):
    """Outcome of :func:`audit` (an epsilon-LDP audit in the spirit of Arcolezi and Gambs
    2023, arXiv:2309.01597).

    ``measured_epsilon``: exact mode, ``ln max_{y, x, x'} P(y|x)/P(y|x')`` from the float64
    distribution; empirical mode, a lower confidence bound on it (level ``1 - alpha``).
    ``passed``: ``measured_epsilon <= epsilon + tolerance`` (and, empirically, the samples
    fit the enumerated distribution when it is available).
    """

    oracle: str
    method: str
    epsilon: float
    achieved_epsilon: float
    measured_epsilon: float
    tolerance: float
    passed: bool
    n: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        return (
            f"[{status}] {self.oracle} ({self.method}): measured eps = {self.measured_epsilon:.6g}"
            f" vs stated {self.epsilon:.6g} (tolerance {self.tolerance:.1e}; implementation's "
            f"exact achieved eps = {self.achieved_epsilon:.17g})"
        )


def _exact(oracle: Oracle) -> AuditResult:
    P = np.array([oracle.probabilities(x) for x in range(oracle.k)])
    sums = P.sum(axis=1)
    hi, lo = P.max(axis=0), P.min(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(hi > 0, hi / lo, 1.0)
    worst = float(np.max(ratio))
    measured = math.log(worst) if math.isfinite(worst) else math.inf
    sums_ok = bool(np.all(np.abs(sums - 1) <= 1e-9))
    passed = sums_ok and measured <= oracle.epsilon + FLOAT_TOLERANCE
    return AuditResult(
        oracle=repr(oracle),
        method="exact",
        epsilon=oracle.epsilon,
        achieved_epsilon=oracle.achieved_epsilon,
        measured_epsilon=measured,
        tolerance=FLOAT_TOLERANCE,
        passed=passed,
        details={
            "max_ratio": worst,
            "worst_output": int(np.argmax(ratio)),
            "max_abs_sum_error": float(np.max(np.abs(sums - 1))),
            "outputs": int(P.shape[1]),
        },
    )


def _empirical(
    oracle: Oracle, n: int, items: np.ndarray, src: RandomSource, alpha: float
) -> AuditResult:
    size = oracle.output_size
    if size > MAX_ENUMERATION:
        raise ValueError(f"empirical audit needs output_size <= {MAX_ENUMERATION}; got {size}")
    hist = np.zeros((items.size, size), dtype=np.int64)
    for row, x in enumerate(items):
        reps = oracle._privatize(np.full(n, x, dtype=np.int64), src)  # items checked in audit
        hist[row] = np.bincount(oracle._report_ids(reps), minlength=size)
    seen = hist.sum(axis=0) > 0
    h = hist[:, seen]
    tests = 2 * h.size
    a = alpha / max(tests, 1)
    lower = stats.beta.ppf(a, h, n - h + 1)  # Clopper-Pearson one-sided bounds
    lower = np.where(h == 0, 0.0, lower)
    upper = stats.beta.ppf(1 - a, h + 1, n - h)
    upper = np.where(h == n, 1.0, upper)
    with np.errstate(divide="ignore"):
        lb = np.log(lower.max(axis=0)) - np.log(upper.min(axis=0))
    measured = float(lb.max()) if lb.size else 0.0
    details: dict[str, Any] = {"items": items.tolist(), "alpha": alpha}
    fits = True
    if size <= MAX_ENUMERATION:
        pvals = []
        for row, x in enumerate(items):
            expected = oracle.probabilities(int(x)) * n
            support = expected > 0
            if np.any(hist[row, ~support]):
                pvals.append(0.0)
                continue
            obs, exp = hist[row, support], expected[support]
            exp = exp * obs.sum() / exp.sum()
            pvals.append(float(stats.power_divergence(obs, exp, lambda_="log-likelihood").pvalue))
        details["fit_pvalue"] = min(pvals)
        fits = min(pvals) >= alpha / len(pvals)
    passed = fits and measured <= oracle.epsilon
    return AuditResult(
        oracle=repr(oracle),
        method="empirical",
        epsilon=oracle.epsilon,
        achieved_epsilon=oracle.achieved_epsilon,
        measured_epsilon=measured,
        tolerance=0.0,
        passed=passed,
        n=n,
        details=details,
    )


@renamed_kwargs(rng="seed")
def audit(
    oracle: Oracle,
    *,
    empirical: bool = False,
    n: int = 100_000,
    items: Any = None,
    seed: SeedLike | str = None,
    alpha: float = 1e-6,
) -> AuditResult:
    """Check that ``oracle``'s randomiser is ``oracle.epsilon``-LDP (the privacy audit of
    local randomisers of Arcolezi and Gambs 2023, arXiv:2309.01597, made exact here).

    Exact (default): enumerates ``P(y | x)`` for every item (``oracle.probabilities``, small
    k) and reports ``max_y max_{x,x'} ln P(y|x)/P(y|x')``, passing if it is at most epsilon up
    to :data:`FLOAT_TOLERANCE` and every row sums to 1.

    ``empirical=True``: draws ``n`` reports for each of ``items`` (default: every item when
    ``k <= 16``, else items 0 and 1) and computes a Clopper-Pearson lower confidence bound
    (family-wise level ``1 - alpha``) on the worst log-ratio; also tests (G-test) that the
    samples follow ``probabilities`` when it can be enumerated. A sampler that deviates from
    its stated distribution, or exceeds e^eps by more than the sampling error, fails.
    ``seed`` (empirical mode only; as for ``Oracle.privatize``, ``"secure"`` included)
    seeds the draws; ``None`` is fresh entropy. ``rng=`` is the deprecated spelling.
    """
    if not isinstance(oracle, Oracle):
        raise TypeError(f"oracle must be a theorylab.ldp oracle; got {type(oracle).__name__}")
    if not empirical:
        return _exact(oracle)
    n = check_int(n, "n", min_value=100)
    alpha = check_real(alpha, "alpha", min_value=0.0, max_value=1.0, strict_min=True)
    if items is None:
        items = np.arange(oracle.k) if oracle.k <= 16 else np.array([0, 1])
    items = check_items(items, oracle.k)
    return _empirical(oracle, n, items, as_source(seed), alpha)


__all__ = ["FLOAT_TOLERANCE", "AuditResult", "audit"]

"""Locally differentially private frequency estimation (frequency oracles).

n users each hold an item in ``[0, k)``; each runs an epsilon-LDP randomiser and sends one
report; the server estimates every item's frequency without bias. The oracles:

========  ==============================================  =================================
``GRR``   k-ary randomized response                       Wang, Blocki, Li, Jha 2017, §4.1
``SUE``   symmetric unary encoding (basic RAPPOR)         Erlingsson et al. 2014
``OUE``   optimized unary encoding                        Wang et al. 2017, §4.3
``OLH``   optimized local hashing (exact GF(g) hashing)   Wang et al. 2017, §4.4
``HR``    (blocked) Hadamard response                     Acharya, Sun, Zhang 2019
``RHR``   recursive Hadamard response                     Chen, Kairouz, Ozgur 2020
``SS``    subset selection                                Ye and Barg 2018
``PGR``   projective geometry response                    Feldman, Nelson, Nguyen, Talwar 2022
``HPGR``  hybrid projective geometry response             Feldman et al. 2022
========  ==============================================  =================================

Every oracle has ``k, epsilon, bits, privatize, aggregate, estimate, variance,
probabilities`` (see :class:`theorylab.ldp.base.Oracle`); ``make(name, k, epsilon, **opts)``
builds one by name; :class:`Aggregate` is the mergeable statistic (``a + b``; it refuses
other configurations; chunked ``dask.array`` reports aggregate on the active Dask
scheduler); :func:`audit` checks epsilon-LDP exactly or by sampling, and
:mod:`theorylab.ldp.controls` holds broken randomisers it must catch. Every sampling call
takes ``seed=`` (``rng=`` is the deprecated spelling).

Floating-point sampling and the stated epsilon
----------------------------------------------
The textbook way to draw "True with probability p" is ``uniform_float() < p``. Its realised
probability is not p but whatever the float grid allows (Mironov 2012 showed that such
artefacts break differential privacy; Jin et al. 2022 and Haney et al. 2022 attack DP
libraries through them). With 32-bit floats, a small probability such as GRR's keep
probability ``e^eps / (e^eps + k - 1)`` at ``k ~ 10^7`` is distorted by several percent, and
the privacy ratio with it. This package never compares a float uniform with a probability:

1. **Uniform choices are exact.** Every uniform item, subset member, seed, hash value,
   field element or point is an integer drawn with ``Generator.integers`` (unbiased
   rejection), or from OS randomness by rejection sampling (``seed="secure"``).
2. **Every Bernoulli probability is an exact rational.** A coin with probability ``p`` is
   ``U < M`` with ``U`` uniform in ``[0, 2^53)``: its probability is exactly ``M / 2^53``.
3. **Rounding goes in the private direction, and is checked exactly.** ``M`` is rounded so
   that the realised worst-case ratio ``max P(y|x) / P(y|x')`` of the whole randomiser (a
   rational number, computed with :class:`fractions.Fraction` from the realised thresholds
   and the exact integer counts of the construction) is at most ``e^eps``, verified against a
   60-digit ``e^eps``; the threshold is nudged until it is. Where the ideal probabilities are
   themselves dyadic (OUE's 1/2 keep probability, HPGR's branch ``A/(A+C)`` drawn as an
   integer comparison) they are realised exactly.
4. **The achieved epsilon is reported.** ``oracle.achieved_epsilon = ln(worst ratio)`` of
   the implementation; it is ``<= oracle.epsilon`` (typically smaller by ~1e-15), and
   ``audit(oracle)`` re-derives the ratio by enumerating the sampler's own mapping over all
   of its random inputs. The estimators and ``variance`` use the realised probabilities, so
   they stay exactly unbiased for the mechanism that actually runs.

The samplers do constant work per user (no data-dependent retry loops, which would leak the
branch through timing: the PGR sampler is rejection-free). ``seed="secure"`` draws from the
kernel CSPRNG (``os.urandom``); seeded NumPy generators (the default) are for simulation
only, since PCG64 is not cryptographically secure.
"""

from __future__ import annotations

from typing import Any

from theorylab.ldp import controls
from theorylab.ldp import dask as _dask  # noqa: F401 - registers dask.array aggregation
from theorylab.ldp.aggregate import Aggregate
from theorylab.ldp.audit import AuditResult, audit
from theorylab.ldp.base import Oracle, SupportOracle
from theorylab.ldp.grr import GRR
from theorylab.ldp.hadamard import HR, RHR
from theorylab.ldp.hashing import OLH
from theorylab.ldp.pgr import HPGR, PGR
from theorylab.ldp.subset import SS
from theorylab.ldp.unary import OUE, SUE
from theorylab.ldp.workloads import zipf_frequencies, zipf_items

ORACLES: dict[str, type[Oracle]] = {
    "grr": GRR,
    "sue": SUE,
    "rappor": SUE,
    "oue": OUE,
    "olh": OLH,
    "hr": HR,
    "rhr": RHR,
    "ss": SS,
    "pgr": PGR,
    "hpgr": HPGR,
}


def make(name: str, k: int, epsilon: float, **opts: Any) -> Oracle:
    """The oracle called ``name`` (case-insensitive: ``grr, sue`` (alias ``rappor``), ``oue,
    olh, hr, rhr, ss, pgr, hpgr``) over ``k`` items at privacy ``epsilon``; ``opts`` go to its
    constructor (e.g. ``q=4`` for PGR, ``q_prime=3`` for HPGR, ``d=`` for SS, ``g=`` for OLH).
    The sources are in the table of :mod:`theorylab.ldp` (e.g. PGR: Feldman, Nelson,
    Nguyen, Talwar 2022); the registry itself is this library's.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string; got {type(name).__name__}")
    key = name.lower()
    if key not in ORACLES:
        raise ValueError(f"name must be one of {sorted(ORACLES)}; got {name!r}")
    return ORACLES[key](k, epsilon, **opts)


__all__ = [
    "GRR",
    "HPGR",
    "HR",
    "OLH",
    "ORACLES",
    "OUE",
    "PGR",
    "RHR",
    "SS",
    "SUE",
    "Aggregate",
    "AuditResult",
    "Oracle",
    "SupportOracle",
    "audit",
    "controls",
    "make",
    "zipf_frequencies",
    "zipf_items",
]

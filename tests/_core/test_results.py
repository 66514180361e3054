import json
import math
import warnings
from dataclasses import FrozenInstanceError, dataclass, field
from fractions import Fraction
from typing import ClassVar

import numpy as np
import pytest
import torch

from theorylab._core.deprecation import deprecated_alias, renamed_kwargs
from theorylab._core.results import SKIP, Certified, Result, jsonable


@dataclass(frozen=True, slots=True)
class _Fit(Result):
    coef: np.ndarray
    loss: float
    matrix: object = field(default=None, metadata=SKIP)


@dataclass(frozen=True, slots=True)
class _Min(Certified, Result):
    value: float
    bound: float
    certified: bool
    old = deprecated_alias("bound", "old")


@dataclass(frozen=True, slots=True)
class _Max(Certified, Result):
    sense: ClassVar[str] = "max"
    lower: float
    upper: float
    certified: bool


def test_to_dict_is_json_ready():
    r = _Fit(np.array([1.0, np.inf]), np.float32(0.5), matrix=np.eye(3))
    d = r.to_dict()
    assert d == {"coef": [1.0, "inf"], "loss": 0.5}
    json.dumps(d)
    with pytest.raises(FrozenInstanceError):
        r.loss = 1.0
    assert not hasattr(r, "__dict__")
    assert jsonable({1: torch.tensor([2, 3]), "f": Fraction(1, 3), "n": np.int64(4)}) == {
        "1": [2, 3],
        "f": "1/3",
        "n": 4,
    }


def test_certified_bracket_both_senses():
    lo = _Min(value=10.0, bound=9.0, certified=True)
    assert (lo.lower, lo.upper, lo.gap) == (9.0, 10.0, 1.0)
    assert math.isclose(lo.rel_gap, 0.1)
    hi = _Max(lower=4.0, upper=5.0, certified=False)
    assert (hi.value, hi.bound, hi.gap, hi.rel_gap) == (4.0, 5.0, 1.0, 0.25)
    d = hi.to_dict()
    assert d["value"] == 4.0 and d["bound"] == 5.0 and d["gap"] == 1.0 and d["certified"] is False
    assert _Min(value=0.0, bound=-1.0, certified=False).rel_gap == math.inf
    assert _Min(value=1.0, bound=1.0, certified=True).rel_gap == 0.0


def test_deprecated_alias_warns_and_forwards():
    r = _Min(value=2.0, bound=1.0, certified=True)
    with pytest.warns(DeprecationWarning, match=r"_Min.old is deprecated, use .bound"):
        assert r.old == 1.0


def test_renamed_kwargs():
    @renamed_kwargs(rng="seed")
    def draw(n, *, seed=None):
        return np.random.default_rng(seed).random(n)

    with pytest.warns(DeprecationWarning, match="rng= is deprecated, use seed="):
        old = draw(3, rng=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.array_equal(old, draw(3, seed=5))
    with pytest.raises(TypeError, match="both rng= .deprecated. and seed="):
        draw(3, rng=1, seed=2)

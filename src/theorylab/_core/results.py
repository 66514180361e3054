"""Result types: frozen dataclasses with a JSON-ready ``to_dict()``.

Every object a theorylab function returns as a *result* (not a model or an operator) is a
``@dataclass(frozen=True, slots=True)`` subclass of :class:`Result`::

    @dataclass(frozen=True, slots=True)
    class LawCount(Result):
        number: int
        certified: bool

    LawCount(4, True).to_dict()   # {'number': 4, 'certified': True}

A solver that certifies its answer also mixes in :class:`Certified`, the one shared way to
say how good the answer is: the optimum lies in ``[lower, upper]``; ``value`` is the
objective of the returned point, ``bound`` the certified bound on the optimum (a lower
bound for a minimisation, an upper bound for a maximisation), ``gap = upper - lower`` and
``rel_gap = gap / |value|``; ``certified`` says whether the gap met the requested tolerance.
"""

from __future__ import annotations

import dataclasses
import enum
import fractions
import math
import numbers
from pathlib import PurePath
from typing import Any, ClassVar

import numpy as np

# fields whose metadata holds {"to_dict": False} are left out of to_dict() (large operators,
# callables); everything else is converted by jsonable()
SKIP = {"to_dict": False}


def jsonable(x: Any) -> Any:
    """``x`` converted to plain JSON types: arrays and tensors to (nested) lists, numpy
    scalars to Python numbers, non-finite floats to the strings ``"inf"``/``"-inf"``/``"nan"``,
    results and dataclasses to dicts, mappings to dicts with string keys, anything else to
    its ``str``."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, Result):
        return x.to_dict()
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: jsonable(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, enum.Enum):
        return jsonable(x.value)
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, fractions.Fraction):
        return str(x)
    if isinstance(x, numbers.Real):
        x = float(x)
        return x if math.isfinite(x) else str(x)
    if isinstance(x, numbers.Complex):
        return {"real": jsonable(x.real), "imag": jsonable(x.imag)}
    if isinstance(x, np.ndarray):
        return [jsonable(v) for v in x.tolist()] if x.dtype.kind in "fc" else x.tolist()
    if type(x).__module__.startswith("torch") and hasattr(x, "detach"):
        return jsonable(x.detach().cpu().numpy())
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in x]
    if isinstance(x, PurePath):
        return str(x)
    return str(x)


class Result:
    """Base of theorylab's result types (see the module docstring; this library's
    convention). Subclasses are ``@dataclass(frozen=True, slots=True)``."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values (``json.dumps(r.to_dict())`` always works)."""
        out = {
            f.name: jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if f.metadata.get("to_dict", True)
        }
        if isinstance(self, Certified):
            for name in ("value", "bound", "lower", "upper", "gap", "rel_gap", "certified"):
                if name not in out and hasattr(self, name):
                    out[name] = jsonable(getattr(self, name))
        return out


class Certified:
    """Mixin for results that bracket an optimal value (see the module docstring).

    A subclass stores either ``value`` and ``bound`` or ``lower`` and ``upper`` as fields,
    sets ``sense`` (``"min"`` or ``"max"``) and stores ``certified`` (the gap met its
    tolerance); the other pair, ``gap`` and ``rel_gap`` are derived (this library's
    convention). The derived names are attached to each subclass when it is defined, so
    that no inherited attribute is mistaken for a field default by ``dataclass``."""

    __slots__ = ()
    sense: ClassVar[str] = "min"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names: set[str] = set()
        for klass in cls.__mro__:
            names |= set(vars(klass).get("__annotations__", {}))
        if {"value", "bound"} <= names:
            derived = _FROM_VALUE
        elif {"lower", "upper"} <= names:
            derived = _FROM_BRACKET
        else:
            raise TypeError(
                f"{cls.__name__}: a Certified result stores value and bound, or lower and upper"
            )
        for name, prop in {**derived, **_GAPS}.items():
            if name not in names:
                setattr(cls, name, prop)


def _is_min(self: Any) -> bool:
    if self.sense not in ("min", "max"):
        raise ValueError(f"{type(self).__name__}.sense must be 'min' or 'max'; got {self.sense!r}")
    return self.sense == "min"


def _gap(self: Any) -> float:
    return float(self.upper - self.lower)


def _rel_gap(self: Any) -> float:
    gap = self.gap
    if gap <= 0:
        return 0.0
    return gap / abs(self.value) if self.value != 0 else math.inf


_FROM_VALUE = {
    "lower": property(
        lambda self: self.bound if _is_min(self) else self.value,
        doc="Lower end of the bracket of the optimum.",
    ),
    "upper": property(
        lambda self: self.value if _is_min(self) else self.bound,
        doc="Upper end of the bracket of the optimum.",
    ),
}
_FROM_BRACKET = {
    "value": property(
        lambda self: self.upper if _is_min(self) else self.lower,
        doc="Objective value of the returned point (upper for a min, lower for a max).",
    ),
    "bound": property(
        lambda self: self.lower if _is_min(self) else self.upper,
        doc="Certified bound on the optimum (lower for a min, upper for a max).",
    ),
}
_GAPS = {
    "gap": property(_gap, doc="``upper - lower`` (>= 0 up to rounding when the bound is valid)."),
    "rel_gap": property(
        _rel_gap, doc="``gap / |value|`` (0 when the gap is <= 0, inf when only the value is 0)."
    ),
}


__all__ = ["SKIP", "Certified", "Result", "jsonable"]

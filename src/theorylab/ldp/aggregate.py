"""The mergeable :class:`Aggregate` of a batch of reports, and :func:`aggregate_reports`, the
one dispatch point that turns reports into it.

``aggregate_reports(reports, oracle)`` is a :func:`functools.singledispatch` function on
the type of ``reports``: in-memory arrays use the oracle's own statistic; other containers
register an implementation (:mod:`theorylab.ldp.dask` registers chunked ``dask.array``
reports). Imports run one way: :mod:`theorylab.ldp.base` uses this module, the backends
register into it, and nothing here imports a backend.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from theorylab._core.results import Result

if TYPE_CHECKING:  # pragma: no cover
    from theorylab.ldp.base import Oracle


def describe_config(config: tuple[Any, ...]) -> str:
    """``"PGR(k=1024, epsilon=1.0, q=4, t=6)"`` from an oracle's ``config`` (this library)."""
    name, *params = config
    return f"{name}(" + ", ".join(f"{k}={v!r}" for k, v in params) + ")"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Aggregate(Result):
    """The mergeable sufficient statistic of a batch of reports (this library's format; the
    histogram of reports of Feldman, Nelson, Nguyen, Talwar 2022, and the support counts of
    Wang, Blocki, Li, Jha 2017, Section 3).

    ``config`` identifies the oracle configuration (name and every parameter); ``n`` is the
    number of reports; ``counts`` is the oracle's integer statistic (a histogram of reports
    or support counts; its meaning is oracle-specific, its length is
    ``oracle.statistic_size``), a read-only int64 copy. ``a + b`` merges two shards (it
    refuses different configurations), ``sum(shards)`` works, and the object is immutable:
    an error while aggregating a new chunk never alters an existing aggregate.
    """

    config: tuple[Any, ...]
    n: int
    counts: np.ndarray

    def __post_init__(self) -> None:
        counts = np.array(self.counts, dtype=np.int64, copy=True)
        counts.setflags(write=False)
        object.__setattr__(self, "n", int(self.n))
        object.__setattr__(self, "counts", counts)

    def __add__(self, other: object) -> Aggregate:
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        if not isinstance(other, Aggregate):
            return NotImplemented
        if other.config != self.config:
            raise ValueError(
                "cannot merge aggregates of different oracle configurations: "
                f"{describe_config(self.config)} vs {describe_config(other.config)}"
            )
        return Aggregate(self.config, self.n + other.n, self.counts + other.counts)

    __radd__ = __add__

    def __repr__(self) -> str:
        return f"Aggregate({describe_config(self.config)}, n={self.n})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Aggregate, (self.config, self.n, np.asarray(self.counts)))


@functools.singledispatch
def aggregate_reports(reports: Any, oracle: Oracle) -> Aggregate:
    """The :class:`Aggregate` of ``reports`` (what ``oracle.privatize`` returned), after
    validating them (shape, dtype, range). Dispatches on the type of ``reports``; this
    default handles in-memory arrays (this library's aggregation protocol)."""
    arr = oracle._check_reports(reports)
    return Aggregate(oracle.config, arr.shape[0], oracle._statistic(arr))


__all__ = ["Aggregate", "aggregate_reports", "describe_config"]

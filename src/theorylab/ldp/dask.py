"""Aggregation of chunked ``dask.array`` reports on the active Dask scheduler.

Importing this module registers :func:`aggregate_dask` into
:func:`theorylab.ldp.aggregate.aggregate_reports` for every ``dask.array.Array`` (matched by
a virtual base class, so that dask itself is imported only when a dask array is
aggregated); :mod:`theorylab.ldp` imports it, so ``oracle.aggregate(dask_array)`` just works.
"""

from __future__ import annotations

import abc
import operator
from typing import TYPE_CHECKING, Any

from theorylab.ldp.aggregate import Aggregate, aggregate_reports

if TYPE_CHECKING:  # pragma: no cover
    from theorylab.ldp.base import Oracle


class DaskArray(abc.ABC):  # noqa: B024 - a virtual base, matched by __subclasshook__
    """Virtual base class of ``dask.array.Array`` (and its subclasses), recognised without
    importing dask (this library)."""

    @classmethod
    def __subclasshook__(cls, other: type) -> bool:
        return (
            any(
                c.__name__ == "Array" and c.__module__.split(".")[:2] == ["dask", "array"]
                for c in other.__mro__
            )
            or NotImplemented
        )


@aggregate_reports.register(DaskArray)
def aggregate_dask(reports: Any, oracle: Oracle) -> Aggregate:
    """``oracle.aggregate`` of a ``dask.array`` chunked along the first axis (this library).

    Each chunk is validated and reduced to an :class:`~theorylab.ldp.aggregate.Aggregate`
    where it lives; the partial aggregates are merged by a binary tree of additions, and only
    the final (k-sized) statistic comes back. Runs on the current Dask scheduler (a
    ``distributed.Client`` if one is active, e.g. through ``theorylab._core.parallel``).
    """
    import dask

    arr = reports
    if arr.ndim > 1 and any(len(c) > 1 for c in arr.chunks[1:]):
        arr = arr.rechunk({i: -1 for i in range(1, arr.ndim)})
    blocks = list(arr.to_delayed().ravel())
    if not blocks:
        raise ValueError("reports has no chunks")
    parts = [dask.delayed(oracle.aggregate)(b) for b in blocks]
    while len(parts) > 1:
        pairs = zip(parts[::2], parts[1::2], strict=False)
        nxt = [dask.delayed(operator.add)(a, b) for a, b in pairs]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
    return parts[0].compute()


__all__ = ["DaskArray", "aggregate_dask"]

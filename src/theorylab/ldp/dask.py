"""Aggregation of chunked ``dask.array`` reports on the active Dask scheduler."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from theorylab.ldp.base import Aggregate, Oracle


def aggregate_dask(oracle: Oracle, reports: Any) -> Aggregate:
    """``oracle.aggregate`` of a ``dask.array`` chunked along the first axis.

    Each chunk is validated and reduced to an :class:`~theorylab.ldp.base.Aggregate` where it
    lives; the partial aggregates are merged by a binary tree of additions, and only the
    final (k-sized) statistic comes back. Runs on the current Dask scheduler (a
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

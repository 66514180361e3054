"""Burer–Monteiro SDP solver with certificates, and where low rank fails.

Solves ``min <C, X>`` s.t. ``diag(X) = 1``, ``X`` PSD (MaxCut, Z2 synchronization, any
diagonal-constrained SDP) by factoring ``X = Y Y^T`` on the oblique manifold (Burer &
Monteiro 2003), with the mixing method (Wang, Chang, Kolter 2017) and Riemannian trust
regions (Absil, Baker, Gallivan 2007), the Riemannian staircase (Boumal 2015), a rigorous
dual certificate, the rank rules of Barvinok–Pataki, Boumal–Voroninski–Bandeira (2016/2020)
and Waldspurger–Waters (2020), and costs with spurious second-order critical points.

Results are frozen (``to_dict()`` for JSON); the certifying ones (``SDPResult``,
``Certificate``, ``MaxCutResult``, ``IPMResult``) share ``value`` / ``bound`` / ``lower`` /
``upper`` / ``gap`` / ``rel_gap``. Every sampling function takes ``seed`` (default ``None``:
fresh entropy).

Quickstart::

    from theorylab.sdp import maxcut, erdos_renyi
    res = maxcut(erdos_renyi(1000, 20, seed=0), seed=0)
    res.sdp_value, res.upper_bound, res.certified, res.cut_value
"""

from theorylab.sdp.certificate import Certificate, certificate
from theorylab.sdp.graphs import (
    as_adjacency,
    erdos_renyi,
    goe_cost,
    read_gset,
    sync_overlap,
    toroidal_grid,
    z2_synchronization,
)
from theorylab.sdp.ipm import IPMResult, hrvw
from theorylab.sdp.maxcut import MaxCutResult, cut_values, gw_round, maxcut
from theorylab.sdp.problem import (
    cost_value,
    normalize_rows,
    random_point,
    riemannian_gradient,
    riemannian_hessian,
)
from theorylab.sdp.ranks import rank_barvinok_pataki, rank_threshold, rank_ww
from theorylab.sdp.solver import SDPResult, solve_diag_sdp
from theorylab.sdp.spurious import (
    CriticalityReport,
    hidden_curvature_ratio,
    is_second_order_critical,
    spurious_instance,
)

__all__ = [
    "Certificate",
    "CriticalityReport",
    "IPMResult",
    "MaxCutResult",
    "SDPResult",
    "as_adjacency",
    "certificate",
    "cost_value",
    "cut_values",
    "erdos_renyi",
    "goe_cost",
    "gw_round",
    "hidden_curvature_ratio",
    "hrvw",
    "is_second_order_critical",
    "maxcut",
    "normalize_rows",
    "random_point",
    "rank_barvinok_pataki",
    "rank_threshold",
    "rank_ww",
    "read_gset",
    "riemannian_gradient",
    "riemannian_hessian",
    "solve_diag_sdp",
    "spurious_instance",
    "sync_overlap",
    "toroidal_grid",
    "z2_synchronization",
]

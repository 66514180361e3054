"""MaxCut SDP with a certified bound, and a cost where rank p fails but p + 1 works.

Run: ``.venv/bin/python examples/sdp_maxcut.py``.
"""

import numpy as np

from theorylab.sdp import (
    certificate,
    erdos_renyi,
    is_second_order_critical,
    maxcut,
    solve_diag_sdp,
    spurious_instance,
)

# 1. MaxCut of a random graph (n = 1000, average degree 20), certified to 1e-6
res = maxcut(erdos_renyi(1000, 20, seed=0), tol=1e-6, seed=0)
print(
    f"SDP value {res.sdp_value:.4f} <= SDP* <= {res.upper_bound:.4f} (certified: {res.certified})"
)
print(
    f"rank {res.rank}, cut {res.cut_value:.0f} = {res.cut_value / res.upper_bound:.3f} of the bound"
)
print(f"{res.seconds:.2f} s, lambda_min(S) = {res.lambda_min:.2e}")

# 2. Waldspurger–Waters regime: a spurious second-order critical point at rank p = 4
C, V = spurious_instance(20, 4, seed=0)
rep = is_second_order_critical(C, V)
cert = certificate(C, V, seed=0)
print(
    f"grad {rep.grad_norm:.1e}, min Hessian (mod rotations) {rep.hess_min:.3e}, "
    f"lambda_min(S) in [{cert.lambda_interval[0]:.4e}, {cert.lambda_interval[1]:.4e}]"
)

# 3. one staircase step along the escape direction reaches the optimum at rank p + 1
Y1 = np.hstack([V, np.zeros((20, 1))]) + 0.1 * cert.escape_direction(V)
step = solve_diag_sdp(C, rank=5, Y0=Y1, tol=1e-8, seed=0)
print(
    f"f(V) = {cert.value:.2e} -> {step.value:.6f} (certified {step.certified}, gap {step.gap:.1e})"
)

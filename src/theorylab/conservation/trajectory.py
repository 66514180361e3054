"""Integrate the gradient flow (or heavy-ball flow) of a real PyTorch network with a
high-order ODE solver and record its laws along the trajectory.

The flow θ̇ = −∇L(θ) (or θ̈ + τθ̇ = −∇L(θ)) is integrated with SciPy's DOP853 at tight
tolerances (ReLU kinks make tighter ones costly: 1e-9 keeps drift near 1e-10), so that
drift of a conserved quantity measures the integrator's error only.
Used to check laws "along real trajectories" (Marcotte, Gribonval, Peyré 2023, Sec. 2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.integrate import solve_ivp
from torch import nn
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from theorylab._core.results import Result
from theorylab._core.validation import check_int, check_real
from theorylab.errors import ConvergenceError


class FlowStalled(ConvergenceError):
    """The ODE solver made no progress: after ``max_evals`` gradient evaluations it had not
    reached ``t_end``, typically because a ReLU flow slides along a kink (a Filippov
    solution, not a classical one); this library's convention. A ``ConvergenceError``, hence
    also a ``RuntimeError``."""


@dataclass(frozen=True, slots=True)
class Trajectory(Result):
    """A flow integrated by :func:`integrate_flow`: times ``(T,)``, flat parameters
    ``(T, D)`` (in the order of ``module.parameters()``), loss values ``(T,)``, the number of
    right-hand-side evaluations ``nfev``, and the velocities ``(T, D)`` for the heavy-ball flow
    (None for the gradient flow). The flows are those of Marcotte, Gribonval, Peyré 2023,
    Sec. 2 (gradient) and 2024, Sec. 3 (heavy ball)."""

    times: np.ndarray
    params: np.ndarray
    losses: np.ndarray
    nfev: int
    velocities: np.ndarray | None = None


def integrate_flow(
    module: nn.Module,
    loss: Callable[[nn.Module], torch.Tensor],
    t_end: float,
    *,
    tau: float | None = None,
    velocity: np.ndarray | None = None,
    n_eval: int = 50,
    rtol: float = 1e-9,
    atol: float = 1e-11,
    max_evals: int = 50_000,
) -> Trajectory:
    """Integrate the gradient flow of ``loss(module)`` (``tau=None``) or the heavy-ball flow
    θ̈ + τθ̇ = −∇L (``tau >= 0``, from the initial ``velocity``, default at rest) up to
    time ``t_end``.

    ReLU networks can reach a kink where the flow slides along it (a Filippov solution, not
    a classical one); the solver then shrinks its step forever. After ``max_evals`` gradient
    evaluations :class:`FlowStalled` says so, instead of hanging; any other failure of the
    solver is a :class:`~theorylab.errors.ConvergenceError` (both subclass ``RuntimeError``).
    ``module`` is left at the final point. The returned parameters are in the order of
    ``module.parameters()`` (``torch.nn.utils.parameters_to_vector``). The flows are those
    of Marcotte, Gribonval, Peyré 2023, Sec. 2 and 2024, Sec. 3; the solver is SciPy's DOP853.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    if not callable(loss):
        raise TypeError(f"loss must be a callable module -> Tensor; got {type(loss).__name__}")
    t_end = check_real(t_end, "t_end", min_value=0.0, strict_min=True)
    n_eval = check_int(n_eval, "n_eval", min_value=2)
    rtol = check_real(rtol, "rtol", min_value=0.0, strict_min=True)
    atol = check_real(atol, "atol", min_value=0.0, strict_min=True)
    max_evals = check_int(max_evals, "max_evals", min_value=1)
    params = list(module.parameters())
    if not params:
        raise ValueError("module has no parameters to integrate")
    theta0 = parameters_to_vector(params).detach().double().cpu().numpy()
    D = theta0.size
    dtype = params[0].dtype
    evals = [0]

    def grad(theta: np.ndarray) -> tuple[np.ndarray, float]:
        evals[0] += 1
        if evals[0] > max_evals:
            raise FlowStalled(
                f"the ODE solver used {max_evals} gradient evaluations without reaching t_end: "
                "the flow is probably sliding along a ReLU kink; shorten t_end or change the data"
            )
        vector_to_parameters(torch.as_tensor(theta, dtype=dtype), params)
        for p in params:
            p.grad = None
        value = loss(module)
        value.backward()
        g = torch.cat([p.grad.reshape(-1) for p in params]).double().cpu().numpy()
        return g, float(value.detach())

    if tau is None:

        def rhs(_t, y):
            return -grad(y)[0]

        y0 = theta0
    else:
        tau = check_real(tau, "tau", min_value=0.0)

        def rhs(_t, y):
            return np.concatenate([y[D:], -tau * y[D:] - grad(y[:D])[0]])

        v0 = np.zeros(D) if velocity is None else np.asarray(velocity, dtype=np.float64)
        if v0.shape != (D,):
            raise ValueError(f"velocity must have shape ({D},); got {v0.shape}")
        y0 = np.concatenate([theta0, v0])
    times = np.linspace(0.0, t_end, n_eval)
    sol = solve_ivp(rhs, (0.0, t_end), y0, method="DOP853", t_eval=times, rtol=rtol, atol=atol)
    if not sol.success:
        raise ConvergenceError(f"the ODE solver failed: {sol.message}")
    thetas = sol.y[:D].T
    losses = np.array([grad(th)[1] for th in thetas])
    vector_to_parameters(torch.as_tensor(thetas[-1], dtype=dtype), params)
    velocities = None if tau is None else sol.y[D:].T
    return Trajectory(times, thetas, losses, int(sol.nfev), velocities)

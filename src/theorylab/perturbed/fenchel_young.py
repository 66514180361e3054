"""The perturbed Fenchel-Young loss (Berthet et al. 2020, §4; Blondel, Martins, Niculae 2020).

For a maximisation problem and a target solution ``y``,

    L_eps(theta; y) = F_eps(theta) + eps Omega(y) - <theta, y>  >= 0,
    grad_theta L_eps = y*_eps(theta) - y,

with ``F_eps(theta) = E[max_{y'} <y', theta + eps Z>]``. The gradient needs no integration by
parts: ``(1/M) sum_m y_m - y`` is unbiased and has low variance, which is why a handful of
samples suffices in practice. ``Omega(y)`` does not depend on ``theta`` and is dropped: the
value returned is the real Monte-Carlo estimate

    L_hat = (1/M) sum_m <theta_tilde_m, y_m> - <theta, y>,

whose expectation is ``L_eps(theta; y) - eps Omega(y)`` (``>= 0`` for ``y`` in ``C``; for Gumbel
noise it is ``>= eps gamma <1, y>`` since ``E[Z] = gamma``). For minimisation (costs, e.g.
shortest paths) the signs flip: ``L = <theta, y> - E[min <y', theta_tilde>]`` with gradient
``y - y*_eps(theta)``. With the multiplicative perturbation ``theta_tilde = theta *
exp(eps Z - eps^2/2)`` the envelope theorem gives the gradient ``E[exp(eps Z - eps^2/2) * y_m] -
y`` (Dalle et al. 2022), which is what is used then.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.autograd.function import once_differentiable

from theorylab._core.rng import SeedLike
from theorylab._core.validation import check_choice
from theorylab.perturbed.noise import EULER_GAMMA, Noise
from theorylab.perturbed.optimizer import PerturbedOptimizer, SolverFn


class FenchelYoungLoss(torch.nn.Module):
    """The perturbed Fenchel-Young loss ``loss(theta, y)`` of Berthet, Blondel, Teboul, Cuturi,
    Vert, Bach (2020), a Fenchel-Young loss in the sense of Blondel, Martins, Niculae (2020);
    see the module docstring.

    Args:
        solver: as in :func:`~theorylab.perturbed.perturbed`.
        maximize: ``True`` if ``solver`` maximises ``<y, theta>`` (argmax, ranks, ...),
            ``False`` if it minimises (shortest paths). A built-in solver whose sense disagrees
            is refused.
        n_samples, sigma, noise, mode, batched, seed, workers, exact, event_dims: as in
            :func:`~theorylab.perturbed.perturbed` (``exact=True``: Gumbel noise with
            ``solvers.argmax``, where ``F_eps(theta) = sigma logsumexp(theta/sigma) + sigma
            gamma`` in closed form).
        reduction: ``"mean"`` (default) or ``"sum"`` over the batch, or ``"none"``.

    ``loss(theta, y)`` takes ``theta`` of shape ``(*batch, *event)`` and targets ``y`` of the same
    shape; its gradient in ``theta`` is ``y_eps - y`` (maximize) or ``y - y_eps`` (minimize),
    computed from the same samples as the value.
    """

    def __init__(
        self,
        solver: SolverFn,
        *,
        maximize: bool = True,
        n_samples: int = 100,
        sigma: float = 1.0,
        noise: str | Noise = "normal",
        mode: str = "additive",
        batched: bool = True,
        seed: SeedLike = None,
        workers: int = 0,
        exact: bool = False,
        event_dims: int | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        if not isinstance(maximize, bool):
            raise TypeError(f"maximize must be a bool; got {type(maximize).__name__}")
        sense = getattr(solver, "maximize", None)
        if isinstance(sense, bool) and sense != maximize:
            raise ValueError(
                f"maximize={maximize}, but solver {solver!r} "
                f"{'maximises' if sense else 'minimises'} <y, theta>; pass maximize={sense}"
            )
        self.maximize = maximize
        self.reduction = check_choice(reduction, "reduction", ("mean", "sum", "none"))
        self.perturbed = PerturbedOptimizer(
            solver,
            n_samples=n_samples,
            sigma=sigma,
            noise=noise,
            mode=mode,
            batched=batched,
            seed=seed,
            workers=workers,
            exact=exact,
            event_dims=event_dims,
        )

    def forward(
        self, theta: torch.Tensor, y: torch.Tensor, *, noise_samples: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The loss (reduced over the batch); ``noise_samples`` fixes the noise."""
        layer = self.perturbed
        theta = layer._check_theta(theta)
        if not isinstance(y, torch.Tensor):
            raise TypeError(f"y must be a torch.Tensor; got {type(y).__name__}")
        if tuple(y.shape) != tuple(theta.shape):
            raise ValueError(
                f"y must have theta's shape {tuple(theta.shape)}; got {tuple(y.shape)}"
            )
        y = y.to(dtype=theta.dtype, device=theta.device)
        if layer.exact:
            s = layer.sigma
            value = s * torch.logsumexp(theta / s, dim=-1) + s * EULER_GAMMA
            loss = value - (theta * y).sum(dim=-1)
        else:
            loss = _FenchelYoungFunction.apply(theta, y, self, noise_samples)
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss

    def extra_repr(self) -> str:
        return f"maximize={self.maximize}, {self.perturbed!r}"


class _FenchelYoungFunction(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        theta: torch.Tensor,
        y: torch.Tensor,
        module: FenchelYoungLoss,
        noise: torch.Tensor | None,
    ) -> torch.Tensor:
        layer = module.perturbed
        theta_d = theta.detach()
        draws = layer.draw(theta_d, noise)
        dims = tuple(range(theta.ndim - layer.event_dims, theta.ndim))
        batch = theta.shape[: theta.ndim - layer.event_dims]
        sign = 1.0 if module.maximize else -1.0
        value = draws.inner(draws.pert).mean(dim=0).reshape(batch)
        loss = sign * (value - (theta_d * y.detach()).sum(dim=dims))
        if layer.mode == "multiplicative":
            # envelope theorem: grad F_eps = E[exp(eps Z - shift) y_m] = E[(theta~/theta) y_m]
            first = draws.weighted_mean(draws.pert / theta_d.reshape(1, draws.b, draws.d))
        else:
            first = draws.mean()
        ctx.save_for_backward(sign * (first.reshape(theta.shape) - y.detach()), theta_d)
        ctx.sign = sign
        ctx.event_dims = layer.event_dims
        return loss

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[Any, ...]:
        diff, theta = ctx.saved_tensors
        g = grad_output.reshape(*grad_output.shape, *([1] * ctx.event_dims))
        grad_y = -ctx.sign * theta * g if ctx.needs_input_grad[1] else None
        return diff * g, grad_y, None, None


__all__ = ["FenchelYoungLoss"]

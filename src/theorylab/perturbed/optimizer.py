"""The perturbed maximizer ``y*_eps(theta) = E[y*(theta + eps Z)]`` as a PyTorch layer
(Berthet, Blondel, Teboul, Cuturi, Vert, Bach, NeurIPS 2020, §3).

Forward: ``M`` noise draws ``Z_m`` on ``theta``'s device, **one** solver call on the
``(M * B, *event)`` batch of perturbed inputs, and the mean ``(1/M) sum_m y_m``.
Backward: the Monte-Carlo Jacobian obtained by integration by parts (Berthet et al. 2020,
Prop. 3.1),

    J_theta y*_eps(theta) = (1/eps) E[ y*(theta + eps Z) grad_nu(Z)^T ],

contracted with the upstream gradient ``v``: ``g = (1/(M eps)) sum_m <y_m, v> grad_nu(Z_m)``.
No new solves are needed in the backward pass; the solver is a black box.

Options: Normal or Gumbel noise (or any :class:`~theorylab.perturbed.noise.Noise`), the
multiplicative perturbation ``theta * exp(eps Z - eps^2/2)`` of Dalle et al. (2022) for
sign-sensitive solvers, the leave-one-out and unperturbed-baseline control variates, per-instance
solvers (``batched=False``) and a chunked process pool for expensive per-instance solvers
(``workers > 0``), and the closed form ``softmax(theta / eps)`` of the Gumbel-max trick
(``exact=True``).

The Monte-Carlo error of the gradient falls like ``1/sqrt(n_samples)`` and grows like
``1/sigma``: on a 16 x 10 Gumbel argmax at ``sigma = 1`` its relative L2 error against the
exact softmax Jacobian is about 2.7 at ``M = 10``, 0.8 at ``M = 100`` and 0.27 at ``M = 1000``.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from theorylab._core.rng import SeedLike, as_torch_generator
from theorylab._core.validation import check_choice, check_int, check_real
from theorylab.perturbed.noise import Gumbel, Noise, as_noise
from theorylab.perturbed.solvers import Argmax

SolverFn = Callable[[torch.Tensor], Any]
_MASK63 = (1 << 63) - 1


def _solve_chunk(args: tuple[SolverFn, bool, torch.Tensor]) -> torch.Tensor:
    """Worker: solve one chunk ``(n, *event)`` (batched call, or one call per instance)."""
    solver, batched, chunk = args
    if batched:
        return _as_tensor(solver(chunk), chunk)
    return torch.stack([_as_tensor(solver(x), x) for x in chunk])


def _as_tensor(out: Any, like: torch.Tensor) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, np.ndarray | np.generic | list | tuple | float | int):
        return torch.as_tensor(np.asarray(out))
    raise TypeError(f"solver must return a torch.Tensor or a NumPy array; got {type(out).__name__}")


def _resolve_seed(seed: SeedLike) -> int | torch.Generator:
    """An int (for per-device generators) or a user ``torch.Generator`` (used as is)."""
    if isinstance(seed, torch.Generator):
        return seed
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, _MASK63))
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0]) & _MASK63
    as_torch_generator(seed)  # validates (TypeError/ValueError naming seed)
    return int(seed)


class PerturbedOptimizer:
    """Make ``solver`` differentiable: ``theta -> y*_eps(theta) = E[solver(theta + sigma Z)]``.

    Berthet et al. (2020), §3: the perturbed maximizer and its Monte-Carlo Jacobian by
    integration by parts, ``(1/sigma) E[y*(theta + sigma Z) grad_nu(Z)^T]`` (Prop. 3.1).

    Args:
        solver: ``(N, *event) -> (N, *event)`` (``batched=True``, the default: all
            ``n_samples * batch`` perturbed problems go to **one** call), or ``event ->
            event`` (``batched=False``). It returns a floating-point tensor or NumPy array.
            ``event`` has ``solver.event_dims`` dimensions (1 when it has no such attribute;
            override with ``event_dims``). The solvers of :mod:`theorylab.perturbed.solvers`
            are ready to use.
        n_samples: Monte-Carlo samples ``M`` per instance; the gradient error falls like
            ``1/sqrt(M)``.
        sigma: noise scale ``eps > 0``; the gradient error grows like ``1/sigma``.
        noise: ``"normal"`` (``grad_nu(z) = z``), ``"gumbel"`` (``1 - exp(-z)``) or a
            :class:`~theorylab.perturbed.noise.Noise`.
        mode: ``"additive"`` (``theta + sigma Z``) or ``"multiplicative"``
            (``theta * exp(sigma Z - sigma^2/2)`` for normal noise; keeps signs, e.g. for
            shortest paths on non-negative costs; Dalle et al. 2022).
        control_variate: ``None``; ``"loo"`` (leave-one-out: ``r_m - mean_{j != m} r_j``,
            free, needs ``M >= 2``); or ``"baseline"`` (subtracts ``<y*(theta), v>``, one
            extra solve). Both keep the gradient unbiased.
        batched: whether ``solver`` takes a batch.
        seed: int, None, ``numpy.random.Generator`` or ``torch.Generator``. Noise is drawn on
            ``theta``'s device by a ``torch.Generator`` seeded from ``seed`` (one per
            device); the same seed gives the same sequence of outputs.
        workers: ``> 0`` runs the solver in a pool of that many processes, on chunks of the
            batch (worth it only for expensive solvers such as :func:`solvers.lp`; the solver
            must be picklable).
        exact: with ``solvers.argmax`` and ``noise="gumbel"``, return the closed form
            ``softmax(theta / sigma)`` and its exact Jacobian (the Gumbel-max trick).
        event_dims: trailing dimensions of one instance (default: ``solver.event_dims``).

    Call the result on ``theta`` of shape ``(*batch, *event)``: it returns the Monte-Carlo
    mean ``y*_eps(theta)`` of the same shape (``noise_samples=`` fixes the noise).
    :meth:`samples` and :meth:`draw` give the individual draws; :meth:`close` shuts down the
    worker pool (also a context manager).
    """

    def __init__(
        self,
        solver: SolverFn,
        *,
        n_samples: int = 100,
        sigma: float = 1.0,
        noise: str | Noise = "normal",
        mode: str = "additive",
        control_variate: str | None = None,
        batched: bool = True,
        seed: SeedLike = None,
        workers: int = 0,
        exact: bool = False,
        event_dims: int | None = None,
    ) -> None:
        if not callable(solver):
            raise TypeError(f"solver must be callable (N, *event) -> (N, *event); got {solver!r}")
        self.solver = solver
        self.n_samples = check_int(n_samples, "n_samples", min_value=1)
        self.sigma = check_real(sigma, "sigma", min_value=0.0, strict_min=True)
        self.noise = as_noise(noise)
        self.mode = check_choice(mode, "mode", ("additive", "multiplicative"))
        if control_variate is not None:
            check_choice(control_variate, "control_variate", ("loo", "baseline"))
        if control_variate == "loo" and self.n_samples < 2:
            raise ValueError("n_samples must be >= 2 with control_variate='loo'")
        self.control_variate = control_variate
        if not isinstance(batched, bool):
            raise TypeError(f"batched must be a bool; got {type(batched).__name__}")
        self.batched = batched
        self.workers = check_int(workers, "workers", min_value=0)
        if not isinstance(exact, bool):
            raise TypeError(f"exact must be a bool; got {type(exact).__name__}")
        if exact and not (
            isinstance(solver, Argmax) and isinstance(self.noise, Gumbel) and mode == "additive"
        ):
            raise ValueError(
                "exact=True needs solver=solvers.argmax, noise='gumbel' and mode='additive' "
                "(the closed form softmax(theta / sigma) of the Gumbel-max trick)"
            )
        self.exact = exact
        dims = getattr(solver, "event_dims", 1) if event_dims is None else event_dims
        self.event_dims = check_int(dims, "event_dims", min_value=1)
        self._shift = 0.0
        if self.mode == "multiplicative":
            shift = self.noise.log_mgf(self.sigma)
            self._shift = 0.0 if shift is None else shift
        self._seed = _resolve_seed(seed)
        self._generators: dict[str, torch.Generator] = {}
        self._pool: cf.ProcessPoolExecutor | None = None
        self._finalizer: weakref.finalize | None = None

    # ------------------------------------------------------------------ randomness
    def generator(self, device: torch.device) -> torch.Generator:
        """The generator that draws the noise on ``device`` (one per device, from the ``seed``
        given at construction; this library's convention)."""
        return self._generator(device)

    def _generator(self, device: torch.device) -> torch.Generator:
        if isinstance(self._seed, torch.Generator):
            if torch.device(self._seed.device).type != device.type:
                raise ValueError(
                    f"seed is a torch.Generator on {self._seed.device}, but theta is on {device}"
                )
            return self._seed
        key = str(device)
        if key not in self._generators:
            self._generators[key] = as_torch_generator(self._seed, device=device)
        return self._generators[key]

    # ------------------------------------------------------------------ checks
    def _check_theta(self, theta: Any, name: str = "theta") -> torch.Tensor:
        if not isinstance(theta, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor; got {type(theta).__name__}")
        if not theta.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor; got {theta.dtype}")
        if theta.ndim < self.event_dims:
            raise ValueError(
                f"{name} must have at least {self.event_dims} dimension(s) (the solver's "
                f"event_dims); got shape {tuple(theta.shape)}"
            )
        if not bool(torch.isfinite(theta).all()):
            raise ValueError(f"{name} must be finite; it contains NaN or infinite entries")
        if self.mode == "multiplicative" and bool((theta == 0).any()):
            raise ValueError(
                f"{name} must have no zero entries with mode='multiplicative' (the Jacobian "
                "divides by theta)"
            )
        return theta

    def _event_shape(self, theta: torch.Tensor) -> tuple[int, ...]:
        return tuple(theta.shape[theta.ndim - self.event_dims :])

    def _noise(self, theta: torch.Tensor, noise_samples: torch.Tensor | None) -> torch.Tensor:
        shape = (self.n_samples, *theta.shape)
        if noise_samples is None:
            gen = self._generator(theta.device)
            return self.noise.sample(shape, seed=gen, device=theta.device, dtype=theta.dtype)
        if not isinstance(noise_samples, torch.Tensor) or tuple(noise_samples.shape) != shape:
            got = getattr(noise_samples, "shape", type(noise_samples).__name__)
            raise ValueError(f"noise_samples must be a tensor of shape {shape}; got {got}")
        return noise_samples.to(device=theta.device, dtype=theta.dtype)

    def perturb(self, theta: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``theta + sigma Z`` (additive) or ``theta * exp(sigma Z - log E e^{sigma Z})``
        (multiplicative; ``E[theta_tilde] = theta``, signs kept; Dalle et al. 2022)."""
        if self.mode == "additive":
            return torch.add(theta, z, alpha=self.sigma)
        return theta * torch.exp(self.sigma * z - self._shift)

    # ------------------------------------------------------------------ solving
    def solve(self, x: torch.Tensor) -> torch.Tensor:
        """Solver outputs for a batch ``(*batch, *event)``, checked (shape, floating dtype) and
        returned on ``x``'s device in ``x``'s dtype. One batched call (``batched=True``), one
        call per instance (``batched=False``), or chunks on the worker pool (``workers > 0``)."""
        event = self._event_shape(x)
        flat = x.detach().reshape(-1, *event)
        if self.workers > 0:
            out = self._solve_pool(flat)
        elif self.batched:
            out = _as_tensor(self.solver(flat), flat)
        else:
            out = torch.stack([self._checked(_as_tensor(self.solver(xi), xi), xi) for xi in flat])
        return self._checked(out, flat).reshape(x.shape)

    def _checked(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if tuple(out.shape) != tuple(x.shape):
            raise ValueError(
                f"solver returned shape {tuple(out.shape)} for an input of shape "
                f"{tuple(x.shape)}; it must return one solution of the input's shape per instance"
            )
        if not (out.is_floating_point() or out.dtype == torch.bool):
            raise TypeError(
                f"solver must return a floating-point (or bool) tensor; got {out.dtype}"
            )
        return out.to(device=x.device, dtype=x.dtype)

    def _solve_pool(self, flat: torch.Tensor) -> torch.Tensor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
            self._finalizer = weakref.finalize(self, self._pool.shutdown, wait=False)
        cpu = flat.cpu()
        n_chunks = min(len(cpu), 4 * self.workers)
        chunks = torch.tensor_split(cpu, n_chunks) if n_chunks else [cpu]
        jobs = [(self.solver, self.batched, c) for c in chunks]
        return torch.cat(list(self._pool.map(_solve_chunk, jobs))).to(flat.device)

    def close(self) -> None:
        """Shut down the worker pool (``workers > 0``); it restarts on the next call."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
            if self._finalizer is not None:
                self._finalizer.detach()

    def __enter__(self) -> PerturbedOptimizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def samples(
        self, theta: torch.Tensor, noise_samples: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One Monte-Carlo draw: ``(Z, theta_tilde, y)``, each of shape
        ``(n_samples, *theta.shape)``, with ``y_m = y*(theta_tilde_m)`` from one solver call."""
        theta = self._check_theta(theta).detach()
        z = self._noise(theta, noise_samples)
        pert = self.perturb(theta, z)
        return z, pert, self.solve(pert)

    def draw(self, theta: torch.Tensor, noise_samples: torch.Tensor | None = None) -> Draws:
        """One Monte-Carlo draw as :class:`Draws` (flattened to ``(M, B, D)``). Built-in
        solvers with a sparse form (argmax, top-k) return indices instead of dense one-hot
        rows, which saves memory traffic on large batches."""
        theta = self._check_theta(theta).detach()
        z = self._noise(theta, noise_samples)
        pert = self.perturb(theta, z)
        m = self.n_samples
        d = int(np.prod(self._event_shape(theta)))
        zf, pf = z.reshape(m, -1, d), pert.reshape(m, -1, d)
        sparse = getattr(self.solver, "_sparse", None)
        if sparse is not None and self.batched and self.workers == 0 and self.event_dims == 1:
            index, value = sparse(pf.reshape(-1, d))
            k = index.shape[-1]
            return Draws(zf, pf, index=index.view(m, -1, k), value=value.view(m, -1, k))
        return Draws(zf, pf, dense=self.solve(pert).reshape(m, -1, d))

    # ------------------------------------------------------------------ the layer
    def __call__(
        self, theta: torch.Tensor, *, noise_samples: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``y*_eps(theta)``, shape ``theta.shape``. ``noise_samples`` (shape
        ``(n_samples, *theta.shape)``) replaces the random draw (fixed noise)."""
        theta = self._check_theta(theta)
        if self.exact:
            return torch.softmax(theta / self.sigma, dim=-1)
        return _PerturbedFunction.apply(theta, self, noise_samples)

    def __repr__(self) -> str:
        return (
            f"perturbed({self.solver!r}, n_samples={self.n_samples}, sigma={self.sigma}, "
            f"noise={self.noise.name!r}, mode={self.mode!r}, "
            f"control_variate={self.control_variate!r})"
        )


class Draws:
    """``M`` noise draws ``z``, perturbed inputs ``pert`` (both ``(M, B, D)``, instances and
    event flattened) and their solutions, dense ``(M, B, D)`` or sparse (``index``, ``value``
    of shape ``(M, B, k)``: ``y_m = sum_j value_j e_{index_j}``)."""

    def __init__(
        self,
        z: torch.Tensor,
        pert: torch.Tensor,
        *,
        dense: torch.Tensor | None = None,
        index: torch.Tensor | None = None,
        value: torch.Tensor | None = None,
    ) -> None:
        self.z, self.pert, self.dense, self.index, self.value = z, pert, dense, index, value
        self.m, self.b, self.d = z.shape

    def _scatter_mean(self, value: torch.Tensor) -> torch.Tensor:
        assert self.index is not None
        out = torch.zeros((self.b, self.d), dtype=value.dtype, device=value.device)
        idx = self.index.permute(1, 0, 2).reshape(self.b, -1)
        return out.scatter_add_(1, idx, value.permute(1, 0, 2).reshape(self.b, -1)) / self.m

    def mean(self) -> torch.Tensor:
        """``(1/M) sum_m y_m``, shape ``(B, D)``."""
        if self.dense is not None:
            return self.dense.mean(dim=0)
        assert self.value is not None
        return self._scatter_mean(self.value)

    def inner(self, u: torch.Tensor) -> torch.Tensor:
        """``<y_m, u>`` (``u``: ``(B, D)``, or ``(M, B, D)`` per sample), shape ``(M, B)``."""
        if self.dense is not None:
            if u.ndim == 2:
                return torch.einsum("mbd,bd->mb", self.dense, u)
            return (self.dense * u).sum(dim=-1)
        assert self.index is not None and self.value is not None
        full = u.expand(self.m, self.b, self.d)
        return (full.gather(2, self.index) * self.value).sum(dim=-1)

    def weighted_mean(self, weights: torch.Tensor) -> torch.Tensor:
        """``(1/M) sum_m weights_m * y_m`` for ``weights`` of shape ``(M, B, D)``."""
        if self.dense is not None:
            return (self.dense * weights).mean(dim=0)
        assert self.value is not None
        return self._scatter_mean(weights.gather(2, self.index) * self.value)


class _PerturbedFunction(torch.autograd.Function):
    """Forward: the Monte-Carlo mean; backward: the integration-by-parts estimator."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, theta: torch.Tensor, layer: PerturbedOptimizer, noise: torch.Tensor | None
    ) -> torch.Tensor:
        draws = layer.draw(theta, noise)
        ctx.draws = draws
        ctx.baseline = None
        if layer.control_variate == "baseline":
            ctx.baseline = layer.solve(theta.detach()).reshape(draws.b, draws.d)
        ctx.save_for_backward(theta.detach())
        ctx.layer = layer
        return draws.mean().reshape(theta.shape)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, None, None]:
        layer: PerturbedOptimizer = ctx.layer
        draws: Draws = ctx.draws
        (theta,) = ctx.saved_tensors
        m = draws.m
        v = grad_output.reshape(draws.b, draws.d)
        # r_m = <y_m, v> per instance, shape (M, B)
        r = draws.inner(v)
        if ctx.baseline is not None:
            r = r - (ctx.baseline * v).sum(dim=-1)
        if layer.control_variate == "loo":
            r = (r - r.mean(dim=0)) * (m / (m - 1))
        w = layer.noise.grad_nu(draws.z)
        grad = torch.einsum("mb,mbd->bd", r, w).reshape(theta.shape) / (m * layer.sigma)
        if layer.mode == "multiplicative":
            # d/dtheta_j = (1/theta_j) d/dlog|theta_j|: additive noise on log|theta|
            grad = grad / theta
        return grad, None, None


perturbed = PerturbedOptimizer
"""``perturbed(solver, ...)``: the binding name of :class:`PerturbedOptimizer`."""


__all__ = ["Draws", "PerturbedOptimizer", "perturbed"]

"""Noise distributions for perturbed optimizers (Berthet et al. 2020, §3.1).

A noise law with density ``mu(z) ∝ exp(-nu(z))`` enters the perturbed maximizer through
samples ``Z ~ mu`` and, in the Monte-Carlo Jacobian ``(1/sigma) E[y*(theta + sigma Z)
grad_nu(Z)^T]``, through ``grad_nu(Z) = -grad log mu(Z)`` (Berthet et al. 2020, Prop. 3.1).

A :class:`Noise` holds a sampler and the gradient of the log-density; :class:`Normal` and
:class:`Gumbel` are the two laws of the paper, and any other law is a :class:`Noise` built from
two callables.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from theorylab._core.deprecation import renamed_kwargs
from theorylab._core.rng import SeedLike, as_torch_generator

EULER_GAMMA = 0.5772156649015329

SampleFn = Callable[[tuple[int, ...], torch.Generator, torch.device, torch.dtype], torch.Tensor]
GradFn = Callable[[torch.Tensor], torch.Tensor]


class Noise:
    """A noise law ``mu(z) ∝ exp(-nu(z))``: a sampler and the gradient of its log-density
    (the noise of the perturbed maximizer; Berthet, Blondel, Teboul, Cuturi, Vert, Bach 2020).

    The callable ``sample(shape, generator, device, dtype)`` returns i.i.d. draws of shape
    ``shape`` made with the ``torch.Generator`` ``generator`` on ``device``;
    ``grad_log_density(z)`` returns ``grad log mu(z)`` elementwise (coordinates are
    independent). ``mean`` is ``E[Z]`` per coordinate (used to document the
    Fenchel-Young offset) and ``log_mgf(t)`` is ``log E[exp(t Z)]`` (used to centre the
    multiplicative perturbation so that ``E[theta_tilde] = theta``); leave it ``None`` when
    unknown, and the multiplicative perturbation is then ``theta * exp(sigma Z)``.
    """

    def __init__(
        self,
        sample: SampleFn,
        grad_log_density: GradFn,
        *,
        name: str = "custom",
        mean: float = float("nan"),
        log_mgf: Callable[[float], float] | None = None,
    ) -> None:
        if not callable(sample):
            raise TypeError(f"sample must be callable; got {type(sample).__name__}")
        if not callable(grad_log_density):
            raise TypeError(
                f"grad_log_density must be callable; got {type(grad_log_density).__name__}"
            )
        self._sample = sample
        self._grad_log_density = grad_log_density
        self.name = name
        self.mean = mean
        self._log_mgf = log_mgf

    @renamed_kwargs(generator="seed")
    def sample(
        self,
        shape: tuple[int, ...],
        seed: SeedLike = None,
        device: torch.device | str = "cpu",
        dtype: torch.dtype | None = None,
    ) -> torch.Tensor:
        """``shape`` i.i.d. draws on ``device`` in ``dtype`` (default: torch's default dtype).

        ``seed``: an int, None, a ``numpy.random.Generator`` or a ``torch.Generator`` (used as
        is, so its state advances); ``generator=`` is its deprecated spelling."""
        device = torch.device(device)
        dtype = torch.get_default_dtype() if dtype is None else dtype
        gen = as_torch_generator(seed, device=device)
        z = self._sample(tuple(shape), gen, device, dtype)
        if not isinstance(z, torch.Tensor) or tuple(z.shape) != tuple(shape):
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"noise {self.name!r}: sample returned {got}, expected {shape}")
        return z.to(dtype)

    def grad_log_density(self, z: torch.Tensor) -> torch.Tensor:
        """``grad log mu(z)`` elementwise."""
        return self._grad_log_density(z)

    def grad_nu(self, z: torch.Tensor) -> torch.Tensor:
        """``grad nu(z) = -grad log mu(z)``: the weight of the Monte-Carlo Jacobian."""
        return -self.grad_log_density(z)

    def log_mgf(self, t: float) -> float | None:
        """``log E[exp(t Z)]``, or ``None`` when unknown."""
        return None if self._log_mgf is None else float(self._log_mgf(t))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def _normal_sample(
    shape: tuple[int, ...], generator: torch.Generator, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    return torch.randn(shape, generator=generator, device=device, dtype=dtype)


def _gumbel_sample(
    shape: tuple[int, ...], generator: torch.Generator, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    u = torch.rand(shape, generator=generator, device=device, dtype=dtype)
    tiny = torch.finfo(dtype).tiny
    # -log(-log U), with U kept away from 0 and 1 so that the draw stays finite
    return -torch.log(-torch.log(u.clamp_(min=tiny, max=1.0 - torch.finfo(dtype).eps)))


def _gumbel_log_mgf(t: float) -> float:
    if t >= 1.0:
        raise ValueError(
            f"sigma must be < 1 for multiplicative Gumbel noise (E[exp(sigma Z)] is infinite); "
            f"got {t}"
        )
    return math.lgamma(1.0 - t)


class Normal(Noise):
    """Standard normal noise ``N(0, I)``: ``grad nu(z) = z`` (Berthet et al. 2020, §3.1)."""

    def __init__(self) -> None:
        super().__init__(
            _normal_sample,
            torch.neg,
            name="normal",
            mean=0.0,
            log_mgf=lambda t: 0.5 * t * t,
        )

    def grad_nu(self, z: torch.Tensor) -> torch.Tensor:
        return z


class Gumbel(Noise):
    """Standard Gumbel noise, density ``exp(-(z + e^{-z}))`` per coordinate:
    ``grad nu(z) = 1 - e^{-z}``, ``E[Z] = gamma`` (Euler's constant). With the argmax over the
    simplex it gives the Gumbel-max trick, ``y*_eps = softmax(theta / eps)``
    (Berthet et al. 2020, §3.1)."""

    def __init__(self) -> None:
        super().__init__(
            _gumbel_sample,
            lambda z: torch.expm1(-z),
            name="gumbel",
            mean=EULER_GAMMA,
            log_mgf=_gumbel_log_mgf,
        )

    def grad_nu(self, z: torch.Tensor) -> torch.Tensor:
        return -torch.expm1(-z)


def as_noise(noise: str | Noise) -> Noise:
    """``"normal"``, ``"gumbel"`` or a :class:`Noise` as a :class:`Noise`."""
    if isinstance(noise, Noise):
        return noise
    if isinstance(noise, str):
        if noise == "normal":
            return Normal()
        if noise == "gumbel":
            return Gumbel()
        raise ValueError(f"noise must be 'normal', 'gumbel' or a Noise object; got {noise!r}")
    raise TypeError(
        f"noise must be 'normal', 'gumbel' or a Noise object; got {type(noise).__name__}"
    )


__all__ = ["EULER_GAMMA", "Gumbel", "Noise", "Normal", "as_noise"]

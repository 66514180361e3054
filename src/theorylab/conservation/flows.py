"""Flows and the vector fields whose Lie algebra decides their conservation laws.

- gradient flow θ̇ = −∇L(θ): generators ∇φ_i (Marcotte, Gribonval, Peyré 2023, Sec. 2);
- mirror / metric flow θ̇ = −M(θ)∇L(θ): generators M(θ)∇φ_i; the entropy mirror has
  M(θ) = diag(θ) (Marcotte, Gribonval, Peyré 2024, Sec. 4);
- heavy-ball momentum θ̈ + τθ̇ = −∇L(θ) on the lifted state α = (s, θ, v) with s = e^{τt}
  (s = t when τ = 0): generators (0, 0, ∇φ_i) and the drift (τs, v, −τv), or (1, v, 0)
  (Marcotte, Gribonval, Peyré 2024, Sec. 3). With a mirror, the generators become
  (0, 0, diag(τθ + v)∇φ_i) on the mirrored coordinates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch
from sympy import QQ
from sympy.polys.rings import PolyRing, ring

from theorylab._core.results import Result, jsonable
from theorylab._core.validation import check_real
from theorylab.conservation.fields import PolyField, TorchField, gradient_field
from theorylab.conservation.models import Model


@dataclass(frozen=True, slots=True)
class Mirror(Result):
    """A mirror (non-Euclidean) flow θ̇ = −M(θ)∇L(θ) (Marcotte, Gribonval, Peyré 2024,
    Sec. 4).

    ``metric`` is ``"entropy"`` (M = diag(θ) on all coordinates, θ > 0), a boolean mask over
    θ (entropy on the True coordinates, Euclidean elsewhere, as for input-convex networks:
    ``Mirror(model.mask("W2"))``), or a callable ``θ -> (D, D) tensor`` (any metric; counted
    by autodiff).
    """

    metric: str | np.ndarray | Callable[[torch.Tensor], torch.Tensor] = "entropy"

    def __post_init__(self) -> None:
        m = self.metric
        if isinstance(m, str):
            if m != "entropy":
                raise ValueError(
                    f"Mirror metric must be 'entropy', a boolean mask or a callable; got {m!r}"
                )
        elif isinstance(m, (np.ndarray, list, tuple)):
            arr = np.asarray(m)
            if arr.dtype != bool or arr.ndim != 1:
                raise TypeError(
                    "Mirror metric mask must be a 1-D boolean array over the parameters"
                )
            object.__setattr__(self, "metric", arr)
        elif not callable(m):
            raise TypeError(
                "Mirror metric must be 'entropy', a boolean mask or a callable; "
                f"got {type(m).__name__}"
            )

    def entropy_mask(self, D: int) -> np.ndarray | None:
        """The entropy coordinates, or None for a callable metric."""
        if isinstance(self.metric, str):
            return np.ones(D, dtype=bool)
        if isinstance(self.metric, np.ndarray):
            if self.metric.shape != (D,):
                raise ValueError(
                    f"Mirror mask has length {self.metric.shape[0]}, the model has D = {D}"
                )
            return self.metric
        return None

    def __str__(self) -> str:
        if isinstance(self.metric, str):
            return f"mirror({self.metric})"
        if isinstance(self.metric, np.ndarray):
            return f"mirror(entropy on {int(self.metric.sum())}/{self.metric.size} coords)"
        return "mirror(callable metric)"

    def to_dict(self) -> dict[str, object]:
        """``{"metric": "entropy" | [mask...] | "callable"}`` (a callable is not JSON)."""
        return {"metric": "callable" if callable(self.metric) else jsonable(self.metric)}


@dataclass(frozen=True, slots=True)
class Momentum(Result):
    """Heavy-ball momentum θ̈ + τθ̇ = −∇L(θ) (τ >= 0), optionally with a mirror metric
    (θ̈ + τθ̇ = −diag(τθ + θ̇)∇L on the mirrored coordinates); Marcotte, Gribonval,
    Peyré 2024, Sec. 3 (and Sec. 4 with a mirror)."""

    tau: float = 0.0
    mirror: Mirror | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tau", check_real(self.tau, "tau", min_value=0.0))
        if self.mirror is not None and not isinstance(self.mirror, Mirror):
            raise TypeError("Momentum mirror must be a Mirror or None")
        if self.mirror is not None and callable(self.mirror.metric):
            raise ValueError("Momentum with a mirror supports entropy metrics (str or mask) only")

    @property
    def tau_exact(self) -> Fraction:
        """τ as an exact rational (from its shortest decimal form: 0.1 -> 1/10)."""
        return Fraction(repr(self.tau))

    def __str__(self) -> str:
        base = f"momentum(tau={self.tau:g})"
        return base if self.mirror is None else f"{base}+{self.mirror}"


Flow = str | Mirror | Momentum


def as_flow(flow: Flow) -> str | Mirror | Momentum:
    """Normalize ``flow``: ``"gradient"``, ``"mirror"`` (entropy), ``"momentum"`` (τ = 0),
    or a :class:`Mirror` / :class:`Momentum` object."""
    if isinstance(flow, (Mirror, Momentum)):
        return flow
    if flow == "gradient":
        return "gradient"
    if flow == "mirror":
        return Mirror("entropy")
    if flow == "momentum":
        return Momentum(0.0)
    raise ValueError(
        "flow must be 'gradient', 'mirror', 'momentum', a Mirror(...) or a Momentum(tau); "
        f"got {flow!r}"
    )


@dataclass(frozen=True, eq=False)
class FieldSystem:
    """The generators of a flow on its state space (θ, or (s, θ, v) for momentum)."""

    names: tuple[str, ...]
    generators: tuple[PolyField, ...] | tuple[TorchField, ...]
    positive: np.ndarray  # coordinates sampled positive (mirror domains, s = e^{τt})
    ring: PolyRing | None
    flow: str | Mirror | Momentum

    @property
    def dim(self) -> int:
        return len(self.names)

    @property
    def polynomial(self) -> bool:
        return self.ring is not None


def _state_names(model: Model, flow) -> tuple[str, ...]:
    if isinstance(flow, Momentum):
        return ("s", *model.names, *("d" + n for n in model.names))
    return model.names


def state_ring(model: Model, flow: str | Mirror | Momentum) -> PolyRing:
    """The polynomial ring over Q of the flow's state variables (``flow`` normalized)."""
    R, *_ = ring(",".join(_state_names(model, flow)), QQ)
    return R


def check_model(model: object) -> Model:
    """``model`` if it is a :class:`Model`, else a ``TypeError`` (the public edge)."""
    if not isinstance(model, Model):
        raise TypeError(f"model must be a theorylab.conservation Model; got {type(model).__name__}")
    return model


def build_system(model: Model, flow: Flow = "gradient") -> FieldSystem:
    """The generator fields of ``flow`` for ``model``: ∇φ_i for the gradient flow
    (Marcotte, Gribonval, Peyré 2023, Sec. 2), M(θ)∇φ_i for a mirror flow and the lifted
    fields on (s, θ, v) for momentum (Marcotte, Gribonval, Peyré 2024, Sec. 3-4); see the
    module docstring. The result lists the state names, the generators (exact polynomials
    when possible, PyTorch fields otherwise) and the coordinates sampled positive."""
    return system_of(check_model(model), as_flow(flow))


def system_of(model: Model, flow: str | Mirror | Momentum) -> FieldSystem:
    """:func:`build_system` for a checked model and a normalized flow (:func:`as_flow`)."""
    D = model.D
    names = _state_names(model, flow)
    mirror = (
        flow if isinstance(flow, Mirror) else flow.mirror if isinstance(flow, Momentum) else None
    )
    mask = mirror.entropy_mask(D) if mirror is not None else np.zeros(D, dtype=bool)
    positive = np.zeros(len(names), dtype=bool)
    if isinstance(flow, Momentum):
        positive[0] = True
        positive[1 : D + 1] = mask
    else:
        positive[:D] = mask if mask is not None else False
    if model.polynomial and mask is not None:
        return _poly_system(model, flow, names, mask, positive)
    return _torch_system(model, flow, names, mirror, positive)


def _poly_system(model, flow, names, mask, positive) -> FieldSystem:
    R, *gens = ring(",".join(names), QQ)
    D = model.D
    shift = 1 if isinstance(flow, Momentum) else 0

    def embed(p):
        return R.from_dict(
            {(0,) * shift + m + (0,) * (len(names) - D - shift): c for m, c in p.to_dict().items()}
        )

    phis = [embed(p) for p in model.phi]
    theta = gens[shift : shift + D]
    grads = [gradient_field(R, p).comps[shift : shift + D] for p in phis]  # ∂φ_i/∂θ_j
    zero = R.zero
    if not isinstance(flow, Momentum):
        gens_out = []
        for g in grads:
            comps = [theta[j] * g[j] if mask[j] else g[j] for j in range(D)]
            gens_out.append(PolyField(R, tuple(comps)))
        return FieldSystem(names, tuple(gens_out), positive, R, flow)
    tau = QQ(flow.tau_exact.numerator, flow.tau_exact.denominator)
    v = gens[1 + D :]
    s = gens[0]
    out = []
    for g in grads:
        acc = [(tau * theta[j] + v[j]) * g[j] if mask[j] else g[j] for j in range(D)]
        out.append(PolyField(R, (zero,) * (1 + D) + tuple(acc)))
    if flow.tau == 0:
        drift = (R.one, *v, *([zero] * D))
    else:
        drift = (tau * s, *v, *(-tau * vj for vj in v))
    return FieldSystem(names, (PolyField(R, tuple(drift)), *out), positive, R, flow)


def _torch_system(model, flow, names, mirror, positive) -> FieldSystem:
    D, n = model.D, len(names)
    phi = model.phi_torch
    d = model.out_dim
    metric = mirror.metric if mirror is not None else None

    def grad_i(i):
        def g(theta):
            return torch.func.jacrev(lambda t: phi(t)[i])(theta)

        return g

    def scale(theta, vec, extra=None):
        if metric is None:
            return vec
        if callable(metric):
            return metric(theta) @ vec
        mask = torch.as_tensor(mirror.entropy_mask(D))
        base = theta if extra is None else extra
        return torch.where(mask, base * vec, vec)

    gens = []
    if not isinstance(flow, Momentum):
        for i in range(d):
            gi = grad_i(i)
            gens.append(TorchField(lambda t, gi=gi: scale(t, gi(t)), n, f"X{i}"))
        return FieldSystem(names, tuple(gens), positive, None, flow)
    tau = flow.tau
    for i in range(d):
        gi = grad_i(i)

        def Y(a, gi=gi):
            th, v = a[1 : D + 1], a[D + 1 :]
            return torch.cat([a.new_zeros(D + 1), scale(th, gi(th), tau * th + v)])

        gens.append(TorchField(Y, n, f"Y{i}"))

    def X0(a):
        s, v = a[:1], a[D + 1 :]
        head = tau * s if tau != 0 else torch.ones_like(s)
        return torch.cat([head, v, -tau * v])

    return FieldSystem(names, (TorchField(X0, n, "X0"), *gens), positive, None, flow)

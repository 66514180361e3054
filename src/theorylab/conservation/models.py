"""Models as reparameterizations ``g(θ, x) = f(φ(θ), x)``: the map φ, its parameter layout,
and its linear symmetries (from which the closed-form laws follow).

Every conservation law of the gradient flow of *every* loss is a function ``h`` with
``⟨∇h, ∇φ_i⟩ = 0`` for all i (Marcotte, Gribonval, Peyré 2023, Sec. 2), so a model is
described by φ alone. The built-in builders give φ both as exact polynomials (sympy) and
as PyTorch code; :func:`from_function` takes any PyTorch φ.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from math import prod

import numpy as np
import scipy.sparse as sp
import torch
from sympy import QQ
from sympy.polys.rings import PolyElement, PolyRing, ring

from theorylab._core.results import SKIP, Result
from theorylab._core.rng import SeedLike, as_generator, as_torch_generator
from theorylab._core.validation import check_choice, check_int, check_int_sequence


@dataclass(frozen=True)
class Symmetry:
    """An infinitesimal linear symmetry ``θ ↦ θ + λAθ`` that leaves φ invariant.

    ``kind`` is ``"symmetric"`` (A = Aᵀ: gives the gradient-flow law θᵀAθ) or
    ``"antisymmetric"`` (A = −Aᵀ: gives the momentum charge ⟨Aθ, θ̇⟩).
    """

    matrix: sp.csr_matrix
    kind: str
    label: str = ""

    @property
    def is_diagonal(self) -> bool:
        m = self.matrix.tocoo()
        return bool(np.all(m.row[m.data != 0] == m.col[m.data != 0]))


@dataclass(frozen=True, slots=True, eq=False)
class Model(Result):
    """A reparameterization φ: R^D -> R^d with its parameter layout, so that the model is
    g(θ, x) = f(φ(θ), x) (Marcotte, Gribonval, Peyré 2023, Sec. 2).

    ``blocks`` maps each parameter block (``"U"``, ``"W1"``, ``"b1"``, ...) to its shape;
    θ is the concatenation of the row-major flattened blocks. ``phi`` holds φ as exact
    polynomials in ``ring`` (None for :func:`from_function`), ``phi_torch`` as a PyTorch
    function of one θ of shape ``(D,)``. ``to_dict()`` gives the name, layout and sizes
    (φ itself, the ring and the symmetries are left out).
    """

    name: str
    blocks: dict[str, tuple[int, ...]]
    phi_torch: Callable[[torch.Tensor], torch.Tensor] = field(metadata=SKIP)
    ring: PolyRing | None = field(default=None, metadata=SKIP)
    phi: tuple[PolyElement, ...] | None = field(default=None, metadata=SKIP)
    symmetries: tuple[Symmetry, ...] = field(default=(), metadata=SKIP)
    out_dim: int = 0
    names: tuple[str, ...] = field(default=())

    @property
    def D(self) -> int:
        return sum(prod(s) for s in self.blocks.values())

    @property
    def polynomial(self) -> bool:
        return self.phi is not None

    def block_slices(self) -> dict[str, slice]:
        """The slice of θ that holds each block."""
        out, start = {}, 0
        for name, shape in self.blocks.items():
            out[name] = slice(start, start + prod(shape))
            start += prod(shape)
        return out

    def mask(self, *block_names: str) -> np.ndarray:
        """A boolean mask over θ, True on the coordinates of the named blocks (e.g. to put
        an entropy mirror on the output layer only, as for input-convex networks)."""
        slices = self.block_slices()
        mask = np.zeros(self.D, dtype=bool)
        for b in block_names:
            if b not in slices:
                raise ValueError(f"unknown block {b!r}; blocks of {self.name}: {list(slices)}")
            mask[slices[b]] = True
        return mask

    def unflatten(self, theta: torch.Tensor) -> dict[str, torch.Tensor]:
        """The blocks of a flat θ ``(..., D)`` as tensors ``(..., *shape)``."""
        return {
            b: theta[..., s].reshape(*theta.shape[:-1], *self.blocks[b])
            for b, s in self.block_slices().items()
        }

    def to_dict(self) -> dict[str, object]:
        """Name, blocks, output dimension d, state names and D, JSON-ready."""
        return {**Result.to_dict(self), "D": self.D}

    def __repr__(self) -> str:
        return f"Model({self.name}, D={self.D}, d={self.out_dim})"


def _names(blocks: dict[str, tuple[int, ...]]) -> tuple[str, ...]:
    out = []
    for b, shape in blocks.items():
        for idx in itertools.product(*(range(s) for s in shape)):
            out.append(b + "".join(f"_{i}" for i in idx))
    return tuple(out)


def _polynomial_model(name, blocks, build_phi, phi_torch, symmetries) -> Model:
    """Assemble a model whose φ is built by ``build_phi(blocks_of_ring_gens)``."""
    names = _names(blocks)
    R, *gens = ring(",".join(names), QQ)
    flat = list(gens)
    arrays, start = {}, 0
    for b, shape in blocks.items():
        size = prod(shape)
        arr = np.empty(size, dtype=object)
        arr[:] = flat[start : start + size]
        arrays[b] = arr.reshape(shape)
        start += size
    phi = tuple(build_phi(arrays))
    model = Model(name, dict(blocks), phi_torch, R, phi, (), len(phi), names)
    syms = tuple(symmetries(model)) if symmetries else ()
    object.__setattr__(model, "symmetries", syms)
    return model


def _gl_basis(r: int) -> list[tuple[np.ndarray, str, str]]:
    """A basis of gl(r): E_kk and E_kl + E_lk (symmetric), E_kl − E_lk (antisymmetric)."""
    out = []
    for k in range(r):
        for l in range(k, r):
            B = np.zeros((r, r))
            B[k, l] += 1
            B[l, k] += 1
            out.append((B, "symmetric", f"({k},{l})"))
            if l > k:
                C = np.zeros((r, r))
                C[k, l], C[l, k] = 1, -1
                out.append((C, "antisymmetric", f"({k},{l})"))
    return out


def _operator(model: Model, act: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]):
    """The D x D matrix of the linear map θ ↦ act(θ) given on blocks (batched over rows)."""
    eye = np.eye(model.D)
    blocks, start = {}, 0
    for b, shape in model.blocks.items():
        blocks[b] = eye[:, start : start + prod(shape)].reshape(model.D, *shape)
        start += prod(shape)
    images = act(blocks)
    cols = np.concatenate(
        [
            images.get(b, np.zeros((model.D, *s))).reshape(model.D, -1)
            for b, s in model.blocks.items()
        ],
        axis=1,
    )
    return sp.csr_matrix(np.round(cols.T, 12))


def _gl_symmetries(model: Model, r: int, act, prefix: str) -> list[Symmetry]:
    return [
        Symmetry(_operator(model, lambda bl, B=B: act(bl, B)), kind, f"{prefix}{lab}")
        for B, kind, lab in _gl_basis(r)
    ]


def linear2(n: int, r: int, m: int) -> Model:
    """Two-layer linear network φ(U, V) = U Vᵀ, U ∈ R^{n×r}, V ∈ R^{m×r}, D = (n+m)r.

    Symmetry (U, V) ↦ (U G, V G^{-T}), G ∈ GL(r); its laws are the entries of UᵀU − VᵀV
    (Marcotte, Gribonval, Peyré 2023, Sec. 4).
    """
    n, r, m = (check_int(v, k, min_value=1) for v, k in ((n, "n"), (r, "r"), (m, "m")))

    def phi_torch(theta):
        U, V = theta[: n * r].reshape(n, r), theta[n * r :].reshape(m, r)
        return (U @ V.T).reshape(-1)

    def act(bl, B):
        return {"U": bl["U"] @ B, "V": -bl["V"] @ B.T}

    return _polynomial_model(
        f"linear2(n={n}, r={r}, m={m})",
        {"U": (n, r), "V": (m, r)},
        lambda a: list((a["U"] @ a["V"].T).reshape(-1)),
        phi_torch,
        lambda model: _gl_symmetries(model, r, act, "GL"),
    )


def deep_linear(dims: Sequence[int]) -> Model:
    """Deep linear network φ = W_1 W_2 ⋯ W_q with W_l ∈ R^{dims[l-1] × dims[l]}.

    Each hidden width n_l carries the symmetry (W_l, W_{l+1}) ↦ (W_l G, G^{-1} W_{l+1}) and
    the laws W_lᵀW_l − W_{l+1}W_{l+1}ᵀ (Marcotte, Gribonval, Peyré 2023, Sec. 4).
    """
    dims = check_int_sequence(dims, "dims", min_len=2)
    q = len(dims) - 1
    blocks = {f"W{l}": (dims[l - 1], dims[l]) for l in range(1, q + 1)}
    sizes = [dims[l - 1] * dims[l] for l in range(1, q + 1)]
    offsets = np.cumsum([0, *sizes])

    def phi_torch(theta):
        out = theta[offsets[0] : offsets[1]].reshape(dims[0], dims[1])
        for l in range(2, q + 1):
            out = out @ theta[offsets[l - 1] : offsets[l]].reshape(dims[l - 1], dims[l])
        return out.reshape(-1)

    def build(a):
        out = a["W1"]
        for l in range(2, q + 1):
            out = out @ a[f"W{l}"]
        return list(out.reshape(-1))

    def syms(model):
        out = []
        for l in range(1, q):

            def act(bl, B, l=l):
                return {f"W{l}": bl[f"W{l}"] @ B, f"W{l + 1}": -B @ bl[f"W{l + 1}"]}

            out += _gl_symmetries(model, dims[l], act, f"width{l}")
        return out

    return _polynomial_model(f"deep_linear({list(dims)})", blocks, build, phi_torch, syms)


def relu(dims: Sequence[int], bias: bool = False) -> Model:
    """ReLU network with ``dims = [d_in, h_1, ..., d_out]``, ``W_l`` of shape
    ``(dims[l], dims[l-1])`` (PyTorch layout) and optional biases on the hidden neurons.

    On each region of constant activations g(θ, x) = f(φ(θ), x) with φ the path-lifting:
    one coordinate per input→output path (product of its weights) and per hidden
    bias→output path (Marcotte, Gribonval, Peyré 2023, Sec. 4; Gonon et al. 2024).
    Each hidden neuron j of layer l has the rescaling symmetry (incoming row and bias ×e^{-λ},
    outgoing column ×e^{λ}) and the law ‖W_{l+1}[:, j]‖² − ‖W_l[j, :]‖² − b_l[j]².
    """
    dims = check_int_sequence(dims, "dims", min_len=2)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be a bool; got {type(bias).__name__}")
    L = len(dims) - 1
    blocks: dict[str, tuple[int, ...]] = {}
    for l in range(1, L + 1):
        blocks[f"W{l}"] = (dims[l], dims[l - 1])
        if bias and l < L:
            blocks[f"b{l}"] = (dims[l],)

    def lift(W, b):
        """Path-lifting with generic arithmetic: W[l] (out, in), b[l] (out,) or None."""
        paths = [
            [W[0][j, i] for i in range(dims[0])] + ([b[0][j]] if b[0] is not None else [])
            for j in range(dims[1])
        ]
        for l in range(1, L):
            new = []
            for o in range(dims[l + 1]):
                row = [W[l][o, j] * p for j in range(dims[l]) for p in paths[j]]
                if b[l] is not None:
                    row.append(b[l][o])
                new.append(row)
            paths = new
        return [p for row in paths for p in row]

    def build(a):
        return lift(
            [a[f"W{l}"] for l in range(1, L + 1)], [a.get(f"b{l}") for l in range(1, L + 1)]
        )

    slices = {}

    def phi_torch(theta):
        if not slices:
            start = 0
            for b, s in blocks.items():
                slices[b] = (start, prod(s), s)
                start += prod(s)
        bl = {b: theta[st : st + sz].reshape(s) for b, (st, sz, s) in slices.items()}
        # vectorized path-lifting: paths[j] = all paths ending at neuron j of the layer
        P = torch.cat([bl["W1"], bl["b1"][:, None]], 1) if "b1" in bl else bl["W1"]
        for l in range(2, L + 1):
            P = (bl[f"W{l}"][:, :, None] * P[None, :, :]).reshape(dims[l], -1)
            if f"b{l}" in bl:
                P = torch.cat([P, bl[f"b{l}"][:, None]], 1)
        return P.reshape(-1)

    def syms(model):
        out = []
        sl = model.block_slices()
        for l in range(1, L):
            for j in range(dims[l]):
                diag = np.zeros(model.D)
                w_in = sl[f"W{l}"].start + np.arange(dims[l - 1]) + j * dims[l - 1]
                diag[w_in] = -1
                if bias:
                    diag[sl[f"b{l}"].start + j] = -1
                w_out = sl[f"W{l + 1}"].start + np.arange(dims[l + 1]) * dims[l] + j
                diag[w_out] = 1
                out.append(Symmetry(sp.diags(diag).tocsr(), "symmetric", f"neuron {l}.{j}"))
        return out

    name = f"relu({list(dims)}{', bias' if bias else ''})"
    return _polynomial_model(name, blocks, build, phi_torch, syms)


def attention(d: int, d_k: int, d_v: int, d_out: int | None = None) -> Model:
    """Single-head attention softmax(X Qᵀ K Xᵀ) X Vᵀ O with Q, K ∈ R^{d_k×d},
    V ∈ R^{d_v×d}, O ∈ R^{d_v×d_out} (``d_out`` defaults to d).

    The output depends on θ only through φ = (QᵀK, VᵀO), so its laws are those of two
    bilinear factorizations: functions of QQᵀ − KKᵀ and VVᵀ − OOᵀ (Marcotte, Gribonval,
    Peyré 2025, Sec. 3).
    """
    d, d_k, d_v = (check_int(v, k, min_value=1) for v, k in ((d, "d"), (d_k, "d_k"), (d_v, "d_v")))
    d_out = d if d_out is None else check_int(d_out, "d_out", min_value=1)
    blocks = {"Q": (d_k, d), "K": (d_k, d), "V": (d_v, d), "O": (d_v, d_out)}
    s = np.cumsum([0, d_k * d, d_k * d, d_v * d, d_v * d_out])

    def phi_torch(theta):
        Q, K = theta[s[0] : s[1]].reshape(d_k, d), theta[s[1] : s[2]].reshape(d_k, d)
        V, O = theta[s[2] : s[3]].reshape(d_v, d), theta[s[3] : s[4]].reshape(d_v, d_out)
        return torch.cat([(Q.T @ K).reshape(-1), (V.T @ O).reshape(-1)])

    def build(a):
        return list((a["Q"].T @ a["K"]).reshape(-1)) + list((a["V"].T @ a["O"]).reshape(-1))

    def syms(model):
        qk = _gl_symmetries(model, d_k, lambda bl, B: {"Q": B @ bl["Q"], "K": -B.T @ bl["K"]}, "QK")
        vo = _gl_symmetries(model, d_v, lambda bl, B: {"V": B @ bl["V"], "O": -B.T @ bl["O"]}, "VO")
        return qk + vo

    return _polynomial_model(
        f"attention(d={d}, d_k={d_k}, d_v={d_v}, d_out={d_out})", blocks, build, phi_torch, syms
    )


def product(D: int) -> Model:
    """The scalar product φ(θ) = θ_1 θ_2 ⋯ θ_D (one generator); laws θ_1² − θ_j²
    (Marcotte, Gribonval, Peyré 2023, Example in Sec. 3)."""
    D = check_int(D, "D", min_value=1)

    def syms(model):
        out = []
        for j in range(1, D):
            diag = np.zeros(D)
            diag[0], diag[j] = 1, -1
            out.append(Symmetry(sp.diags(diag).tocsr(), "symmetric", f"1-{j + 1}"))
        return out

    return _polynomial_model(
        f"product({D})",
        {"theta": (D,)},
        lambda a: [prod(a["theta"])],
        lambda t: torch.prod(t)[None],
        syms,
    )


def from_function(
    phi: Callable[[torch.Tensor], torch.Tensor],
    D: int,
    *,
    name: str = "from_function",
    seed: SeedLike = None,
) -> Model:
    """A model from any PyTorch reparameterization ``phi(θ) -> Tensor`` of one θ ``(D,)``
    (Marcotte, Gribonval, Peyré 2023, Sec. 2: the laws depend on φ only).

    ``phi`` must be differentiable twice or more (brackets nest derivatives) and return a
    finite tensor; it is checked at a random point drawn from ``seed`` (entries in
    U[0.5, 1.5]). Laws are counted by autodiff brackets.
    """
    D = check_int(D, "D", min_value=1)
    if not callable(phi):
        raise TypeError(f"phi must be a callable theta -> Tensor; got {type(phi).__name__}")
    gen = as_torch_generator(seed)
    theta = torch.empty(D, dtype=torch.float64).uniform_(0.5, 1.5, generator=gen)
    try:
        out = phi(theta)
    except Exception as exc:
        raise ValueError(f"phi failed on a parameter vector of shape ({D},): {exc}") from exc
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"phi must return a torch.Tensor; got {type(out).__name__}")
    if out.dim() == 0 or out.numel() == 0:
        raise ValueError(
            f"phi must return a non-empty tensor of shape (d,); got shape {tuple(out.shape)}"
        )
    if not torch.isfinite(out).all():
        raise ValueError("phi returned non-finite values (NaN or inf) at a generic point")
    d = out.numel()

    def flat(t):
        return phi(t).reshape(-1)

    try:
        jac = torch.func.jacfwd(flat)(theta)
    except Exception as exc:
        raise ValueError(f"phi is not differentiable with torch.func: {exc}") from exc
    if not torch.isfinite(jac).all():
        raise ValueError("the Jacobian of phi is not finite at a generic point")
    return Model(
        name, {"theta": (D,)}, flat, out_dim=d, names=tuple(f"theta_{i}" for i in range(D))
    )


def random_architecture(
    kind: str, widths: Sequence[int] = (2, 5), *, seed: SeedLike = None
) -> Model:
    """A random deep ``"linear"`` (:func:`deep_linear`) or ``"relu"`` (:func:`relu`) network:
    depth 2 to 4, each width uniform in ``[widths[0], widths[1]]``, and for ReLU hidden biases
    with probability 1/2. This is the random-architecture protocol of the authors' notebook
    ``main.ipynb`` for Marcotte, Gribonval, Peyré 2023 (widths 2-5 for linear, 2-9 for ReLU).
    """
    kind = check_choice(kind, "kind", ("linear", "relu"))
    bounds = check_int_sequence(widths, "widths", min_len=2)
    if len(bounds) != 2 or bounds[0] > bounds[1]:
        raise ValueError(f"widths must be (low, high) with 1 <= low <= high; got {widths!r}")
    low, high = bounds
    rng = as_generator(seed)
    depth = int(rng.integers(2, 5))
    dims = [int(w) for w in rng.integers(low, high + 1, size=depth + 1)]
    if kind == "linear":
        return deep_linear(dims)
    return relu(dims, bias=bool(rng.random() < 0.5))

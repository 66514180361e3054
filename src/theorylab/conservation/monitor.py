"""Watch the balancedness laws of a real PyTorch network while it trains.

For a chain of weight layers (Linear / Conv) separated by positively homogeneous maps (ReLU,
LeakyReLU, max/average pooling, flatten, dropout), each hidden unit j of layer k carries the
gradient-flow law (Marcotte, Gribonval, Peyré 2023, Sec. 4; Du, Hu, Lee 2018)

    h_kj = ‖W_{k+1}[:, j]‖² − ‖W_k[j]‖² − b_k[j]²,

biases included (omitting b_k[j]² gives a quantity that is *not* conserved). Under gradient
descent with step η the per-step change is exactly η²(‖g_out‖² − ‖g_in‖² − g_b²) (for a
quadratic law h = θᵀAθ with ⟨Aθ, g⟩ = 0, h(θ − ηg) − h(θ) = η² gᵀAg), so drift measures
how far training is from the flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

_WEIGHT = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
_PASS_MODULES = (
    nn.ReLU,
    nn.LeakyReLU,
    nn.Flatten,
    nn.Dropout,
    nn.Identity,
    nn.MaxPool1d,
    nn.MaxPool2d,
    nn.MaxPool3d,
    nn.AvgPool1d,
    nn.AvgPool2d,
    nn.AvgPool3d,
    nn.AdaptiveAvgPool1d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveMaxPool2d,
)
_PASS_FUNCTIONS = {
    torch.relu,
    torch.nn.functional.relu,
    torch.nn.functional.leaky_relu,
    torch.flatten,
    torch.nn.functional.dropout,
    torch.nn.functional.max_pool2d,
    torch.nn.functional.avg_pool2d,
}
_PASS_METHODS = {"relu", "flatten", "view", "reshape"}


@dataclass(frozen=True)
class _Pair:
    first: nn.Module  # layer whose output units are rescaled
    second: nn.Module  # next weight layer


def _chain(module: nn.Module) -> list[nn.Module]:
    """The weight layers of ``module`` in forward order, checking that the graph between
    them is a chain of positively homogeneous operations (traced with ``torch.fx``)."""
    if isinstance(module, _WEIGHT):
        raise ValueError("monitor needs at least two weight layers (Linear/Conv) in a chain")
    try:
        gm = torch.fx.symbolic_trace(module)
    except Exception as exc:
        raise ValueError(f"monitor could not trace the module with torch.fx: {exc}") from exc
    layers, users = [], {}
    for node in gm.graph.nodes:
        if node.op in ("placeholder", "output", "get_attr"):
            continue
        if node.op == "call_module":
            sub = gm.get_submodule(node.target)
            if isinstance(sub, _WEIGHT):
                if getattr(sub, "groups", 1) != 1:
                    raise ValueError(
                        f"layer {node.target!r}: grouped convolutions are not supported"
                    )
                layers.append(sub)
            elif not isinstance(sub, _PASS_MODULES):
                raise ValueError(
                    f"layer {node.target!r} ({type(sub).__name__}) breaks the neuron-rescaling "
                    "symmetry; monitor supports Linear/Conv layers with ReLU, LeakyReLU, pooling, "
                    "flatten and dropout between them"
                )
        elif node.op == "call_function" and node.target not in _PASS_FUNCTIONS:
            raise ValueError(f"operation {node.target} breaks the chain structure monitor needs")
        elif node.op == "call_method" and node.target not in _PASS_METHODS:
            raise ValueError(f"method {node.target!r} breaks the chain structure monitor needs")
        for arg in node.all_input_nodes:
            users[arg] = users.get(arg, 0) + 1
            if users[arg] > 1:
                raise ValueError(
                    "monitor supports chain networks only (an output is used twice, "
                    "e.g. a skip connection)"
                )
    if len(layers) < 2:
        raise ValueError("monitor needs at least two weight layers (Linear/Conv) in a chain")
    return layers


def _in_norms(layer: nn.Module, with_bias: bool) -> torch.Tensor:
    w = layer.weight
    out = (w**2).flatten(1).sum(1)
    if with_bias and layer.bias is not None:
        out = out + layer.bias**2
    return out


def _out_norms(layer: nn.Module, units: int) -> torch.Tensor:
    w2 = layer.weight**2
    per_input = w2.sum(0) if isinstance(layer, nn.Linear) else w2.transpose(0, 1).flatten(1).sum(1)
    if per_input.numel() % units:
        raise ValueError(
            f"{type(layer).__name__} has {per_input.numel()} inputs, not a multiple "
            f"of the {units} units of the previous layer"
        )
    return per_input.reshape(units, -1).sum(1)  # flatten after conv: channel-major groups


class LawMonitor:
    """Records the balancedness laws h_kj = ‖W_{k+1}[:, j]‖² − ‖W_k[j]‖² − b_k[j]² of a chain
    network (Marcotte, Gribonval, Peyré 2023, Sec. 4; Du, Hu, Lee 2018; see the module
    docstring).

    Created by :func:`monitor`. ``values()`` evaluates the laws now; ``record()`` appends
    them to ``history`` (shape ``(records, laws)``); ``relative_drift()`` is
    max_j |h_j(t) − h_j(0)| / (‖W‖² at t = 0) per record; ``remove()`` detaches the hook.
    """

    def __init__(self, module: nn.Module, optimizer: torch.optim.Optimizer | None = None):
        if not isinstance(module, nn.Module):
            raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
        if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                f"optimizer must be a torch.optim.Optimizer or None; got {type(optimizer).__name__}"
            )
        layers = _chain(module)
        self.pairs = [_Pair(a, b) for a, b in zip(layers[:-1], layers[1:], strict=True)]
        self.labels = [
            f"layer{k}.unit{j}"
            for k, p in enumerate(self.pairs)
            for j in range(p.first.weight.shape[0])
        ]
        self._records: list[torch.Tensor] = []
        self._scale = float(sum(float((p.detach() ** 2).sum()) for p in module.parameters()))

        def hook(
            *_: object,
        ) -> None:  # must return None: a forward pre-hook's value replaces the input
            self.record()

        if optimizer is not None:
            self._handle = optimizer.register_step_post_hook(hook)
        else:
            self._handle = module.register_forward_pre_hook(hook)
        self.record()

    @torch.no_grad()
    def values(self, *, with_bias: bool = True) -> torch.Tensor:
        """The current value of every law, shape ``(laws,)``.

        ``with_bias=False`` drops the b_k[j]² terms: a negative control, *not* a law (the
        quantity tracked by the authors' MLP notebook, which drifts along the flow)."""
        if not isinstance(with_bias, bool):
            raise TypeError(f"with_bias must be a bool; got {type(with_bias).__name__}")
        return (
            torch.cat(
                [
                    _out_norms(p.second, p.first.weight.shape[0]) - _in_norms(p.first, with_bias)
                    for p in self.pairs
                ]
            )
            .detach()
            .cpu()
            .double()
        )

    def record(self) -> torch.Tensor:
        """Append the current values of the laws to ``history`` and return them."""
        vals = self.values()
        self._records.append(vals)
        return vals

    @property
    def history(self) -> torch.Tensor:
        """The recorded values, shape ``(records, laws)``."""
        return torch.stack(self._records)

    def relative_drift(self) -> torch.Tensor:
        """max_j |h_j(t) − h_j(0)| / ‖θ(0)‖² for each record."""
        h = self.history
        return (h - h[0]).abs().amax(1) / max(self._scale, 1e-300)

    def remove(self) -> None:
        """Detach the recording hook (``history`` is kept)."""
        self._handle.remove()

    def __enter__(self) -> LawMonitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def monitor(module: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> LawMonitor:
    """Track the balancedness laws of ``module`` during training (Marcotte, Gribonval,
    Peyré 2023, Sec. 4: one law per hidden unit, biases included).

    Records once now, then before every forward pass of ``module`` or, if ``optimizer`` is
    given, after every ``optimizer.step()``. Works for Linear/Conv ReLU chains with biases;
    returns the :class:`LawMonitor` (also a context manager that removes its hook).
    """
    return LawMonitor(module, optimizer)

"""Watch the balancedness laws of a small ReLU network drift under GD, momentum and Adam.

The laws ‖W2[:, j]‖² − ‖W1[j]‖² − b1[j]² are exactly conserved by the gradient *flow*
(Marcotte, Gribonval, Peyré 2023); discrete optimizers make them drift, GD only at order η².

    python examples/conservation_drift.py
"""

import copy

import torch
from torch import nn

from theorylab.conservation import monitor

torch.manual_seed(0)
net0 = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1)).double()
x, y = torch.randn(128, 4, dtype=torch.float64), torch.randn(128, 1, dtype=torch.float64)

for name, make in {
    "GD": lambda p: torch.optim.SGD(p, lr=0.05),
    "momentum": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    "Adam": lambda p: torch.optim.Adam(p, lr=0.005),
}.items():
    net = copy.deepcopy(net0)
    opt = make(net.parameters())
    mon = monitor(net, opt)
    for _ in range(300):
        opt.zero_grad()
        ((net(x) - y) ** 2).mean().backward()
        opt.step()
    print(f"{name:9s} max relative drift after 300 steps: {mon.relative_drift()[-1]:.2e}")

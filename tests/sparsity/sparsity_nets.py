"""Tiny ReLU DAG networks shared by the sparsity tests (conftest puts this folder on sys.path)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def pn1() -> nn.Module:
    """A hand-computed case (PN1): x in R^2 -> ReLU(Vx + b) -> u^T h + c."""
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, -2.0], [3.0, 0.5]]))
        net[0].bias.copy_(torch.tensor([0.5, -1.0]))
        net[2].weight.copy_(torch.tensor([[2.0, -1.0]]))
        net[2].bias.fill_(0.25)
    return net


def _randomize_bn(model: nn.Module, g: torch.Generator) -> None:
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=g))
                m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
                m.weight.copy_(torch.randn(n, generator=g))
                m.bias.copy_(torch.randn(n, generator=g))
    model.eval()


class SkipCNN(nn.Module):
    """Conv-BN-ReLU, max-pool with padding/ceil_mode, residual block, avg-pool, concat with
    a scaled branch, adaptive max/avg pools, a spatial mean and a Linear head."""

    def __init__(self, c: int = 2):
        super().__init__()
        self.conv1 = nn.Conv2d(1, c, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(c)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.conv3 = nn.Conv2d(c, c, 1)
        self.avg = nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False)
        self.amax = nn.AdaptiveMaxPool2d((2, 1))
        self.fc = nn.Linear(2 * c * 2 + 2 * c, 2)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        y = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.conv3(y) + x)
        z = self.avg(x)
        a = torch.cat([self.amax(z), 0.5 * F.adaptive_avg_pool2d(z, (2, 1))], dim=1)
        m = torch.cat([z.mean((2, 3)), F.max_pool2d(x, 2, dilation=1).mean((2, 3))], dim=1)
        return self.fc(torch.cat([torch.flatten(a, 1), m], dim=1))


class Conv1dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm1d(3)
        self.pool = nn.MaxPool1d(2, dilation=2)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(3, 2))

    def forward(self, x):
        x = self.pool(F.relu(self.bn(self.conv(x))))
        x = F.avg_pool1d(x, 2, ceil_mode=True)
        return self.head(x)


class Block(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += x
        return F.relu(out)


def block_net(c: int = 2) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, c, 3, padding=1),
        nn.ReLU(),
        Block(c),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(c, 2),
    )


def mlp(widths: list[int], seed: int) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    net = nn.Sequential(*layers[:-1]).double()
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    return net


def randomized(model: nn.Module, seed: int) -> nn.Module:
    """``model`` in float64 with standard-normal weights and random BN statistics, eval."""
    g = torch.Generator().manual_seed(seed)
    model = model.double()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g, dtype=torch.float64))
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g, dtype=torch.float64))
    _randomize_bn(model, g)
    return model

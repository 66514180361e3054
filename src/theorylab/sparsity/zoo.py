"""Networks for the sparsity topic: torchvision-shaped ResNets (no torchvision needed) and
the small CNN of the ``rescaling-invariance`` study.

``resnet(depth)`` follows He, Zhang, Ren, Sun (CVPR 2016) and torchvision's layout
(BasicBlock for depths 18/34, Bottleneck for 50/101/152; 7x7 stem, 3x3 max-pool, adaptive
average pool, Linear head), so path-norms are comparable with the public toolkit's
(Gonon et al., ICLR 2024) on torchvision models of the same shape.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from theorylab._core.validation import check_choice, check_int

_LAYOUT = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, c_in: int, c: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.downsample = _shortcut(c_in, c, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, c_in: int, c: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.conv3 = nn.Conv2d(c, c * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c * 4)
        self.downsample = _shortcut(c_in, c * 4, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


def _shortcut(c_in: int, c_out: int, stride: int) -> nn.Module | None:
    if stride == 1 and c_in == c_out:
        return None
    return nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))


class ResNet(nn.Module):
    """A torchvision-shaped ResNet (see :func:`resnet`)."""

    def __init__(
        self, block: str, counts: tuple[int, ...], num_classes: int, width: int, in_channels: int
    ):
        super().__init__()
        cls = BasicBlock if block == "basic" else Bottleneck
        self.conv1 = nn.Conv2d(in_channels, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        c_in, stages = width, []
        for i, n in enumerate(counts):
            c = width * 2**i
            blocks = []
            for j in range(n):
                blocks.append(cls(c_in, c, 2 if (j == 0 and i > 0) else 1))
                c_in = c * cls.expansion
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(c_in, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet(
    depth: int = 18, *, num_classes: int = 1000, width: int = 64, in_channels: int = 3
) -> ResNet:
    """A ResNet-``depth`` (18, 34, 50, 101 or 152) shaped like torchvision's, randomly
    initialized (Kaiming normal convolutions, BatchNorm γ = 1, β = 0), in train mode."""
    depth = check_int(depth, "depth")
    if depth not in _LAYOUT:
        raise ValueError(f"depth must be one of {sorted(_LAYOUT)}; got {depth}")
    block, counts = _LAYOUT[depth]
    return ResNet(
        block,
        counts,
        check_int(num_classes, "num_classes", min_value=1),
        check_int(width, "width", min_value=1),
        check_int(in_channels, "in_channels", min_value=1),
    )


def digits_cnn(
    channels: tuple[int, int] = (8, 16),
    hidden: int = 32,
    *,
    batchnorm: bool = True,
    seed: int | None = None,
) -> nn.Sequential:
    """The small ReLU CNN of the study, for 1x8x8 images (scikit-learn's digits):
    Conv-BN-ReLU-MaxPool, Conv-ReLU-MaxPool, Flatten, Linear-ReLU, Linear(10)."""
    c1, c2 = (check_int(c, "channels", min_value=1) for c in channels)
    hidden = check_int(hidden, "hidden", min_value=1)
    check_choice(str(bool(batchnorm)), "batchnorm", ["True", "False"])
    if seed is not None:
        torch.manual_seed(check_int(seed, "seed", min_value=0))
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1),
        nn.BatchNorm2d(c1) if batchnorm else nn.Identity(),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(c2 * 4, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 10),
    )

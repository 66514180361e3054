"""Networks and data for the sparsity topic: torchvision-shaped ResNets (no torchvision
needed), and the small CNN and the digits split of the ``rescaling-invariance`` study.

``resnet(depth)`` follows He, Zhang, Ren, Sun (CVPR 2016) and torchvision's layout
(BasicBlock for depths 18/34, Bottleneck for 50/101/152; 7x7 stem, 3x3 max-pool, adaptive
average pool, Linear head), so path-norms are comparable with the public toolkit's
(Gonon et al., ICLR 2024) on torchvision models of the same shape.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from theorylab._core.rng import SeedLike, as_generator, as_torch_generator
from theorylab._core.validation import check_int, check_real

_LAYOUT = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}


@contextlib.contextmanager
def _init_seed(seed: SeedLike) -> Iterator[None]:
    """PyTorch's default layer initialization drawn from ``seed``: the global CPU generator
    is seeded with it (an int seed gives the weights of ``torch.manual_seed(seed)``) and
    restored afterwards; ``None`` draws from the global generator as it stands."""
    if seed is None:
        yield
        return
    if isinstance(seed, torch.Generator):
        value = int(torch.randint(0, 2**62, (1,), generator=seed))
    else:
        value = as_torch_generator(seed).initial_seed()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(value)
        yield


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
    depth: int = 18,
    *,
    num_classes: int = 1000,
    width: int = 64,
    in_channels: int = 3,
    seed: SeedLike = None,
) -> ResNet:
    """A ResNet-``depth`` (18, 34, 50, 101 or 152) of He, Zhang, Ren, Sun (CVPR 2016),
    shaped like torchvision's, randomly initialized from ``seed`` (Kaiming normal
    convolutions, BatchNorm γ = 1, β = 0), in train mode."""
    depth = check_int(depth, "depth")
    if depth not in _LAYOUT:
        raise ValueError(f"depth must be one of {sorted(_LAYOUT)}; got {depth}")
    block, counts = _LAYOUT[depth]
    args = (
        check_int(num_classes, "num_classes", min_value=1),
        check_int(width, "width", min_value=1),
        check_int(in_channels, "in_channels", min_value=1),
    )
    with _init_seed(seed):
        return ResNet(block, counts, *args)


def digits_cnn(
    channels: tuple[int, int] = (8, 16),
    hidden: int = 32,
    *,
    batchnorm: bool = True,
    seed: SeedLike = None,
) -> nn.Sequential:
    """The small ReLU CNN of the ``rescaling-invariance`` study (this library), for 1x8x8
    images (scikit-learn's digits): Conv-BN-ReLU-MaxPool, Conv-ReLU-MaxPool, Flatten,
    Linear-ReLU, Linear(10), with PyTorch's default initialization drawn from ``seed``."""
    c1, c2 = (check_int(c, "channels", min_value=1) for c in channels)
    hidden = check_int(hidden, "hidden", min_value=1)
    if not isinstance(batchnorm, (bool, np.bool_)):
        raise TypeError(f"batchnorm must be a bool; got {type(batchnorm).__name__}")
    with _init_seed(seed):
        return _digits_layers(c1, c2, hidden, bool(batchnorm))


def _digits_layers(c1: int, c2: int, hidden: int, batchnorm: bool) -> nn.Sequential:
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


def digits_split(
    *, test_size: float = 0.3, seed: SeedLike = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """scikit-learn's 8x8 digits (1,797 images, 10 classes, pixels scaled to [0, 1]) split
    into ``(X_train, y_train, X_test, y_test)``, stratified by class, the split drawn from
    ``seed`` (an int seed is scikit-learn's ``random_state``): images as float32 tensors of
    shape (n, 1, 8, 8), labels as int64 tensors (n,); the data of this library's
    ``rescaling-invariance`` study."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    test_size = check_real(test_size, "test_size", min_value=0.0, strict_min=True)
    if test_size >= 1.0:
        raise ValueError(f"test_size must be in (0, 1); got {test_size}")
    rng = as_generator(seed)  # checks seed
    state = int(seed) if isinstance(seed, numbers.Integral) else int(rng.integers(0, 2**31 - 1))
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_size, random_state=state, stratify=y)
    t = torch.from_numpy
    return t(Xtr), t(ytr), t(Xte), t(yte)

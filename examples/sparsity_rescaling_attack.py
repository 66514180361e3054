"""The rescaling attack on pruning, in one screen (Gonon et al., ICML 2025).

A small ReLU CNN is trained on scikit-learn's digits; a random power-of-two neuron-wise
rescaling leaves its function untouched but wrecks magnitude pruning, while path-magnitude
pruning (rescaling-invariant) gives the very same masks and accuracy.

    python examples/sparsity_rescaling_attack.py
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

from theorylab.sparsity import digits_cnn, path_norm, prune, random_rescaling

torch.manual_seed(0)
torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)
X = torch.tensor(X / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
y = torch.tensor(y)
perm = torch.randperm(len(X))
train, test = perm[:1300], perm[1300:]

net = digits_cnn()
opt = torch.optim.Adam(net.parameters(), lr=0.01)
for _ in range(20):
    for idx in train.split(64):
        opt.zero_grad()
        nn.functional.cross_entropy(net(X[idx]), y[idx]).backward()
        opt.step()
net.eval()
attacked = random_rescaling(net, seed=1)


def accuracy(model: nn.Module) -> float:
    with torch.no_grad():
        return float((model(X[test]).argmax(1) == y[test]).float().mean())


print(f"dense accuracy {accuracy(net):.3f}; attacked {accuracy(attacked):.3f}")
print(f"L1 path-norm {path_norm(net, (1, 8, 8)):.6g} vs {path_norm(attacked, (1, 8, 8)):.6g}")
print("sparsity  magnitude  magnitude(attacked)  path-mag  path-mag(attacked)")
for s in np.arange(0.2, 0.85, 0.1):
    row = []
    for crit in ("magnitude", "path-magnitude"):
        for model in (net, attacked):
            pruned = copy.deepcopy(model)
            prune(pruned, float(s), crit, input_shape=(1, 8, 8))
            row.append(accuracy(pruned))
    print(f"{s:8.1f}  {row[0]:9.3f}  {row[1]:19.3f}  {row[2]:8.3f}  {row[3]:18.3f}")

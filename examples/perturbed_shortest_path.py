"""Learn to predict grid costs from features so that the predicted shortest paths are right,
through the perturbed Fenchel-Young loss (Berthet et al. 2020, §4-5).

Each instance is a 10x10 vertex-cost grid whose costs depend nonlinearly on 5 features; a
small network predicts the 100 costs and is trained only from the optimal paths (never from
the costs), through ``theorylab.perturbed``'s batched 8-neighbour shortest path.

Run: ``.venv/bin/python examples/perturbed_shortest_path.py``.
"""

import torch

from theorylab.perturbed import FenchelYoungLoss, solvers

torch.manual_seed(0)
torch.set_num_threads(1)  # small tensors: one thread is fastest
H = 10
n_train, n_test, p = 1000, 200, 5
B = torch.randn(p, H * H)


def make(n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    x = torch.randn(n, p)
    costs = (1 + (x @ B / p**0.5 + 3) ** 2 / 4).reshape(n, H, H)  # hidden, positive
    return x, costs, solvers.shortest_path_grid(costs)


x_tr, c_tr, y_tr = make(n_train)
x_te, c_te, y_te = make(n_test)
model = torch.nn.Sequential(
    torch.nn.Linear(p, 64), torch.nn.ReLU(), torch.nn.Linear(64, H * H), torch.nn.Softplus()
)
loss_fn = FenchelYoungLoss(
    solvers.shortest_path_grid,
    maximize=False,
    n_samples=5,
    sigma=0.5,
    mode="multiplicative",
    seed=0,
)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)


def regret() -> float:
    """Mean relative excess cost of the predicted paths under the hidden costs."""
    with torch.no_grad():
        pred = solvers.shortest_path_grid(model(x_te).reshape(-1, H, H) + 1e-3)
    best = (y_te * c_te).sum((1, 2))
    return float((((pred * c_te).sum((1, 2)) - best) / best).mean())


print(f"epoch 0: test regret {regret():.3f}")
for epoch in range(1, 11):
    for i in range(0, n_train, 50):
        theta = model(x_tr[i : i + 50]).reshape(-1, H, H) + 1e-3
        opt.zero_grad()
        loss_fn(theta, y_tr[i : i + 50]).backward()  # gradient y - y_eps, no solver Jacobian
        opt.step()
    print(f"epoch {epoch}: test regret {regret():.3f}")

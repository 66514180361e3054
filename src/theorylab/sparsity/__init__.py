"""Rescaling invariances, path-norms and invariance-aware sparsity for ReLU networks.

Gribonval's talk "Frugality in machine learning: sparsity, a value for the future?"
contrasts classical sparse regularization with sparse neural networks and stresses the
rescaling invariances of ReLU parameterizations (Neyshabur, Salakhutdinov, Srebro 2015):
their curses (magnitude pruning and ℓ1 penalties are not invariant) and blessings (the
path-lifting and path-norms are). This package gives:

- :func:`path_norm` / :func:`path_norms`: Lq path-norms of any ReLU DAG ``torch.nn.Module``
  (Linear, Conv1d/2d, biases, frozen BatchNorm, max/avg/adaptive pooling, skip additions,
  concatenation, flatten, dropout) traced with ``torch.fx``, in one forward pass, with a
  log-domain mode that never overflows (Gonon et al., ICLR 2024);
- :func:`path_lifting`: the explicit path vector of small networks (brute force);
- :func:`neuron_groups`, :func:`rescale_neurons`, :func:`random_rescaling` (power-of-two
  factors, bit-exact), :func:`rebalance` / :func:`rebalance_info` (minimal sum of squares on
  the rescaling orbit; the latter also reports the sweeps and the sums of squares);
- :func:`path_magnitude_scores` and :func:`prune` (``"magnitude"``, ``"path-magnitude"``,
  ``"random"``; global unstructured masks via ``torch.nn.utils.prune``) and
  :func:`path_metric_lipschitz_bound` (Gonon et al., ICML 2025);
- classical sparsity: :func:`sensing_problem`, :func:`sparse_recovery` (scikit-learn Lasso
  and OMP), :func:`hadamard_regression` and :func:`hadamard_min_norm` (w = u ⊙ v, where
  weight decay is an ℓ1 penalty);
- :func:`resnet` (torchvision-shaped, no torchvision needed), :func:`digits_cnn` and
  :func:`digits_split` (the network and data of the ``rescaling-invariance`` study).

Unsupported layers raise :class:`theorylab.errors.UnsupportedLayerError` (re-exported here),
which names every offending layer and says what is supported.
"""

from theorylab.errors import UnsupportedLayerError
from theorylab.sparsity._graph import unsupported_layers
from theorylab.sparsity.classical import (
    HadamardFit,
    SensingProblem,
    hadamard_min_norm,
    hadamard_regression,
    sensing_problem,
    sparse_recovery,
    support,
)
from theorylab.sparsity.lifting import path_lifting
from theorylab.sparsity.lipschitz import path_metric_lipschitz_bound
from theorylab.sparsity.pathnorm import path_norm, path_norms
from theorylab.sparsity.pruning import CRITERIA, path_magnitude_scores, prune
from theorylab.sparsity.rescaling import (
    NeuronGroup,
    RebalanceInfo,
    neuron_groups,
    random_rescaling,
    rebalance,
    rebalance_info,
    rescale_neurons,
    sum_of_squares,
)
from theorylab.sparsity.zoo import digits_cnn, digits_split, resnet

__all__ = [
    "CRITERIA",
    "HadamardFit",
    "NeuronGroup",
    "RebalanceInfo",
    "SensingProblem",
    "UnsupportedLayerError",
    "digits_cnn",
    "digits_split",
    "hadamard_min_norm",
    "hadamard_regression",
    "neuron_groups",
    "path_lifting",
    "path_magnitude_scores",
    "path_metric_lipschitz_bound",
    "path_norm",
    "path_norms",
    "prune",
    "random_rescaling",
    "rebalance",
    "rebalance_info",
    "rescale_neurons",
    "resnet",
    "sensing_problem",
    "sparse_recovery",
    "sum_of_squares",
    "support",
    "unsupported_layers",
]

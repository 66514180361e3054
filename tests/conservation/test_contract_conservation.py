"""The cross-topic contract on theorylab.conservation: frozen result types with a JSON-ready
to_dict(), the error and warning hierarchy, seed= everywhere, and the deprecated spellings."""

import dataclasses
import json
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from theorylab import errors
from theorylab._core.rng import spawn_seeds
from theorylab.conservation import (
    FlowStalled,
    LawCount,
    Mirror,
    Model,
    Momentum,
    Trajectory,
    count_laws,
    from_function,
    integrate_flow,
    linear2,
    monitor,
    random_architecture,
    relu,
)
from theorylab.conservation import trajectory as trajectory_module


def _roundtrip(result):
    return json.loads(json.dumps(result.to_dict()))


def test_law_count_is_frozen_and_json_ready():
    c = count_laws(relu([3, 4, 2], bias=True), seed=0)
    assert isinstance(c, LawCount)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.number = 0
    d = _roundtrip(c)
    assert d["number"] == 4 and d["certified"] is True and d["status"] == "certified"
    assert d["model"] == "relu([3, 4, 2], bias)" and d["flow"] == "gradient"


def test_model_to_dict_leaves_out_phi_and_gives_the_layout():
    model = linear2(2, 3, 1)
    d = _roundtrip(model)
    assert d == {
        "name": "linear2(n=2, r=3, m=1)",
        "blocks": {"U": [2, 3], "V": [1, 3]},
        "out_dim": 2,
        "names": list(model.names),
        "D": 9,
    }
    auto = from_function(lambda t: (t[0] * t[1])[None], 2, seed=0)
    assert _roundtrip(auto)["D"] == 2 and "phi_torch" not in auto.to_dict()


def test_flows_to_dict():
    assert Mirror().to_dict() == {"metric": "entropy"}
    assert Mirror(np.array([True, False])).to_dict() == {"metric": [True, False]}
    assert Mirror(lambda th: torch.diag(th)).to_dict() == {"metric": "callable"}
    assert _roundtrip(Momentum(0.5, Mirror())) == {"tau": 0.5, "mirror": {"metric": "entropy"}}
    with pytest.raises(dataclasses.FrozenInstanceError):
        Momentum(1.0).tau = 2.0


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).double()


def test_trajectory_is_frozen_and_json_ready():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8, 2, generator=g, dtype=torch.float64)
    traj = integrate_flow(_net(), lambda m: (m(x) ** 2).mean(), 0.5, n_eval=3)
    assert isinstance(traj, Trajectory)
    d = _roundtrip(traj)
    assert d["times"] == [0.0, 0.25, 0.5] and len(d["params"]) == 3 and len(d["params"][0]) == 13
    assert d["velocities"] is None and d["nfev"] == traj.nfev


def test_flow_stalled_is_a_convergence_error():
    assert issubclass(FlowStalled, errors.ConvergenceError)
    assert issubclass(FlowStalled, RuntimeError)
    assert trajectory_module.FlowStalled is FlowStalled  # the old import path still works
    net = nn.Linear(1, 1, bias=False).double()
    with torch.no_grad():
        net.weight.fill_(1.0)
    with pytest.raises(FlowStalled, match="20 gradient evaluations"):
        integrate_flow(net, lambda m: -(m.weight**4).sum(), 1.0, max_evals=20)


def test_ode_failure_is_a_convergence_error():
    # θ̇ = 4θ³ from θ = 1 blows up at t = 1/8: the solver's step underflows
    net = nn.Linear(1, 1, bias=False).double()
    with torch.no_grad():
        net.weight.fill_(1.0)
    with pytest.raises(errors.ConvergenceError, match="the ODE solver failed") as info:
        integrate_flow(net, lambda m: -(m.weight**4).sum(), 1.0)
    assert not isinstance(info.value, FlowStalled)
    assert isinstance(info.value, RuntimeError)  # old `except RuntimeError` keeps working


def test_non_generic_point_warns_with_theorylab_warning():
    # φ = relu(θ0)·θ1 has a zero gradient wherever θ0 < 0; seed 2 puts the first point there
    model = from_function(lambda t: (torch.relu(t[0]) * t[1])[None], 2, seed=0)
    with pytest.warns(errors.TheorylabWarning, match="non-generic point"):
        c = count_laws(model, seed=2)
    assert issubclass(errors.TheorylabWarning, RuntimeWarning)
    assert c.number == 1  # the generic rank (1) wins over the degenerate point's (0)


def test_no_generator_survives_on_a_flat_region():
    # every point of seed 8 has θ0 < 0, where φ ≡ 0: every function is locally conserved
    model = from_function(lambda t: (torch.relu(t[0]) * t[1])[None], 2, seed=0)
    c = count_laws(model, seed=8)
    assert c.number == 2 and c.lie_dim == 0 and c.status == "closed"


def test_from_function_takes_a_seed():
    calls = []

    def phi(t):
        calls.append(t.detach().clone())
        return (t[0] * t[1])[None]

    from_function(phi, 2, seed=3)
    from_function(phi, 2, seed=3)
    assert torch.equal(calls[0], calls[1])
    assert bool(((calls[0] >= 0.5) & (calls[0] <= 1.5)).all())
    with pytest.raises(TypeError, match="seed must be an int"):
        from_function(phi, 2, seed="x")


def test_seed_defaults_are_none_and_counts_do_not_depend_on_it():
    assert count_laws(linear2(2, 2, 2)).number == count_laws(linear2(2, 2, 2), seed=0).number == 3
    gen = np.random.default_rng(5)
    assert count_laws(linear2(2, 2, 2), seed=gen).number == 3


def test_random_architecture_reproduces_the_authors_protocol_draws():
    seeds = spawn_seeds(0, 20)
    # the names the study recorded for its first linear and first ReLU network (seed 0)
    assert random_architecture("linear", (2, 5), seed=seeds[0]).name == "deep_linear([5, 5, 3, 5])"
    assert random_architecture("relu", (2, 5), seed=seeds[10]).name == "relu([4, 3, 5, 5])"
    for s in range(10):
        m = random_architecture("relu", (2, 3), seed=s)
        widths = [shape[0] for name, shape in m.blocks.items() if name.startswith("W")]
        assert 2 <= len(widths) <= 4 and all(2 <= w <= 3 for w in widths)
    assert isinstance(random_architecture("linear"), Model)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"kind": "conv"}, ValueError, "kind must be one of"),
        ({"kind": "relu", "widths": (5, 2)}, ValueError, "widths must be"),
        ({"kind": "relu", "widths": (2, 3, 4)}, ValueError, "widths must be"),
        ({"kind": "relu", "widths": (0, 3)}, ValueError, r"widths\[0\] must be >= 1"),
    ],
)
def test_random_architecture_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        random_architecture(**kwargs)


def test_bad_input_at_the_public_edge():
    from theorylab.conservation import known_laws, polynomial_laws

    with pytest.raises(TypeError, match="model must be a theorylab.conservation Model"):
        known_laws("relu")
    with pytest.raises(TypeError, match="model must be a theorylab.conservation Model"):
        polynomial_laws("relu")
    with pytest.raises(TypeError, match="exact must be a bool"):
        count_laws(linear2(1, 1, 1), exact=1)
    net = _net()
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer"):
        monitor(net, "sgd")
    with pytest.raises(TypeError, match="loss must be a callable"):
        integrate_flow(net, 3.0, 1.0)
    with pytest.raises(ValueError, match="rtol must be > 0"):
        integrate_flow(net, lambda m: m(torch.zeros(1, 2, dtype=torch.float64)).sum(), 1.0, rtol=0)
    with pytest.raises(TypeError, match="with_bias must be a bool"):
        monitor(net).values(with_bias=None)


def test_bias_free_values_are_the_negative_control():
    net = _net()
    mon = monitor(net)
    w1, b1, w2 = net[0].weight, net[0].bias, net[2].weight
    expected = ((w2**2).sum(0) - (w1**2).sum(1)).detach().double()
    assert torch.equal(mon.values(with_bias=False), expected)
    assert torch.allclose(mon.values(), expected - (b1**2).detach().double(), rtol=0, atol=1e-15)


def test_deprecated_study_module_names_warn_and_match_the_study():
    from theorylab.studies import conservation_laws as S
    from theorylab.studies.base import Study

    study = S.ConservationLaws()
    for old, new in (("NAME", "name"), ("TITLE", "title"), ("CITATION", "citation")):
        with pytest.warns(DeprecationWarning, match=f"conservation_laws.{old} is deprecated"):
            assert getattr(S, old) == getattr(study, new)
    with pytest.warns(DeprecationWarning, match="conservation_laws.run is deprecated"):
        run = S.run
    assert run.__func__ is Study.run and isinstance(run.__self__, S.ConservationLaws)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert S.ConservationLaws.name == "conservation-laws"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        S.nope  # noqa: B018

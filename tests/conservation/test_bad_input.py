import numpy as np
import pytest
import torch

from theorylab.conservation import (
    Mirror,
    Momentum,
    count_laws,
    deep_linear,
    from_function,
    linear2,
    polynomial_laws,
    relu,
)


def test_sizes():
    with pytest.raises(ValueError, match=r"dims\[1\] must be >= 1; got 0"):
        relu([3, 0, 2])
    with pytest.raises(TypeError, match="n must be an int; got the float 2.0"):
        linear2(2.0, 2, 2)
    with pytest.raises(ValueError, match="dims must have at least 2 entries"):
        deep_linear([3])
    with pytest.raises(TypeError, match="bias must be a bool"):
        relu([2, 2, 1], bias=1)


def test_flows():
    with pytest.raises(ValueError, match="flow must be 'gradient'"):
        count_laws(linear2(1, 1, 1), "adam")
    with pytest.raises(ValueError, match="tau must be >= 0"):
        Momentum(-1.0)
    with pytest.raises(ValueError, match="Mirror metric must be 'entropy'"):
        Mirror("kl")
    with pytest.raises(ValueError, match="Mirror mask has length 3"):
        count_laws(linear2(2, 2, 2), Mirror(np.ones(3, dtype=bool)))
    with pytest.raises(ValueError, match="unknown block 'X'"):
        linear2(2, 2, 2).mask("X")


def test_from_function_checks_phi():
    with pytest.raises(ValueError, match="non-finite"):
        from_function(lambda t: t / 0.0 * 0.0, 3)
    with pytest.raises(ValueError, match=r"shape \(d,\)"):
        from_function(lambda t: t.sum(), 3)
    with pytest.raises(TypeError, match="must return a torch.Tensor"):
        from_function(lambda t: 1.0, 3)
    with pytest.raises(ValueError, match="phi failed"):
        from_function(lambda t: t @ torch.ones(5, dtype=t.dtype), 3)
    with pytest.raises(TypeError, match="phi must be a callable"):
        from_function(3, 3)


def test_algorithm_options():
    m = linear2(1, 1, 1)
    with pytest.raises(ValueError, match="n_points must be >= 1"):
        count_laws(m, n_points=0)
    with pytest.raises(ValueError, match="rtol must be > 0"):
        count_laws(m, rtol=0.0)
    auto = from_function(lambda t: (t[0] * t[1])[None], 2)
    with pytest.raises(ValueError, match="exact=True needs a polynomial model"):
        count_laws(auto, exact=True)
    with pytest.raises(ValueError, match="polynomial_laws needs a polynomial model"):
        polynomial_laws(auto)
    with pytest.raises(ValueError, match="degree must be >= 1"):
        polynomial_laws(m, 0)
    with pytest.raises(TypeError, match="model must be a theorylab.conservation Model"):
        count_laws("relu")

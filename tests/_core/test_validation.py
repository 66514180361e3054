import numpy as np
import pytest
import torch

from theorylab._core.validation import (
    check_choice,
    check_finite,
    check_int,
    check_int_sequence,
    check_real,
)


def test_check_int():
    assert check_int(np.int64(3), "n", min_value=1) == 3
    with pytest.raises(TypeError, match="n must be an int; got the float 2.0"):
        check_int(2.0, "n")
    with pytest.raises(TypeError, match="n must be an int"):
        check_int(True, "n")
    with pytest.raises(ValueError, match="n must be >= 1; got 0"):
        check_int(0, "n", min_value=1)


def test_check_real():
    assert check_real(2, "tau", min_value=0) == 2.0
    with pytest.raises(ValueError, match="tau must be finite"):
        check_real(float("nan"), "tau")
    with pytest.raises(ValueError, match="sigma must be > 0"):
        check_real(0.0, "sigma", min_value=0.0, strict_min=True)
    with pytest.raises(TypeError, match="tau must be a real number"):
        check_real("1", "tau")


def test_check_int_sequence():
    assert check_int_sequence([2, 3], "dims") == (2, 3)
    with pytest.raises(ValueError, match=r"dims\[1\] must be >= 1"):
        check_int_sequence([2, 0], "dims")
    with pytest.raises(TypeError, match="dims must be a sequence"):
        check_int_sequence("23", "dims")
    with pytest.raises(ValueError, match="at least 2"):
        check_int_sequence([2], "dims", min_len=2)


def test_check_choice_and_finite():
    assert check_choice("a", "mode", ["a", "b"]) == "a"
    with pytest.raises(ValueError, match=r"mode must be one of \['a', 'b'\]"):
        check_choice("c", "mode", ["a", "b"])
    check_finite(np.ones(3), "x")
    with pytest.raises(ValueError, match="theta must be finite"):
        check_finite(torch.tensor([1.0, float("inf")]), "theta")

"""The networks and data of the topic: ``seed=`` gives the weights of ``torch.manual_seed``
without touching the global generator; the digits split is scikit-learn's."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from theorylab.sparsity import digits_cnn, digits_split, resnet


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize(
    "build", [lambda **kw: digits_cnn(**kw), lambda **kw: resnet(18, width=4, **kw)]
)
def test_int_seed_gives_the_weights_of_manual_seed(build):
    torch.manual_seed(3)
    expected = build()
    torch.manual_seed(123)
    state = torch.get_rng_state()
    got = build(seed=3)
    assert _same(got, expected)
    assert torch.equal(torch.get_rng_state(), state)  # the global generator is untouched
    assert not _same(build(seed=4), expected)


def test_generator_seeds():
    a = digits_cnn(seed=np.random.default_rng(0))
    b = digits_cnn(seed=np.random.default_rng(0))
    assert _same(a, b)
    g = torch.Generator().manual_seed(5)
    c, d = digits_cnn(seed=g), digits_cnn(seed=g)  # the generator advances between calls
    assert not _same(c, d)
    assert _same(c, digits_cnn(seed=torch.Generator().manual_seed(5)))


def test_digits_split_is_sklearns_stratified_split():
    Xtr, ytr, Xte, yte = digits_split(seed=7)
    X, y = load_digits(return_X_y=True)
    _, Xte_ref, _, yte_ref = train_test_split(X, y, test_size=0.3, random_state=7, stratify=y)
    assert Xtr.shape == (1257, 1, 8, 8) and Xte.shape == (540, 1, 8, 8)
    assert Xtr.dtype == torch.float32 and ytr.dtype == torch.int64
    np.testing.assert_array_equal(Xte.numpy().reshape(540, 64) * 16.0, Xte_ref)
    np.testing.assert_array_equal(yte.numpy(), yte_ref)
    assert float(Xtr.max()) == 1.0 and float(Xtr.min()) == 0.0


def test_bad_zoo_input():
    with pytest.raises(ValueError, match="depth"):
        resnet(20)
    with pytest.raises(TypeError, match="batchnorm"):
        digits_cnn(batchnorm="yes")
    with pytest.raises(TypeError, match="seed"):
        digits_cnn(seed="0")
    with pytest.raises(ValueError, match="seed"):
        resnet(18, seed=-1)
    with pytest.raises(ValueError, match="test_size"):
        digits_split(test_size=1.0)
    with pytest.raises(TypeError, match="seed"):
        digits_split(seed=1.5)

"""gamma is derived: 1/4 for sigmoid and 1 for tanh, both at z = 0, and a wrong gamma is rejected."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

import derive
from derive.activations import derive_gamma
from derive.bound import check_gamma


@pytest.mark.parametrize(("name", "value", "output"), [("sigmoid", sp.Rational(1, 4), sp.Rational(1, 2)), ("tanh", 1, 0)])
def test_gamma_is_derived_exactly(name: str, value: sp.Expr, output: sp.Expr) -> None:
    g = derive_gamma(name)
    assert derive.gamma(name) == value
    assert g.argmax == 0
    (critical,) = g.critical
    assert critical.is_maximum and critical.output == output
    assert g.limits == (0, 0)
    assert check_gamma(g) == 3


@pytest.mark.parametrize("wrong", [sp.Rational(1, 2), sp.Rational(1, 5), sp.Integer(1)])
def test_a_wrong_gamma_is_rejected(wrong: sp.Expr) -> None:
    g = dataclasses.replace(derive_gamma("sigmoid"), gamma=wrong)
    with pytest.raises(derive.CheckFailed, match="gamma \\(sigmoid\\)"):
        check_gamma(g)


def test_unknown_activation_names_the_allowed_ones() -> None:
    with pytest.raises(derive.ConfigError, match="'relu'.*sigmoid, tanh"):
        derive.gamma("relu")

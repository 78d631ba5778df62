"""Numeric forms of the registered activations: phi, and log phi' in a form that stays finite.

Deep saturation is where gradients vanish, so the slope is carried as its
logarithm: log sech^2(a) = 2 (log 2 - |a| - log1p(e^{-2|a|})) for tanh and
log sigma(a) sigma(-a) = -|a| - 2 log1p(e^{-|a|}) for the sigmoid. Both stay
finite and accurate for |a| far beyond where phi'(a) itself underflows. The
registry has the same names as ``derive.ACTIVATIONS``; tests check each form
against SymPy's derivative of the symbolic formula.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

import derive

Array = NDArray[np.float64]

LOG2 = float(np.log(2.0))


@dataclass(frozen=True)
class NumericActivation:
    """phi and log|phi'| as vectorised NumPy functions, with gamma from the symbolic side."""

    name: str
    phi: Callable[[Array], Array]
    log_slope: Callable[[Array], Array]

    @property
    def gamma(self) -> float:
        """gamma = sup |phi'|, derived symbolically by derive."""
        return float(derive.gamma(self.name))

    def slope(self, a: Array) -> Array:
        """phi'(a); underflows to 0 where log_slope does not."""
        return np.exp(self.log_slope(a))


def _sigmoid(a: Array) -> Array:
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _log_sigmoid_slope(a: Array) -> Array:
    m = np.abs(a)
    return -m - 2.0 * np.log1p(np.exp(-m))


def _log_tanh_slope(a: Array) -> Array:
    m = np.abs(a)
    return 2.0 * (LOG2 - m - np.log1p(np.exp(-2.0 * m)))


NUMERIC: dict[str, NumericActivation] = {
    "sigmoid": NumericActivation("sigmoid", _sigmoid, _log_sigmoid_slope),
    "tanh": NumericActivation("tanh", np.tanh, _log_tanh_slope),
}


def numeric(name: str) -> NumericActivation:
    """The numeric activation called ``name``; the error names the allowed ones."""
    try:
        return NUMERIC[name]
    except KeyError:
        raise derive.ConfigError("activation", name, sorted(NUMERIC)) from None

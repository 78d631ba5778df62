"""Numeric forms of the registered activations, derived from the one symbolic registry ``derive.ACTIVATIONS``.

For every registered activation, phi is ``sympy.lambdify`` of its formula and log|phi'| is
``lambdify`` of the log of SymPy's derivative. Where a lambdified form loses accuracy, a
stable override is registered under the same name (``OVERRIDES``), and tests check it
against the SymPy expression at 50 digits. Deep saturation is where gradients vanish,
so the slope is carried as its logarithm: log sech^2 a = 2 (log 2 - |a| - log1p(e^{-2|a|}))
for tanh and log sigma(a) sigma(-a) = -|a| - 2 log1p(e^{-|a|}) for the sigmoid stay
finite and accurate for |a| far beyond where phi'(a) itself underflows.

Stated accuracy (u = 2^-53): an override with ``log_slope_accuracy = c`` satisfies
|log_slope(a) - log|phi'(a)|| <= c u (1 + |log|phi'(a)||). For both overrides c = 8: the
operations are exp (argument exact: -|a| or -2|a|), log1p of a value in (0, 1] (condition
<= 1), one subtraction involving |a| (rounding u |log 2 - |a|| <= u (|L| + log 2)) and one
rounding of the result; with libm's exp and log1p within one ulp the sum is below
u (9 log 2 + 2 |L|) <= 8 u (1 + |L|). A lambdified form has no stated accuracy (None).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import sympy as sp
from numpy.typing import NDArray

import derive
from derive.activations import ACTIVATIONS, Activation

Array = NDArray[np.float64]

LOG2 = float(np.log(2.0))
#: The unit roundoff of IEEE double precision.
UNIT_ROUNDOFF = 2.0**-53


@dataclass(frozen=True)
class NumericActivation:
    """phi and log|phi'| as vectorised NumPy functions, with gamma from the symbolic side.

    ``log_slope_accuracy`` is the c of the stated bound |log_slope(a) - log|phi'(a)|| <= c u (1 + |log|phi'(a)||),
    or None when no bound is stated (a lambdified form without an override).
    """

    name: str
    phi: Callable[[Array], Array]
    log_slope: Callable[[Array], Array]
    log_slope_accuracy: float | None = field(default=None)

    @property
    def gamma(self) -> float:
        """gamma = sup |phi'|, derived symbolically by derive."""
        return float(derive.gamma(self.name))

    def slope(self, a: Array) -> Array:
        """|phi'(a)|; underflows to 0 where log_slope does not."""
        return np.exp(self.log_slope(a))

    def log_slope_error(self, log_slopes: Array | float) -> float:
        """The stated bound on the absolute error of log_slope at computed values ``log_slopes``: c u (1 + max |L|).

        Raises GradproofError when the activation states no accuracy (its rounding cannot be bounded).
        """
        return float(self.log_slope_error_at(float(np.max(np.abs(log_slopes)))))

    def log_slope_error_at(self, largest: Array | float) -> Array | float:
        """``log_slope_error`` given max |L| (elementwise for an array of maxima: one per chain of a batch)."""
        if self.log_slope_accuracy is None:
            raise derive.GradproofError(f"activation {self.name!r} states no accuracy for its log slope: its rounding cannot be bounded")
        # |L| <= |L_computed| + error; the factor 1 + 1e-10 covers that second-order term.
        return self.log_slope_accuracy * UNIT_ROUNDOFF * (1.0 + largest) * (1.0 + 1e-10)


@dataclass(frozen=True)
class Override:
    """Stable numeric forms registered for one activation name; None keeps the lambdified form."""

    phi: Callable[[Array], Array] | None = None
    log_slope: Callable[[Array], Array] | None = None
    log_slope_accuracy: float | None = None


def _sigmoid(a: Array) -> Array:
    e = np.exp(-np.abs(a))
    return cast(Array, np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def _log_sigmoid_slope(a: Array) -> Array:
    m = np.abs(a)
    return cast(Array, -m - 2.0 * np.log1p(np.exp(-m)))


def _log_tanh_slope(a: Array) -> Array:
    m = np.abs(a)
    return cast(Array, 2.0 * (LOG2 - m - np.log1p(np.exp(-2.0 * m))))


#: Stable forms, per registered name; each is tested against the SymPy expression (tests/test_numeric_activations.py).
OVERRIDES: dict[str, Override] = {
    "sigmoid": Override(phi=_sigmoid, log_slope=_log_sigmoid_slope, log_slope_accuracy=8.0),
    "tanh": Override(log_slope=_log_tanh_slope, log_slope_accuracy=8.0),
}


def symbolic_forms(activation: Activation) -> tuple[sp.Symbol, sp.Expr, sp.Expr]:
    """The variable z, phi(z) and log|phi'(z)| as SymPy expressions, from the registered formula."""
    z = sp.Symbol("z", real=True)
    phi = activation.expression(z)
    return z, phi, sp.log(sp.Abs(sp.diff(phi, z)))


def lambdified(activation: Activation) -> tuple[Callable[[Array], Array], Callable[[Array], Array]]:
    """phi and log|phi'| by ``sympy.lambdify`` of the symbolic forms (NumPy backend)."""
    z, phi, log_slope = symbolic_forms(activation)
    return sp.lambdify(z, phi, "numpy"), sp.lambdify(z, log_slope, "numpy")


def build(activation: Activation, override: Override | None = None) -> NumericActivation:
    """The numeric activation for a symbolic one: lambdified forms, replaced by the override's where it gives one."""
    phi, log_slope = lambdified(activation)
    if override is None:
        return NumericActivation(activation.name, phi, log_slope)
    return NumericActivation(activation.name, override.phi or phi, override.log_slope or log_slope, override.log_slope_accuracy)


def _registry() -> dict[str, NumericActivation]:
    stray = sorted(set(OVERRIDES) - set(ACTIVATIONS))
    if stray:
        raise derive.GradproofError(f"numeric overrides for unregistered activations: {', '.join(stray)}")
    return {name: build(activation, OVERRIDES.get(name)) for name, activation in ACTIVATIONS.items()}


#: One numeric activation per name of ``derive.ACTIVATIONS``.
NUMERIC: dict[str, NumericActivation] = _registry()


def numeric(name: str) -> NumericActivation:
    """The numeric activation called ``name``; the error names the allowed ones."""
    try:
        return NUMERIC[name]
    except KeyError:
        raise derive.ConfigError("activation", name, sorted(NUMERIC)) from None

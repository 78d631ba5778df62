"""The activation registry, and gamma = sup_z |phi'(z)| derived from each formula.

gamma is never typed in: it comes from the critical points of phi' (where
phi'' = 0), the second-derivative test there, and the limits of |phi'| at
+-infinity. This is the symbolic route; the independent numeric route, a
rigorous enclosure in ball arithmetic, is ``derive.interval``, and the check of
statement 6 (``derive.gamma``) compares the printed value with both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import sympy as sp
from sympy.core.function import PoleError
from sympy.series.gruntz import gruntz

from .errors import ConfigError, GradproofError


@dataclass(frozen=True)
class Activation:
    """An elementwise activation phi, given as a SymPy formula in one real variable."""

    name: str
    title: str
    symbol: str  # LaTeX for phi in this activation's own formulas, e.g. \\sigma, \\tanh
    formula: Callable[[sp.Expr], sp.Expr]

    def expression(self, z: sp.Expr) -> sp.Expr:
        """phi(z) as a SymPy expression."""
        return self.formula(z)


ACTIVATIONS: dict[str, Activation] = {
    activation.name: activation
    for activation in (
        Activation("sigmoid", "logistic sigmoid", r"\sigma", lambda z: 1 / (1 + sp.exp(-z))),
        Activation("tanh", "hyperbolic tangent", r"\tanh", sp.tanh),
    )
}


def activation(name: str) -> Activation:
    """The registered activation called ``name``."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ConfigError("--activation", name, sorted(ACTIVATIONS)) from None


@dataclass(frozen=True)
class CriticalPoint:
    """A zero z* of phi'' with the values the second-derivative test reads there."""

    point: sp.Expr
    value: sp.Expr  # phi'(z*)
    third: sp.Expr  # phi'''(z*): negative means a local maximum of phi'
    output: sp.Expr  # phi(z*)

    @property
    def is_maximum(self) -> bool:
        return bool(self.third.is_negative)


@dataclass(frozen=True)
class GammaDerivation:
    """How gamma = sup |phi'| was found for one activation, every intermediate kept."""

    activation: Activation
    variable: sp.Symbol
    phi: sp.Expr
    first: sp.Expr
    second: sp.Expr
    critical: tuple[CriticalPoint, ...]
    limits: tuple[sp.Expr, sp.Expr]  # lim |phi'| at -oo and +oo
    gamma: sp.Expr
    argmax: sp.Expr | None  # None when the supremum is not attained


def _critical_points(second: sp.Expr, z: sp.Symbol, name: str) -> tuple[sp.Expr, ...]:
    points = sp.solveset(second, z, sp.S.Reals)
    if not isinstance(points, sp.FiniteSet):
        raise GradproofError(f"cannot derive gamma for {name!r}: phi'' = 0 on {points}, not a finite set")
    return tuple(sorted(points, key=sp.default_sort_key))


def _limit_of_abs(expr: sp.Expr, z: sp.Symbol, end: sp.Expr) -> sp.Expr:
    """lim |expr| as z -> end: |lim expr| when that limit exists and is finite (|.| is continuous), else SymPy's limit of |expr|.

    The limit of expr itself comes from the Gruntz algorithm (``gruntz``), which ``limit`` runs after heuristics that
    cost far more here (1.8 s for tanh' against 0.07 s).
    """
    try:
        inner = gruntz(expr, z, end)
    except (NotImplementedError, ValueError, PoleError):
        inner = sp.nan
    if inner.is_finite and inner.is_extended_real:
        return sp.Abs(inner)
    return sp.limit(sp.Abs(expr), z, end)


def derive_gamma(name: str, variable: str = "z") -> GammaDerivation:
    """Derive gamma for the activation ``name``: critical points, second-derivative test, limits (once per name and variable)."""
    return _derive_gamma(name, variable)


@cache
def _derive_gamma(name: str, variable: str) -> GammaDerivation:
    act = activation(name)
    z = sp.Symbol(variable, real=True)
    phi = act.expression(z)
    first, second, third = sp.diff(phi, z), sp.factor(sp.diff(phi, z, 2)), sp.diff(phi, z, 3)
    critical = tuple(
        CriticalPoint(c, sp.simplify(first.subs(z, c)), sp.simplify(third.subs(z, c)), sp.simplify(phi.subs(z, c))) for c in _critical_points(second, z, name)
    )
    limits = (_limit_of_abs(first, z, -sp.oo), _limit_of_abs(first, z, sp.oo))
    # |phi'| is largest at a critical point of phi' or in the limit at +-infinity (phi' is smooth).
    gamma = sp.Max(*(sp.Abs(c.value) for c in critical), *limits)
    attained = [c.point for c in critical if sp.Abs(c.value) == gamma]
    return GammaDerivation(
        activation=act,
        variable=z,
        phi=phi,
        first=first,
        second=second,
        critical=critical,
        limits=limits,
        gamma=gamma,
        argmax=attained[0] if attained else None,
    )


def gamma(name: str) -> sp.Expr:
    """gamma = sup_z |phi'(z)| for the registered activation ``name``, exact (1/4 for sigmoid, 1 for tanh)."""
    return derive_gamma(name).gamma

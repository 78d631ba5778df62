"""The check of statement 6, gamma_phi = sup_{z in R} |phi'(z)| = value, read from the printed statement.

For each printed equation the activation is identified from its symbols (the
subscript of gamma and the function inside the absolute value, which must
agree), and the printed value is compared with two independent routes: the
symbolic one (critical points of phi', second-derivative test, limits at
infinity; ``derive.activations``) and a rigorous enclosure in ball arithmetic
(``derive.interval``), which never sees the symbolic result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from math import ceil, floor, log10

import sympy as sp

from .activations import ACTIVATIONS, activation, derive_gamma
from .checks import CheckContext, fail_unless
from .document import CheckResult, Prose
from .errors import CheckFailed, GradproofError
from .expressions import Chain, Conjunction, Extremum
from .interval import BITS, RADIUS, REL_TOL, GammaEnclosure, enclose_gamma

LABEL = "gamma"

_SUBSCRIPTED = re.compile(r"^(?P<base>.*)_\{(?P<sub>.*)\}$")


@dataclass
class _Tally:
    """Counts the comparisons a check actually makes: each ``require`` is one."""

    count: int = 0

    def require(self, ok: bool, reason: str) -> None:
        fail_unless(LABEL, ok, reason)
        self.count += 1


@dataclass(frozen=True)
class _Reading:
    """One printed equation gamma_phi = sup_{z in R} |phi'(z)| = value, as read: which activation, over which variable, which value."""

    name: str
    gamma: sp.Symbol
    variable: sp.Symbol
    value: sp.Expr


def _by_subscript(gamma: sp.Basic, base: str, tally: _Tally) -> str:
    """The activation named by the subscript of the printed gamma, e.g. gamma_{\\sigma} -> sigmoid."""
    match = _SUBSCRIPTED.match(str(gamma)) if isinstance(gamma, sp.Symbol) else None
    fail_unless(LABEL, match is not None, f"the left side {gamma} is not gamma with an activation as subscript")
    assert match is not None
    tally.require(match["base"] == base, f"the left side {gamma} is not {base}")
    names = [a.name for a in ACTIVATIONS.values() if a.symbol == match["sub"]]
    fail_unless(LABEL, len(names) == 1, f"the subscript {match['sub']} names no registered activation")
    return names[0]


def _by_slope(extremum: sp.Basic, tally: _Tally) -> tuple[str, sp.Symbol]:
    """(the activation whose slope is printed, the variable) from sup_{z in R} |phi'(z)|; a max over an index or a missing Abs is refused."""
    fail_unless(LABEL, isinstance(extremum, Extremum), f"{extremum} is not a supremum")
    body, variable, kind = extremum.args
    tally.require(str(kind) == "sup", f"the extremum is a {kind}, not a supremum over the reals")
    tally.require(isinstance(variable, sp.Symbol) and variable.is_real is True and variable.is_integer is not True, f"{variable} does not range over the reals")
    tally.require(isinstance(body, sp.Abs), f"the supremum is of {body}, not of an absolute value")
    slope = body.args[0]
    names = [a.name for a in ACTIVATIONS.values() if isinstance(slope, sp.core.function.AppliedUndef) and str(slope.func) == a.symbol + "'"]
    tally.require(len(names) == 1 and slope.args == (variable,), f"{slope} is not the slope of a registered activation at {variable}")
    return names[0], variable


def _read(chain: sp.Basic, base: str, tally: _Tally) -> _Reading:
    """Read one equation gamma_phi = sup |phi'| = value; its subscript and its slope must name the same activation."""
    fail_unless(LABEL, isinstance(chain, Chain) and [str(r) for r in chain.args[1::2]] == ["=", "="], f"{chain} is not gamma = sup = value")
    gamma, extremum, value = chain.args[0::2]
    named = _by_subscript(gamma, base, tally)
    sloped, variable = _by_slope(extremum, tally)
    tally.require(named == sloped, f"{gamma} names {named} but the supremum is of the slope of {sloped}")
    fail_unless(LABEL, isinstance(value, sp.Expr) and value.is_number is True, f"the value {value} is not a number")
    return _Reading(named, gamma, variable, value)


def _compare(reading: _Reading, tally: _Tally) -> tuple[GammaEnclosure, sp.Expr]:
    """The printed value against the symbolic route (exactly) and the enclosure (in balls); the symbolic argmax in the enclosure's argmax set."""
    name, value = reading.name, reading.value
    symbolic = derive_gamma(name, str(reading.variable))
    try:
        enclosure = enclose_gamma(activation(name))
    except GradproofError as error:
        raise CheckFailed(LABEL, f"no rigorous enclosure of {reading.gamma}: {error}") from error
    tally.require(sp.simplify(value - symbolic.gamma) == 0, f"{reading.gamma} is printed as {value}, but the critical points and limits give {symbolic.gamma}")
    tally.require(bool(enclosure.tail_bound < enclosure.lo), f"the tail bound {enclosure.tail_bound} on |z| >= {enclosure.R} does not lie below {enclosure.lo}")
    tally.require(enclosure.contains(value), f"{reading.gamma} = {value} lies outside the enclosure [{float(enclosure.lo)}, {float(enclosure.hi)}]")
    tally.require(enclosure.is_narrow(REL_TOL), f"the enclosure of {reading.gamma} has width {float(enclosure.width)}, above {float(REL_TOL)} relative")
    argmax = symbolic.argmax
    fail_unless(LABEL, argmax is not None, f"the symbolic route finds no point where {reading.gamma} is attained")
    assert argmax is not None
    tally.require(enclosure.in_argmax(argmax), f"the maximiser {argmax} lies outside the enclosure's argmax set {enclosure.argmax_intervals}")
    return enclosure, argmax


def check_gamma(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 6, read from the printed Conjunction: each value equals the symbolic gamma exactly and lies in a narrow proved enclosure."""
    fail_unless(LABEL, isinstance(math, Conjunction), f"{math} is not one equation per activation")
    tally = _Tally()
    readings = [_read(chain, context.model.notation.gamma, tally) for chain in math.args]
    printed = [r.name for r in readings]
    for name in printed:
        tally.require(name in context.config.activations, f"{name} is printed but not configured")
    for name in context.config.activations:
        tally.require(printed.count(name) == 1, f"{name} is printed {printed.count(name)} times, not once")
    instance: list[object] = []
    for reading in readings:
        enclosure, argmax = _compare(reading, tally)
        instance += [*(("; ",) if instance else ()), *_instance(reading, enclosure, argmax)]
    slope = sp.Abs(sp.Function(context.model.notation.activation + "'")(sp.Symbol(context.model.notation.variable, real=True)))
    summary = ("exactly, from the critical points of ", slope, ", and inside a ball-arithmetic enclosure of its maximum, for ", *_listed_activations(readings))
    return CheckResult(LABEL, _method(context), tuple(instance), tally.count, summary=summary)


def _listed_activations(readings: list[_Reading]) -> Prose:
    """sigma and tanh: the activations whose gamma was printed, by their symbols, listed."""
    symbols = [sp.Symbol(ACTIVATIONS[r.name].symbol) for r in readings]
    listed: list[str | sp.Basic] = []
    for n, symbol in enumerate(symbols):
        listed += [(" and " if n == len(symbols) - 1 else ", ") if n else "", symbol]
    return tuple(listed)


def _method(context: CheckContext) -> Prose:
    """What the two routes did, in the report's notation (phi the generic activation)."""
    n = context.model.notation
    z = sp.Symbol(n.variable, real=True)
    u = sp.Symbol("u")  # not t, which is the time step everywhere else

    def derivative(order: int) -> sp.Expr:
        return sp.Function(n.activation + "'" * order)(z)

    return (
        "the critical points of the slope, where ",
        sp.Eq(derivative(2), 0),
        ", the sign of ",
        derivative(3),
        " there and the limits of ",
        sp.Abs(derivative(1)),
        " at infinity; and, independently, a branch-and-bound enclosure of ",
        sp.Abs(derivative(1)),
        " in ball arithmetic at ",
        sp.Integer(BITS),
        " bits over ",
        sp.Interval(-RADIUS, RADIUS),
        ", with a proved bound on ",
        sp.Ge(sp.Abs(z), RADIUS),
        " from ",
        derivative(1),
        " written as a rational function of ",
        sp.Eq(u, sp.exp(-sp.Abs(z))),
        "; the printed value must equal the first exactly and lie in the second, of relative width at most ",
        sp.Float(REL_TOL, 2),
    )


def _instance(reading: _Reading, enclosure: GammaEnclosure, argmax: sp.Expr) -> Prose:
    """One activation's figures: the exact value and maximiser, the enclosure, the boxes, the tail bound."""
    z = reading.variable
    return (
        sp.Eq(reading.gamma, reading.value, evaluate=False),
        " at ",
        sp.Eq(z, argmax, evaluate=False),
        ", enclosed in ",
        sp.Interval(_decimal(enclosure.lo, 17, floor), _decimal(enclosure.hi, 17, ceil)),
        " after ",
        sp.Integer(enclosure.boxes_evaluated),
        " boxes, tails below ",
        _decimal(enclosure.tail_bound, 2, ceil),
    )


def _decimal(x: sp.Rational, digits: int, rounding: Callable[[sp.Rational], int]) -> sp.Expr:
    """x > 0 rounded to ``digits`` significant decimal digits in the given direction (floor: down, ceil: up), for display."""
    if x <= 0:
        return sp.Integer(0)
    exponent = floor(log10(float(x)))
    while sp.Integer(10) ** exponent > x:
        exponent -= 1
    while sp.Integer(10) ** (exponent + 1) <= x:
        exponent += 1
    scale = sp.Integer(10) ** (digits - 1 - exponent)
    return sp.Float(sp.Rational(rounding(x * scale), scale), digits)


CHECKS = {LABEL: check_gamma}

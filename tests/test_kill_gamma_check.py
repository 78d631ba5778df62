"""Statement 6's check (derive/gamma_check.py): the properties a mutation run showed were untested.

How a printed gamma is read (it must carry the activation as subscript, the chain must be two equalities), the
strict tail condition, and how the report displays the proved enclosure: rounded outward, so that the interval the
reader sees contains the one that was proved, to 17 significant digits.
"""

from __future__ import annotations

import dataclasses
from math import ceil, floor

import pytest
import sympy as sp

import derive.gamma_check
import derive.interval
from derive.activations import ACTIVATIONS, derive_gamma
from derive.checks import CheckContext, run_check
from derive.config import Config
from derive.document import CheckResult
from derive.errors import CheckFailed
from derive.expressions import Chain, Conjunction, Extremum
from derive.gamma_check import _decimal, check_gamma
from derive.interval import REL_TOL, GammaEnclosure
from derive.statements import Statements


def _context(*names: str) -> CheckContext:
    return CheckContext(Config(activations=names) if names else Config())


def _check(math: sp.Basic, context: CheckContext) -> CheckResult:
    return run_check({"gamma": check_gamma}, "gamma", math, context)


def _equation(st: Statements, name: str, left: sp.Basic | None = None, relation: str = "=") -> Chain:
    """gamma_phi = sup_z |phi'(z)| = value as printed, with the left side or the first relation replaceable."""
    z = sp.Symbol(st.model.notation.variable, real=True)
    sup = Extremum(sp.Abs(st.slope_of(name, z)), z)
    return Chain(st.gamma_of(name) if left is None else left, relation, sup, "=", derive_gamma(name, str(z)).gamma)


def _rejects(math: sp.Basic, context: CheckContext, reason: str) -> None:
    with pytest.raises(CheckFailed) as error:
        _check(math, context)
    assert error.value.step == "gamma"
    assert reason in error.value.reason, error.value.reason


# -- reading the printed statement ----------------------------------------------------------------------


def test_a_gamma_printed_without_a_subscript_is_rejected() -> None:
    """gamma = sup |sigma'| = 1/4 does not say which activation's gamma it is: the subscript is part of the statement."""
    context = _context("sigmoid")
    st = Statements(context.model, context.config.activations)
    bare = sp.Symbol(context.model.notation.gamma)
    _rejects(Conjunction(_equation(st, "sigmoid", left=bare)), context, "is not gamma with an activation as subscript")


def test_a_gamma_subscripted_by_an_unregistered_activation_is_rejected() -> None:
    """gamma_psi with psi no registered activation is refused by name, not by an index error further on."""
    context = _context("sigmoid")
    st = Statements(context.model, context.config.activations)
    unknown = sp.Symbol(f"{context.model.notation.gamma}_{{\\psi}}")
    _rejects(Conjunction(_equation(st, "sigmoid", left=unknown)), context, "names no registered activation")


@pytest.mark.parametrize("relation", ["<=", "<", "=>"])
def test_a_gamma_printed_as_a_bound_is_rejected(relation: str) -> None:
    """gamma_sigma <= sup |sigma'| = 1/4 is a weaker statement than the definition (and an implication no equation): both links must be equalities."""
    context = _context("sigmoid")
    st = Statements(context.model, context.config.activations)
    _rejects(Conjunction(_equation(st, "sigmoid", relation=relation)), context, "is not gamma = sup = value")


def test_a_value_in_place_of_the_supremum_is_rejected() -> None:
    """gamma_sigma = 1/4 = 1/4 names no supremum: it is refused as such, not by a failure to unpack it."""
    context = _context("sigmoid")
    st = Statements(context.model, context.config.activations)
    quarter = derive_gamma("sigmoid").gamma
    _rejects(Conjunction(Chain(st.gamma_of("sigmoid"), "=", quarter, "=", quarter)), context, "is not a supremum")


def test_a_gamma_the_symbolic_route_finds_unattained_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the critical points and limits found no maximiser, the enclosure's argmax set could not be confirmed: the check
    says so (a CheckFailed naming gamma), it does not stop on an assertion."""
    real = derive.gamma_check.derive_gamma
    monkeypatch.setattr(derive.gamma_check, "derive_gamma", lambda name, *rest: dataclasses.replace(real(name, *rest), argmax=None))
    context = _context("tanh")
    _rejects(Statements(context.model, context.config.activations).gamma_statement, context, "finds no point where")


def test_a_tail_bound_equal_to_the_lower_end_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tails |z| >= R are excluded from the argmax only if their bound lies strictly below lo: equality is not enough."""
    real = derive.interval.enclose_gamma

    def touching(act: derive.activations.Activation) -> GammaEnclosure:
        e = real(act)
        return dataclasses.replace(e, tail_bound=e.lo)

    monkeypatch.setattr(derive.gamma_check, "enclose_gamma", touching)
    context = _context("tanh")
    _rejects(Statements(context.model, context.config.activations).gamma_statement, context, "tail bound")


# -- the display rounding -------------------------------------------------------------------------------


def _exponent(x: sp.Rational) -> int:
    """E with 10^E <= x < 10^(E+1), by exact comparison."""
    e = 0
    while sp.Integer(10) ** e > x:
        e -= 1
    while sp.Integer(10) ** (e + 1) <= x:
        e += 1
    return e


def _significant(shown: sp.Basic) -> int:
    """The number of significant digits the printed number shows (trailing zeros count)."""
    mantissa = str(shown).lstrip("-").split("e")[0].replace(".", "")
    return len(mantissa.lstrip("0"))


def _near_powers_of_ten() -> list[sp.Rational]:
    """Rationals at, just below and just above powers of ten (where a float log10 misjudges the exponent), and in between."""
    values: list[sp.Rational] = []
    for k in range(-30, 26, 5):
        p = sp.Rational(10) ** k
        tiny = p / 10**30
        values += [p, p - tiny, p + tiny, p / 3, p * sp.Rational(95, 100), p * sp.Rational(7, 11)]
    return values


@pytest.mark.parametrize("digits", [2, 17])
def test_display_rounding_is_outward_by_at_most_one_unit(digits: int) -> None:
    """For rational x > 0: the floor-rounded display <= x <= the ceil-rounded one, they differ by at most one unit in the last
    of ``digits`` significant digits, and both show exactly ``digits`` significant digits."""
    for x in _near_powers_of_ten():
        down, up = _decimal(x, digits, floor), _decimal(x, digits, ceil)
        low, high = sp.Rational(str(down)), sp.Rational(str(up))
        unit = sp.Rational(10) ** (_exponent(x) - digits + 1)
        assert low <= x <= high, (x, down, up)
        assert high - low <= unit, (x, down, up)
        assert _significant(down) == digits and _significant(up) == digits, (x, down, up)


def test_a_number_with_few_digits_is_shown_exactly() -> None:
    for x in (sp.Rational(1, 4), sp.Integer(1), sp.Rational(3, 1000), sp.Integer(10**20)):
        assert sp.Rational(str(_decimal(x, 17, floor))) == x == sp.Rational(str(_decimal(x, 17, ceil)))


def test_a_zero_bound_is_shown_as_zero() -> None:
    assert _decimal(sp.Integer(0), 2, ceil) == 0 and _decimal(sp.Integer(0), 17, floor) == 0


# -- what the report shows ------------------------------------------------------------------------------


def _shown(result: CheckResult) -> list[tuple[sp.Interval, sp.Basic]]:
    """(the displayed enclosure, the displayed tail bound) for each activation, in the order printed."""
    items = list(result.instance)
    intervals = [item for item in items if isinstance(item, sp.Interval)]
    tails = [items[i + 1] for i, item in enumerate(items) if isinstance(item, str) and "tails below" in item]
    assert len(intervals) == len(tails)
    return list(zip(intervals, tails, strict=True))


def test_the_displayed_enclosure_contains_the_proved_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The interval shown for each activation has 17 significant digits, contains [lo, hi] and is at most one unit wider at
    each end; the tail bound shown is at or above the proved one. lo is made non-decimal so that rounding down shows."""
    real = derive.interval.enclose_gamma
    proved: dict[str, GammaEnclosure] = {}

    def off_decimal(act: derive.activations.Activation) -> GammaEnclosure:
        e = real(act)
        e = dataclasses.replace(e, lo=e.lo - e.lo / (3 * 10**18))
        proved[act.name] = e
        return e

    monkeypatch.setattr(derive.gamma_check, "enclose_gamma", off_decimal)
    context = _context()
    result = _check(Statements(context.model, context.config.activations).gamma_statement, context)
    shown = _shown(result)
    assert len(shown) == len(context.config.activations) == len(proved)
    for name, (interval, tail) in zip(context.config.activations, shown, strict=True):
        e = proved[name]
        low, high = sp.Rational(str(interval.start)), sp.Rational(str(interval.end))
        assert low <= e.lo and e.hi <= high
        assert e.lo - low <= sp.Rational(10) ** (_exponent(e.lo) - 16) and high - e.hi <= sp.Rational(10) ** (_exponent(e.hi) - 16)
        assert _significant(interval.start) == 17 and _significant(interval.end) == 17
        assert sp.Rational(str(tail)) >= e.tail_bound > 0 and _significant(tail) == 2


def test_the_method_names_what_the_two_routes_did() -> None:
    """The prose names the critical points phi''(z) = 0, the sign of phi'''(z), |phi'(z)| (twice: its limits and what is enclosed),
    phi'(z) (rewritten in t), the box [-R, R] and the tails |z| >= R of the enclosure that ran, the tail variable t = e^{-|z|}
    and the width tolerance REL_TOL the check enforces."""
    context = _context()
    result = _check(Statements(context.model, context.config.activations).gamma_statement, context)
    n = context.model.notation
    z = sp.Symbol(n.variable, real=True)

    def slope(order: int) -> sp.Expr:
        return sp.Function(n.activation + "'" * order)(z)

    R = derive.interval.enclose_gamma(ACTIVATIONS["tanh"]).R
    method = [item for item in result.method if isinstance(item, sp.Basic)]
    for expected in (sp.Eq(slope(2), 0), slope(3), sp.Abs(slope(1)), sp.Interval(-R, R), sp.Ge(sp.Abs(z), R), sp.Eq(sp.Symbol("u"), sp.exp(-sp.Abs(z)))):
        assert expected in method, expected
    assert slope(1) in method  # the slope written as a rational function of t
    assert method.count(sp.Abs(slope(1))) == 2  # the limits of |phi'| at infinity, and the function enclosed
    assert sp.Abs(slope(2)) not in method
    floats = [item for item in method if isinstance(item, sp.Float)]
    assert len(floats) == 1 and abs(sp.Rational(floats[0]) / REL_TOL - 1) < sp.Rational(1, 100)

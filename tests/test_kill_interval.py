"""The enclosure of gamma (derive/interval.py): the properties a mutation run showed were untested.

How compile_ball evaluates powers and constants (the hull of x^n on a ball holding 0, e and pi as narrow balls, a
refusal at compile time for what it cannot bound), what lo <= gamma <= hi and the argmax set mean at their edges
(closed intervals, a relative width), and the enclosure on activations chosen to reach every branch: a constant
slope (every box survives, the tails are maximisers), an unbounded slope (hi = +oo), a slope that is 0/0 at a
midpoint, maxima away from 0 on either side (the tail bound must cover both edges). Each test takes milliseconds:
small budgets, no symbolic route.
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import pytest
import sympy as sp
from flint import arb, fmpq

from derive.activations import ACTIVATIONS, Activation
from derive.errors import GradproofError
from derive.interval import ARGMAX_TOL, REL_TOL, GammaEnclosure, compile_ball, enclose_gamma, precision, tail_form

X = sp.Symbol("x")


def _activation(name: str, phi: Callable[[sp.Expr], sp.Expr]) -> Activation:
    return Activation(name, name, r"\psi", phi)


IDENTITY = _activation("identity", lambda z: z)  # phi' = 1 everywhere: gamma = 1, every z a maximiser
EXPONENTIAL = _activation("exponential", sp.exp)  # phi' = e^z: unbounded on the right tail
#: phi = log((e^{2z} - 1)/(e^z - 1)) / 4 = log(e^z + 1) / 4 as written: phi' is 0/0 at z = 0, sup |phi'| = 1/4 (not attained).
UNSIMPLIFIED = _activation("unsimplified", lambda z: sp.log((sp.exp(2 * z) - 1) / (sp.exp(z) - 1)) / 4)


def _ball(expr: sp.Expr, at: arb) -> arb:
    with precision(128):
        return compile_ball(expr, X)(at)


def _hull(low: fmpq, high: fmpq) -> arb:
    return arb(low).union(arb(high))


# -- compile_ball: powers and constants -------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "low", "high", "image"),
    [
        (0, -1, 2, (1, 1)),
        (1, -1, 2, (-1, 2)),
        (2, -1, 2, (0, 4)),
        (3, -1, 2, (-1, 8)),
        (4, -2, 1, (0, 16)),
        (-1, fmpq(1, 2), 2, (fmpq(1, 2), 2)),
        (-2, fmpq(1, 2), 2, (fmpq(1, 4), 4)),
        (-3, fmpq(1, 2), 2, (fmpq(1, 8), 8)),
    ],
)
def test_an_integer_power_of_a_ball_is_the_exact_image(n: int, low: fmpq, high: fmpq, image: tuple[fmpq, fmpq]) -> None:
    """x^n on [low, high], printed unevaluated (as the report prints powers): it holds the whole image, even powers of a
    ball holding 0 included, and no more than the image up to the radius's rounding."""
    with precision(128):
        result = compile_ball(sp.Pow(X, n, evaluate=False), X)(_hull(fmpq(low), fmpq(high)))
        exact = _hull(fmpq(image[0]), fmpq(image[1]))
        assert result.contains(exact), (n, result, exact)
        slack = arb(fmpq(1, 10**6))  # a ball's radius is stored to 30 bits: the hull of exact ends is itself wider by ~1e-9
        assert result.lower() >= exact.lower() - slack and result.upper() <= exact.upper() + slack, (n, result)


@pytest.mark.parametrize("constant", [sp.E, sp.pi, 2 * sp.pi - sp.E])
def test_e_and_pi_evaluate_as_narrow_balls_around_themselves(constant: sp.Expr) -> None:
    """A constant is a ball of radius about 2^-128 around its value (checked against mpmath at 50 digits), never a float."""
    ball = _ball(constant + 0 * X, arb(0))
    with mpmath.workdps(50):
        exact = mpmath.mpf(sp.N(constant, 50))
        assert abs(mpmath.mpf(ball.mid().str(45, radius=False)) - exact) < mpmath.mpf(10) ** -35
    assert float(ball.rad()) < 1e-30


@pytest.mark.parametrize(("expr", "reason"), [(sp.cbrt(X), "no ball power"), (sp.sin(X), "no ball arithmetic")])
def test_what_has_no_ball_form_is_refused_when_compiled(expr: sp.Expr, reason: str) -> None:
    """A cube root and sin have no rule here: refused at once, before any value is computed (no x^0 = 1, no late crash)."""
    with pytest.raises(ValueError, match=reason):
        compile_ball(expr, X)


# -- GammaEnclosure: the meaning of lo, hi and the argmax set at their edges ---------------------------


def _enclosure(lo: sp.Rational, hi: sp.Expr) -> GammaEnclosure:
    return GammaEnclosure("test", lo, hi, (), sp.Integer(16), 0, sp.Integer(0))


@pytest.mark.parametrize("lo", [sp.Rational(1, 4), sp.Integer(4)])
def test_narrow_means_a_width_at_most_rel_tol_times_lo(lo: sp.Rational) -> None:
    assert _enclosure(lo, lo * (1 + REL_TOL)).is_narrow()
    assert not _enclosure(lo, lo * (1 + 2 * REL_TOL)).is_narrow()
    assert _enclosure(lo, lo * (1 + 2 * REL_TOL)).width == 2 * REL_TOL * lo


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_the_enclosure_and_the_argmax_intervals_are_closed_and_disjoint(name: str) -> None:
    """lo and hi are themselves possible values of gamma; each argmax interval holds its end points; one interval around 0."""
    e = enclose_gamma(ACTIVATIONS[name])
    assert e.contains(e.lo) and e.contains(e.hi) and not e.contains(e.hi + sp.Rational(1, 10**30))
    for interval in e.argmax_intervals:
        assert e.in_argmax(interval.start) and e.in_argmax(interval.end)
    (around_zero,) = e.argmax_intervals
    assert around_zero.contains(0)


def test_the_bisection_stops_as_soon_as_the_argmax_set_is_small_enough() -> None:
    """For tanh the argmax condition binds: the level with two boxes of 2^-21 around 0 totals ARGMAX_TOL, "at most" is met, no further level."""
    e = enclose_gamma(ACTIVATIONS["tanh"])
    assert float(sum(interval.measure for interval in e.argmax_intervals)) == ARGMAX_TOL


# -- the enclosure on activations that reach every branch ----------------------------------------------


def test_a_constant_slope_makes_every_point_a_maximiser_at_once() -> None:
    """phi' = 1: lo = hi = 1, the tail bound equals lo, so the tails join the argmax set, which is then the whole line.

    The first box [-16, 16] is flat (|phi'| is 1 on all of it, to within the tolerance): it is settled, not bisected.
    """
    e = enclose_gamma(IDENTITY, budget=15)
    assert e.lo == e.hi == e.tail_bound == 1 and e.contains(1)
    assert e.boxes_evaluated == 1
    for point in (-100, -16, 0, sp.Rational(1, 3), 16, 100):
        assert e.in_argmax(point), point
    bounded = [i for i in e.argmax_intervals if i.start.is_finite and i.end.is_finite]
    assert bounded == [sp.Interval(-16, 16)]


@pytest.mark.parametrize("budget", range(1, 40, 3))
def test_the_budget_bounds_the_boxes_evaluated(budget: int) -> None:
    e = enclose_gamma(ACTIVATIONS["tanh"], budget=budget)
    assert 1 <= e.boxes_evaluated <= budget and e.contains(1)


def test_an_unbounded_slope_gets_no_finite_upper_bound() -> None:
    """phi' = e^z: no finite hi and no finite tail bound is proved (+oo), lo is a value e^m at a midpoint m <= 16."""
    e = enclose_gamma(EXPONENTIAL, budget=15)
    assert e.hi == sp.oo and e.tail_bound == sp.oo
    assert 10**6 < e.lo <= sp.exp(16) and e.contains(10**100)
    assert e.in_argmax(100) and e.in_argmax(16) and not e.in_argmax(0)  # phi'(0) = 1, far below lo


def test_a_slope_undefined_at_a_midpoint_adds_nothing_to_lo() -> None:
    """phi' is 0/0 as written at z = 0 (the first midpoint): that NaN proves no lower bound, lo stays below sup |phi'| = 1/4."""
    e = enclose_gamma(UNSIMPLIFIED, budget=40)
    assert sp.Rational(1, 5) < e.lo <= sp.Rational(1, 4) and e.contains(sp.Rational(1, 4))


@pytest.mark.parametrize("shift", [sp.Rational(1, 3), -sp.Rational(1, 3)])
def test_the_tail_bound_covers_both_edges_of_an_asymmetric_slope(shift: sp.Rational) -> None:
    """tanh(z - c): |phi'| on |z| >= R is largest at the edge nearer c, on the right for c > 0 and on the left for c < 0."""
    act = _activation("shifted", lambda z: sp.tanh(z - shift))
    e = enclose_gamma(act, budget=1)
    z = sp.Symbol("z", real=True)
    slope = sp.diff(act.expression(z), z)
    edges = [slope.subs(z, edge).evalf(30) for edge in (e.R, -e.R)]
    assert e.tail_bound >= max(edges) and e.tail_bound < sp.Rational(1, 10**12)
    for side in (1, -1):
        t, form = tail_form(slope, z, side)
        for point in (sp.Rational(3, 2), sp.Integer(20)):
            assert abs(sp.N(form.subs(t, sp.exp(-point)) - slope.subs(z, side * point), 60)) < sp.Rational(1, 10**50)


def test_a_precision_beyond_double_boxes_is_refused() -> None:
    """With rel_tol = 0 the bisection narrows on z* = 1/3 until a box has no double between its ends: an error, not a loop."""
    act = _activation("shifted", lambda z: sp.tanh(z - sp.Rational(1, 3)))
    with pytest.raises(GradproofError, match="cannot be bisected in double precision"):
        enclose_gamma(act, rel_tol=sp.Integer(0))

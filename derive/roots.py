"""Critical points of phi' without a closed form: the roots of phi'' = 0 isolated in ball arithmetic (SiLU's (z - 2) e^z = z + 2).

Each root is proved to be the only one in its box: phi'' changes sign across the box
(its values at the two ends are balls of opposite signs) and phi''' excludes 0 on it
(phi'' is monotone there). A box where phi'' excludes 0 holds no root. Every part of
[-R, R] ends in one of the two, so no root in [-R, R] is missed; beyond R a proved
tail bound on |phi'| (``derive.interval.tail_upper``) must lie below the largest value
found, so whatever phi'' does there cannot raise the supremum.

Where the equation is linear in e^z (SiLU's is), it is solved for e^z and phi'(z*)
rewritten without exponentials ((z* + 2)/4 for SiLU): the closed form is shown, and
its ball must meet the directly evaluated one.
"""

from __future__ import annotations

import sympy as sp
from flint import arb

from .activations import CriticalPoint, Root
from .errors import GradproofError
from .interval import BITS, RADIUS, BallFunction, _rational, compile_ball, precision, tail_upper

#: A root's box is narrowed to this width (2^-90): its values then carry about 27 correct digits.
WIDTH = 2.0**-90
#: Boxes are bisected down to this width (2^-40) while the sign of phi'' stays undecided; below it the isolation gives up.
SMALLEST = 2.0**-40


def critical_roots(
    expr: sp.Expr, points: sp.ConditionSet, interval: sp.Interval, z: sp.Symbol, name: str
) -> tuple[tuple[CriticalPoint, ...], tuple[Root, ...]]:
    """The critical points of phi' = d(expr)/dz on ``interval`` where SymPy's solveset leaves the condition ``points``."""
    condition = points.condition
    if not isinstance(condition, sp.Eq):
        raise GradproofError(f"cannot derive gamma for {name!r}: phi'' = 0 reads {condition}, not an equation")
    equation = sp.expand(condition.lhs - condition.rhs)
    slope, third = sp.diff(expr, z), sp.diff(expr, z, 3)
    low = max(interval.start, -RADIUS) if interval.start.is_finite else sp.Integer(-RADIUS)
    high = min(interval.end, RADIUS) if interval.end.is_finite else sp.Integer(RADIUS)
    form = exp_free_slope(equation, slope, z)
    critical, roots, best = [], [], arb(0)
    with precision(BITS):
        f, df = compile_ball(equation, z), compile_ball(sp.diff(equation, z), z)
        at = {key: compile_ball(e, z) for key, e in (("slope", slope), ("third", third), ("phi", expr), ("form", form))}
        for lo, hi in isolate(f, df, float(low), float(high), name):
            ball = lo.union(hi)
            value, curvature = at["slope"](ball), at["third"](ball)
            if not value.overlaps(at["form"](ball)):
                raise GradproofError(f"cannot derive gamma for {name!r}: phi'(z*) = {value} disagrees with its closed form {form} = {at['form'](ball)}")
            if curvature.contains(0):
                raise GradproofError(f"cannot derive gamma for {name!r}: the sign of phi''' at the root in [{lo}, {hi}] is undecided")
            point = _float((lo + hi) / 2)
            critical.append(CriticalPoint(point, _float(value), _float(curvature), _float(at["phi"](ball))))
            enclosed = (_rational(lo), _rational(hi), form, _rational(value.lower()), _rational(value.upper()))
            roots.append(Root(sp.Eq(condition.lhs, condition.rhs), *enclosed))
            best = best.max(value.abs_lower())
        for side, end in ((1, interval.end), (-1, interval.start)):
            try:
                tail = tail_upper(slope, z, side, RADIUS) if end in (sp.oo, -sp.oo) else None
            except GradproofError as error:
                raise GradproofError(f"cannot derive gamma for {name!r}: beyond |z| = {RADIUS} there is {error}") from None
            if tail is not None and not bool(tail < best):
                raise GradproofError(f"cannot derive gamma for {name!r}: |phi'| beyond |z| = {RADIUS} is not proved below the critical values")
    return tuple(critical), tuple(roots)


def _float(ball: arb) -> sp.Float:
    return sp.Float(ball.mid().str(25, radius=False), 20)


def isolate(f: BallFunction, df: BallFunction, low: float, high: float, name: str) -> list[tuple[arb, arb]]:
    """Boxes [lo, hi] within [low, high], each holding exactly one root of f (proved), and together every root there.

    A box is dropped where f excludes 0; kept where f' excludes 0 and f has strict opposite signs at the ends (then
    narrowed by bisection to WIDTH), or is exactly 0 at an end (that end is the root); bisected otherwise. Endpoints
    are dyadic (exact in balls).
    """
    found: list[tuple[arb, arb]] = []
    boxes = [(low, high)]
    while boxes:
        lo, hi = boxes.pop()
        ball = arb(lo).union(arb(hi))
        if not f(ball).contains(0):
            continue
        ends = f(arb(lo)), f(arb(hi))
        if not df(ball).contains(0):  # f is monotone on the box: at most one root in it
            exact = [end for end, value in ((lo, ends[0]), (hi, ends[1])) if value.is_zero()]
            if exact:  # the root is a box's end exactly (0 for tanh(tanh(z)), a bisection point): no sign change to see
                found.append((arb(exact[0]), arb(exact[0])))
                continue
            if not ends[0].contains(0) and not ends[1].contains(0):
                if (ends[0] > 0) != (ends[1] > 0):
                    found.append(_narrow(f, lo, hi, ends[0] > 0))
                continue  # monotone with one sign at both ends: no root
        mid = (lo + hi) / 2
        if hi - lo < SMALLEST:
            raise GradproofError(f"cannot derive gamma for {name!r}: a root of phi'' near {mid} could not be isolated (a double root?)")
        boxes += [(lo, mid), (mid, hi)]
    unique = {(float(lo.mid()), float(hi.mid())): (lo, hi) for lo, hi in found}  # an exact root is the end of two boxes
    return [unique[key] for key in sorted(unique)]


def _narrow(f: BallFunction, lo: float, hi: float, positive_at_lo: bool) -> tuple[arb, arb]:
    """Bisect [lo, hi] with exact ball midpoints, keeping the sign change, until it is WIDTH wide or the midpoint's sign is undecided."""
    low, high = arb(lo), arb(hi)
    while bool(high - low > WIDTH):
        mid = (low + high) / 2  # exact: dyadic ends at BITS bits
        value = f(mid)
        if value.contains(0):
            break
        if (value > 0) == positive_at_lo:
            low = mid
        else:
            high = mid
    return low, high


def exp_free_slope(equation: sp.Expr, slope: sp.Expr, z: sp.Symbol) -> sp.Expr:
    """phi'(z*) without exponentials where the equation is linear in e^z: solved for e^z and substituted; else phi' itself."""
    e = sp.Dummy("E", positive=True)
    linear = sp.expand(equation.subs(sp.exp(z), e))
    if linear.has(z) and sp.Poly(linear, e).degree() == 1 and not linear.has(sp.exp):
        (value,) = sp.solve(linear, e)
        rewritten = sp.simplify(slope.rewrite(sp.exp).subs(sp.exp(-z), 1 / e).subs(sp.exp(z), e).subs(e, value))
        if not rewritten.has(sp.exp):
            return sp.expand(rewritten)
    return slope

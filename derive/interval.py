"""A rigorous enclosure [lo, hi] of gamma = sup_z |phi'(z)|, in ball arithmetic, independent of the symbolic route.

phi' and phi'' are SymPy's derivatives of the registry's formula, evaluated on
balls (python-flint's arb, outward-rounded at ``BITS`` bits). On [-R, R] a branch
and bound bisects boxes X, bounds sup_X |phi'| from above by the smaller of the
plain ball value and the mean-value form phi'(m) + phi''(X)(X - m), and discards
boxes whose bound is below the best value |phi'(m)| seen at a midpoint. On
|z| >= R, phi' is rewritten exactly in t = e^{-|z|} in (0, e^{-R}] as a rational
function of t and bounded in balls: a proved tail bound. Nothing here reads the
critical points, limits or value of the symbolic route.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp
from flint import arb, ctx, fmpq

from .activations import Activation
from .errors import GradproofError

#: Working precision of the balls, in bits: far above the 1e-15 relative width asked of the enclosure.
BITS = 128

#: The enclosure stops when hi - lo <= REL_TOL * lo.
REL_TOL = sp.Rational(1, 10**15)

#: The bounded part of the line is [-R, R]; the tails |z| >= R get a proved bound.
RADIUS = 16

#: The enclosure also narrows the argmax set until its total length is at most this (2^-20, about 1e-6).
ARGMAX_TOL = 2.0**-20

#: At most this many boxes are evaluated before the enclosure gives up narrowing (it stays rigorous, only wider).
BUDGET = 20_000

BallFunction = Callable[[arb], arb]


@contextmanager
def precision(bits: int) -> Iterator[None]:
    """Run the block with ball arithmetic at ``bits`` bits, restoring the previous precision after."""
    previous = ctx.prec
    ctx.prec = bits
    try:
        yield
    finally:
        ctx.prec = previous


# -- a ball evaluator for SymPy expressions ---------------------------------------------------------


def _power(x: arb, n: int) -> arb:
    """x^n for an integer n, as the hull of the endpoint powers (arb's power of a ball holding 0 is NaN)."""
    if n < 0:
        return 1 / _power(x, -n)
    if n == 0:
        return arb(1)
    ends = (x.abs_lower(), x.abs_upper()) if n % 2 == 0 else (x.lower(), x.upper())
    low, high = (_exact_power(e, n) for e in ends)
    return low.union(high)


def _exact_power(x: arb, n: int) -> arb:
    """x^n for a point x and n >= 1, by repeated squaring."""
    result, base = arb(1), x
    while n:
        if n & 1:
            result *= base
        base *= base
        n >>= 1
    return result


_UNARY: dict[type, Callable[[arb], arb]] = {
    sp.exp: lambda x: x.exp(),
    sp.tanh: lambda x: x.tanh(),
    sp.log: lambda x: x.log(),
    sp.Abs: lambda x: abs(x),
}


def _constant(expr: sp.Expr) -> arb:
    """A ball around a constant: exact for rationals, outward-rounded for e and pi; floats are refused (no silent float step)."""
    if isinstance(expr, sp.Rational):
        return arb(fmpq(int(expr.p), int(expr.q)))
    if expr is sp.E:
        return arb.const_e()
    if expr is sp.pi:
        return arb.pi()
    raise ValueError(f"no exact ball for the constant {expr}")


def compile_ball(expr: sp.Expr, variable: sp.Symbol) -> BallFunction:
    """``expr`` as a function of one ball, built node by node from the SymPy tree; only exact operations and arb's functions are used.

    Constant subexpressions (e^2, 1/3) are evaluated once, at the precision in effect when compiling.
    """
    if expr == variable:
        return lambda x: x
    if expr.is_number:
        value = _constant(expr) if not expr.args else _node(expr, variable)(arb(0))
        return lambda x: value
    return _node(expr, variable)


def _node(expr: sp.Expr, variable: sp.Symbol) -> BallFunction:
    """One operation of the tree: a sum, a product, an integer power, or a function arb evaluates rigorously."""
    if isinstance(expr, sp.Add | sp.Mul):
        parts = [compile_ball(a, variable) for a in expr.args]
        if isinstance(expr, sp.Add):
            return lambda x: _fold(parts, x, lambda a, b: a + b)
        return lambda x: _fold(parts, x, lambda a, b: a * b)
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        if not exponent.is_Integer:
            raise ValueError(f"no ball power with the exponent {exponent} in {expr}")
        inner, n = compile_ball(base, variable), int(exponent)
        return lambda x: _power(inner(x), n)
    function = _UNARY.get(type(expr)) if len(expr.args) == 1 else None
    if function is None:
        raise ValueError(f"no ball arithmetic for {type(expr).__name__} in {expr}")
    inner = compile_ball(expr.args[0], variable)
    return lambda x: function(inner(x))


def _fold(parts: list[BallFunction], x: arb, op: Callable[[arb, arb], arb]) -> arb:
    result = parts[0](x)
    for part in parts[1:]:
        result = op(result, part(x))
    return result


def _rational(x: arb) -> sp.Expr:
    """An exact ball (a point) as a SymPy rational, +oo for +inf; a ball that is not a point is refused."""
    if x == arb.pos_inf():
        return sp.oo
    if not x.is_finite() or not x.is_exact():
        raise GradproofError(f"the bound {x} is not a finite point")
    mantissa, exponent = (int(v) for v in x.man_exp())
    return sp.Rational(mantissa) * sp.Rational(2) ** exponent


def _largest(values: list[arb], default: arb) -> arb:
    """The largest of exact points (arb's max, never Python's max, which would trust an undecided comparison)."""
    result = default
    for value in values:
        result = result.max(value)
    return result


def _upper(x: arb) -> arb:
    """An exact upper bound of |x| (+inf if x is not finite: a NaN is never a bound)."""
    return x.abs_upper() if x.is_finite() else arb.pos_inf()


# -- the enclosure ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GammaEnclosure:
    """lo <= sup_z |phi'(z)| <= hi, proved; every maximiser lies in one of ``argmax_intervals``.

    ``tail_bound`` bounds |phi'| on |z| >= R; when it is not below lo the tails are part of the argmax set.
    """

    activation: str
    lo: sp.Rational
    hi: sp.Expr  # +oo when no finite bound was proved
    argmax_intervals: tuple[sp.Interval, ...]
    R: sp.Integer
    boxes_evaluated: int
    tail_bound: sp.Expr  # +oo when no finite bound was proved

    @property
    def width(self) -> sp.Expr:
        return self.hi - self.lo

    def is_narrow(self, rel_tol: sp.Rational = REL_TOL) -> bool:
        """hi - lo <= rel_tol * lo."""
        return bool(self.width <= rel_tol * self.lo)

    def contains(self, value: sp.Expr) -> bool:
        """lo <= value <= hi, decided in balls (exactly for a rational value)."""
        with precision(BITS):
            ball = compile_ball(sp.sympify(value), sp.Dummy())(arb(0))
            return bool(ball >= _arb(self.lo)) and bool(ball <= _arb(self.hi))

    def in_argmax(self, point: sp.Expr) -> bool:
        """The point lies in one of the argmax intervals, decided in balls."""
        with precision(BITS):
            ball = compile_ball(sp.sympify(point), sp.Dummy())(arb(0))
            return any(_ball_in(ball, interval) for interval in self.argmax_intervals)


def _arb(value: sp.Expr) -> arb:
    """A rational, or +-oo, as an exact ball."""
    if value in (sp.oo, -sp.oo):
        return arb.pos_inf() if value == sp.oo else arb.neg_inf()
    return arb(fmpq(int(value.p), int(value.q)))


def _ball_in(ball: arb, interval: sp.Interval) -> bool:
    return bool(ball >= _arb(interval.start)) and bool(ball <= _arb(interval.end))


def derivatives(act: Activation, z: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """(phi', phi''): SymPy's derivatives of the registry's formula, the functions the enclosure bounds."""
    first = sp.diff(act.expression(z), z)
    return first, sp.diff(first, z)


@dataclass(frozen=True)
class _Box:
    low: float
    high: float

    def ball(self) -> arb:
        return arb(self.low).union(arb(self.high))

    def mid(self) -> float:
        return (self.low + self.high) / 2  # exact: dyadic endpoints far from under- and overflow

    def halves(self) -> tuple[_Box, _Box]:
        m = self.mid()
        if not self.low < m < self.high:
            raise GradproofError(f"the box [{self.low}, {self.high}] cannot be bisected in double precision")
        return _Box(self.low, m), _Box(m, self.high)


def enclose_gamma(act: Activation, radius: int = RADIUS, rel_tol: sp.Rational = REL_TOL, budget: int = BUDGET) -> GammaEnclosure:
    """Enclose sup_z |phi'(z)| by branch and bound on [-R, R] and a proved bound on |z| >= R, in ball arithmetic.

    Bisection stops when hi - lo <= rel_tol * lo and the surviving boxes (the argmax set) total at most ARGMAX_TOL,
    or when ``budget`` boxes have been evaluated; the result is rigorous either way, only wider.
    """
    z = sp.Symbol("z", real=True)
    first, second = derivatives(act, z)
    with precision(BITS):
        slope, curvature = compile_ball(first, z), compile_ball(second, z)
        tail = _tail_bound(first, z, radius)
        lo, survivors, evaluated = _branch_and_bound(slope, curvature, radius, _arb(rel_tol), budget)
        hi = _largest([u for _, u in survivors], tail)
        intervals = _merged([box for box, _ in survivors])
        if not tail < lo:
            intervals += [sp.Interval(-sp.oo, -radius), sp.Interval(radius, sp.oo)]
        return GammaEnclosure(act.name, sp.Rational(_rational(lo)), _rational(hi), tuple(intervals), sp.Integer(radius), evaluated, _rational(tail))


def _branch_and_bound(slope: BallFunction, curvature: BallFunction, radius: int, rel_tol: arb, budget: int) -> tuple[arb, list[tuple[_Box, arb]], int]:
    """Bisect [-R, R] level by level, keeping the boxes whose upper bound on |phi'| reaches the best lower bound lo."""
    boxes, lo, evaluated = [_Box(-float(radius), float(radius))], arb(0), 0
    while True:
        bounded = []
        for box in boxes:
            value, upper = _bounds(slope, curvature, box)
            lo = lo.max(value)
            bounded.append((box, upper))
        evaluated += len(boxes)
        survivors = [(box, upper) for box, upper in bounded if not upper < lo]
        hi = _largest([u for _, u in survivors], lo)
        narrow = hi - lo <= rel_tol * lo and sum(box.high - box.low for box, _ in survivors) <= ARGMAX_TOL
        if narrow or evaluated + 2 * len(survivors) > budget:
            return lo, survivors, evaluated
        boxes = [half for box, _ in survivors for half in box.halves()]


def _bounds(slope: BallFunction, curvature: BallFunction, box: _Box) -> tuple[arb, arb]:
    """(a proved lower bound of |phi'(m)| at the midpoint m, a proved upper bound of |phi'| on the box)."""
    m = arb(box.mid())
    at_mid = slope(m)
    lower = at_mid.abs_lower() if at_mid.is_finite() else arb(0)
    plain = _upper(slope(box.ball()))
    mean_value = _upper(at_mid + curvature(box.ball()) * (box.ball() - m))
    return lower, plain.min(mean_value)


def _merged(boxes: list[_Box]) -> list[sp.Interval]:
    """The union of closed boxes as disjoint closed intervals with exact (dyadic) endpoints."""
    intervals: list[list[float]] = []
    for box in sorted(boxes, key=lambda b: b.low):
        if intervals and box.low <= intervals[-1][1]:
            intervals[-1][1] = max(intervals[-1][1], box.high)
        else:
            intervals.append([box.low, box.high])
    return [sp.Interval(sp.Rational(Fraction(a)), sp.Rational(Fraction(b))) for a, b in intervals]


def tail_form(first: sp.Expr, z: sp.Symbol, side: int) -> tuple[sp.Symbol, sp.Expr]:
    """phi'(z) on side * z >= 0 written exactly as a rational function of t = e^{-|z|}, with t the returned positive symbol."""
    t = sp.Symbol("t", positive=True)
    form = sp.cancel(sp.powsimp(first.rewrite(sp.exp).subs(z, -side * sp.log(t))))
    if form.free_symbols - {t} or not form.is_rational_function(t):
        raise GradproofError(f"no proved tail bound: {first} is not a rational function of e^(-|z|) ({form})")
    return t, form


def _tail_bound(first: sp.Expr, z: sp.Symbol, radius: int) -> arb:
    """A proved upper bound of |phi'(z)| on |z| >= R: the rational form in t evaluated on the ball [0, e^{-R}]."""
    edge = arb(-radius).exp().upper()
    t_ball = arb(0).union(edge)
    bounds = []
    for side in (1, -1):
        t, form = tail_form(first, z, side)
        bounds.append(_upper(compile_ball(form, t)(t_ball)))
    return bounds[0].max(bounds[1])

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

from .activations import Activation, branch_sets, piecewise_form, set_parts
from .errors import GradproofError

#: Working precision of the balls, in bits: far above the 1e-15 relative width asked of the enclosure.
BITS = 128

#: The enclosure stops when hi - lo <= REL_TOL * lo.
REL_TOL = sp.Rational(1, 10**15)

#: The bounded part of the line is [-R, R]; the tails |z| >= R get a proved bound.
RADIUS = 16
#: R is doubled up to this where the supremum is approached at infinity and [-16, 16] leaves the enclosure wide.
MAX_RADIUS = 64

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
    sp.erf: lambda x: x.erf(),
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
        if exponent.is_Rational and exponent.q == 2:  # a power of a square root: arb's sqrt, NaN (never a bound) below 0
            root, p = compile_ball(base, variable), int(exponent.p)
            return lambda x: _power(root(x).sqrt(), p)
        if not exponent.is_Integer:
            raise ValueError(f"no ball power with the exponent {exponent} in {expr}")
        inner, n = compile_ball(base, variable), int(exponent)
        return lambda x: _power(inner(x), n)
    if isinstance(expr, sp.Piecewise):
        return _piecewise(expr, variable)
    function = _UNARY.get(type(expr)) if len(expr.args) == 1 else None
    if function is None:
        raise ValueError(f"no ball arithmetic for {type(expr).__name__} in {expr}")
    inner = compile_ball(expr.args[0], variable)
    return lambda x: function(inner(x))


def _piecewise(expr: sp.Piecewise, variable: sp.Symbol) -> BallFunction:
    """A Piecewise of one variable: on a ball, the union of each branch evaluated on the part of the ball where it holds.

    A branch holds where its condition does and no earlier one's; each part is closed (a conservative hull at the ends).
    """
    branches: list[tuple[BallFunction, list[tuple[sp.Expr, sp.Expr]]]] = []
    for branch, where in branch_sets(expr):
        parts = []
        for part in set_parts(where):
            if isinstance(part, sp.Interval):
                parts.append((part.start, part.end))
            elif isinstance(part, sp.FiniteSet):
                parts += [(p, p) for p in part]
            elif part is not sp.S.EmptySet:
                raise ValueError(f"no ball arithmetic for the branch {branch} on {part} in {expr}")
        branches.append((compile_ball(branch, variable), parts))

    def values(x: arb) -> list[arb]:
        return [function(sub) for function, parts in branches for start, end in parts if (sub := _clip(x, start, end)) is not None]

    def evaluate(x: arb) -> arb:
        found = values(x)
        if not found:
            return arb.nan()
        result = found[0]
        for value in found[1:]:
            result = result.union(value)
        return result

    evaluate.branch_values = values  # type: ignore[attr-defined]  # for exact upper bounds: a union's radius is rounded
    return evaluate


def _clip(x: arb, start: sp.Expr, end: sp.Expr) -> arb | None:
    """The ball x intersected with the closed interval [start, end] (ends rational or infinite), or None where they are apart."""
    low, high = x.lower(), x.upper()
    if start.is_finite and bool(high < _arb(start)):
        return None
    if end.is_finite and bool(low > _arb(end)):
        return None
    if start.is_finite:
        low = low.max(_arb(start))
    if end.is_finite:
        high = high.min(_arb(end))
    return low.union(high)


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


def lower_abs(function: BallFunction, x: arb) -> arb:
    """An exact lower bound of |function| on the ball x; for a Piecewise, the smallest of its branches' (0 where unknown)."""
    branch_values = getattr(function, "branch_values", None)
    found = branch_values(x) if branch_values is not None else [function(x)]
    lows = [v.abs_lower() if v.is_finite() else arb(0) for v in found]
    result = lows[0] if lows else arb(0)
    for low in lows[1:]:
        result = result.min(low)
    return result


def upper_abs(function: BallFunction, x: arb) -> arb:
    """An exact upper bound of |function| on the ball x; for a Piecewise, the largest of its branches' (no rounded union)."""
    branch_values = getattr(function, "branch_values", None)
    if branch_values is None:
        return _upper(function(x))
    found = branch_values(x)
    return _largest([_upper(v) for v in found], arb(0)) if found else arb.pos_inf()


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
    """(phi', phi''): SymPy's derivatives of the registry's formula (max, min and |.| as a Piecewise), the functions the enclosure bounds."""
    first = sp.diff(piecewise_form(act.expression(z)), z)
    return first, _factored(sp.diff(first, z))


def _factored(expr: sp.Expr) -> sp.Expr:
    """expr factored (branch by branch in a Piecewise): softplus'' as e^z / (1 + e^z)^2, not a difference of two terms near 1
    that balls cannot cancel."""
    if isinstance(expr, sp.Piecewise):
        return sp.Piecewise(*((_factored(branch), condition) for branch, condition in expr.args))
    return sp.factor(expr)


def breakpoints(first: sp.Expr) -> tuple[float, ...]:
    """The finite ends of the branches of a Piecewise phi' (where it may jump, so the mean-value form does not hold across)."""
    points: set[float] = set()
    for piecewise in first.atoms(sp.Piecewise):
        for _, condition in piecewise.args:
            if condition is not sp.true:
                where = condition.as_set()
                points |= {float(p) for p in where.boundary if p.is_finite}
    return tuple(sorted(points))


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
    or when ``budget`` boxes have been evaluated; the result is rigorous either way, only wider. Where it is still wide
    because the tails reach above lo (a supremum approached at infinity: softplus), R is doubled, up to MAX_RADIUS.
    """
    z = sp.Symbol("z", real=True)
    first, second = derivatives(act, z)
    with precision(BITS):
        slope, curvature = compile_ball(first, z), compile_ball(second, z)
        while True:
            tail = _tail_bound(first, z, radius)
            lo, survivors, evaluated = _branch_and_bound(slope, curvature, radius, _arb(rel_tol), budget, breakpoints(first))
            hi = _largest([u for _, u in survivors], tail)
            if hi - lo <= _arb(rel_tol) * lo or tail < lo or not tail.is_finite() or 2 * radius > MAX_RADIUS:
                break
            radius *= 2
        intervals = _merged([box for box, _ in survivors])
        if not tail < lo:
            intervals += [sp.Interval(-sp.oo, -radius), sp.Interval(radius, sp.oo)]
        return GammaEnclosure(act.name, sp.Rational(_rational(lo)), _rational(hi), tuple(intervals), sp.Integer(radius), evaluated, _rational(tail))


def _branch_and_bound(
    slope: BallFunction, curvature: BallFunction, radius: int, rel_tol: arb, budget: int, jumps: tuple[float, ...] = ()
) -> tuple[arb, list[tuple[_Box, arb]], int]:
    """Bisect [-R, R] level by level, keeping the boxes whose upper bound on |phi'| reaches the best lower bound lo.

    ``jumps``: points where phi' may jump; a box holding one is bounded by the plain ball value alone. Where |phi'| is constant
    to within the tolerance on a box (a slope constant on an interval: ReLU's 1) that box is not narrowed further.
    """
    boxes, lo, evaluated = [_Box(-float(radius), float(radius))], arb(0), 0
    settled: list[tuple[_Box, arb]] = []  # boxes where |phi'| is constant to within the tolerance: not bisected again
    while True:
        bounded = []
        for box in boxes:
            value, upper = _bounds(slope, curvature, box, any(box.low <= p <= box.high for p in jumps))
            lo = lo.max(value)
            bounded.append((box, upper))
        evaluated += len(boxes)
        settled = [(box, upper) for box, upper in settled if not upper < lo]
        survivors = [(box, upper) for box, upper in bounded if not upper < lo]
        # A box where |phi'| is constant to within the tolerance (a linear piece) is all argmax: bisecting it gains nothing.
        flat = [bool(upper - _floor(slope, box) <= rel_tol * lo / 2) for box, upper in survivors]
        open_ = [pair for pair, level in zip(survivors, flat, strict=True) if not level]
        settled += [pair for pair, level in zip(survivors, flat, strict=True) if level]
        hi = _largest([u for _, u in open_ + settled], lo)
        narrow = hi - lo <= rel_tol * lo and sum(box.high - box.low for box, _ in open_) <= ARGMAX_TOL
        if narrow or evaluated + 2 * len(open_) > budget:
            return lo, open_ + settled, evaluated
        boxes = [half for box, _ in open_ for half in box.halves()]


def _floor(slope: BallFunction, box: _Box) -> arb:
    """A proved lower bound of |phi'| on the whole box."""
    return lower_abs(slope, box.ball())


def _bounds(slope: BallFunction, curvature: BallFunction, box: _Box, jump: bool = False) -> tuple[arb, arb]:
    """(a proved lower bound of |phi'(m)| at the midpoint m, a proved upper bound of |phi'| on the box); no mean-value form across a ``jump``."""
    m = arb(box.mid())
    at_mid = slope(m)
    lower = at_mid.abs_lower() if at_mid.is_finite() else arb(0)
    plain = upper_abs(slope, box.ball())
    if jump:
        return lower, plain
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
    """A proved upper bound of |phi'(z)| on |z| >= R, the larger of the two sides' (``tail_upper``)."""
    return tail_upper(first, z, 1, radius).max(tail_upper(first, z, -1, radius))


def tail_upper(expr: sp.Expr, z: sp.Symbol, side: int, radius: int) -> arb:
    """A proved upper bound of |expr| on side * z >= R (at BITS precision, set by the caller).

    Where expr is a rational function of t = e^{-|z|} there, that form is evaluated on the ball [0, e^{-R}]
    (``tail_form``); otherwise each term of its numerator and denominator is bounded on its own (``_term_tail``).
    """
    branch = _tail_branch(expr, z, side, radius)
    try:
        t, form = tail_form(branch, z, side)
    except GradproofError:
        return _term_tail(branch, z, side, radius)
    edge = arb(-radius).exp().upper()
    return _upper(compile_ball(form, t)(arb(0).union(edge)))


def _tail_branch(expr: sp.Expr, z: sp.Symbol, side: int, radius: int) -> sp.Expr:
    """The branch of a Piecewise that holds on all of side * z >= R (the expression itself if it is not one)."""
    if not isinstance(expr, sp.Piecewise):
        return expr
    tail = sp.Interval(radius, sp.oo) if side > 0 else sp.Interval(-sp.oo, -radius)
    for branch, where in branch_sets(expr):
        if tail.is_subset(where):
            return branch
        if where.intersect(tail) != sp.S.EmptySet:
            break
    raise GradproofError(f"no proved tail bound: {expr} changes branch beyond |z| >= {radius}")


@dataclass(frozen=True)
class _Term:
    """c y^k e^{g1 y + g2 y^2} erf(.)^n, one term of a numerator or denominator on the tail, y = |z| >= R."""

    c: sp.Expr
    k: int
    g1: sp.Expr
    g2: sp.Expr
    erfs: int


def _terms(polynomial: sp.Expr, y: sp.Symbol) -> list[_Term]:
    terms = []
    for term in sp.Add.make_args(sp.expand(sp.powsimp(sp.expand(polynomial), combine="exp"))):
        c, k, g1, g2, erfs = sp.S.One, 0, sp.S.Zero, sp.S.Zero, 0
        for factor in sp.Mul.make_args(term):
            base, exponent = (factor, sp.S.One) if isinstance(factor, sp.exp) else factor.as_base_exp()
            if not factor.has(y):
                c *= factor
            elif base == y and exponent.is_Integer:
                k += int(exponent)
            elif isinstance(base, sp.exp) and exponent.is_Integer:
                try:
                    argument = sp.Poly(sp.expand(base.args[0] * exponent), y)
                except sp.PolynomialError:
                    raise GradproofError(f"no proved tail bound: the exponential {factor} is not e^(a + b y + c y^2)") from None
                if argument.degree() > 2 or any(coefficient.has(y) or not coefficient.is_number for coefficient in argument.all_coeffs()):
                    raise GradproofError(f"no proved tail bound: the exponential {factor} is not e^(a + b y + c y^2)")
                coefficients = argument.all_coeffs()[::-1] + [sp.S.Zero] * 2
                c *= sp.exp(coefficients[0])
                g1, g2 = g1 + coefficients[1], g2 + coefficients[2]
            elif isinstance(base, sp.erf) and exponent.is_Integer and int(exponent) > 0:
                erfs += int(exponent)  # |erf| <= 1 on the reals
            else:
                raise GradproofError(f"no proved tail bound: the factor {factor} is not a power of |z|, an exponential or erf")
        terms.append(_Term(c, k, g1, g2, erfs))
    return terms


def _term_tail(expr: sp.Expr, z: sp.Symbol, side: int, radius: int) -> arb:
    """|expr| <= N / D on side * z >= R, with y = |z|, from bounds on each term c y^k e^{g1 y + g2 y^2} erf(.)^n of N and D.

    The numerator and denominator are first multiplied by e^{-(a y + b y^2)} (the denominator's fastest growth) and
    divided by y^K (K the highest power of y left without a decaying factor). A term with a decaying factor then falls on
    y >= R (its log has derivative k / y + g1 + 2 g2 y < 0 there, checked), so it lies in [0, R^k e^{g1 R + g2 R^2}]
    times |c|; a plain y^k with k <= 0 lies in (0, R^k]; |erf| <= 1. N is bounded above by the sum of the terms' bounds,
    and D below by its constant term minus the rest; a term that grows, or a denominator that may vanish, is refused.
    """
    y = sp.Symbol("y", positive=True)
    numerator, denominator = sp.fraction(sp.together(expr.subs(z, side * y).rewrite(sp.exp)))
    top, bottom = _terms(numerator, y), _terms(denominator, y)
    g2, g1 = max([(sp.S.Zero, sp.S.Zero)] + [(t.g2, t.g1) for t in bottom], key=lambda g: (float(g[0]), float(g[1])))
    shifted = [[_Term(t.c, t.k, t.g1 - g1, t.g2 - g2, t.erfs) for t in part] for part in (top, bottom)]
    plain = [t.k for part in shifted for t in part if t.g1 == 0 and t.g2 == 0]
    K = max(plain, default=0)
    top, bottom = ([_Term(t.c, t.k - K, t.g1, t.g2, t.erfs) for t in part] for part in shifted)
    R = arb(radius)

    def bounds(term: _Term) -> tuple[arb, arb]:
        """(lower, upper) bounds of y^k e^{g1 y + g2 y^2} on y >= R (the erf factors taken as at most 1 in size)."""
        if term.g1 == 0 and term.g2 == 0:
            if term.k > 0:
                raise GradproofError(f"no proved tail bound: {expr} grows like |z|^{term.k}")
            upper = _power(R, term.k)
            return (arb(1) if term.k == 0 and term.erfs == 0 else arb(0)), upper
        if term.g1 > 0 or term.g2 > 0:
            raise GradproofError(f"no proved tail bound: {expr} has a growing exponential")
        g1, g2 = compile_ball(term.g1, y)(arb(0)), compile_ball(term.g2, y)(arb(0))
        if not bool(arb(max(term.k, 0)) / R < -g1 - 2 * g2 * R):
            raise GradproofError(f"no proved tail bound: y^{term.k} e^({term.g1} y + {term.g2} y^2) is not falling for y >= {radius}")
        return arb(0), _upper(_power(R, term.k) * (g1 * R + g2 * R * R).exp())

    def size(term: _Term) -> arb:
        return _upper(compile_ball(term.c, y)(arb(0)))

    upper = arb(0)
    for term in top:
        upper += size(term) * bounds(term)[1]
    for sign in (1, -1):  # D bounded away from 0 from above (D > 0) or below (D < 0)
        lower = arb(0)
        for term in bottom:
            c = compile_ball(sign * term.c, y)(arb(0))
            low, high = bounds(term)
            lower += c * low if bool(c > 0) and term.erfs == 0 else -size(term) * high
        if bool(lower > 0):
            return _upper(upper / lower.lower())
    raise GradproofError(f"no proved tail bound: the denominator of {expr} is not bounded away from 0 for |z| >= {radius}")

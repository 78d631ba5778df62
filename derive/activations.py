"""The activation registry, and gamma = sup |phi'| derived from each formula.

gamma is never typed in. Each formula is split into its smooth pieces (a
Piecewise form of max, min and |.|), and on each piece the supremum of |phi'|
comes from the critical points of phi' (where phi'' = 0) with the
second-derivative test, the one-sided limits at the piece's ends and the limits
at +-infinity. Where phi'' = 0 has no closed form (SiLU), its roots are
isolated in ball arithmetic and gamma is enclosed instead (``Enclosed``).

A point where phi is not differentiable (ReLU at 0) is a kink. gamma is the
supremum over the points where phi' exists; at a kink any value between the two
one-sided slopes (a subgradient, or the one a framework picks: PyTorch takes
relu'(0) = 0) is at most gamma in absolute value, since both one-sided slopes
are limits of slopes elsewhere. So statement 9 holds whichever value is used.

This is the symbolic route; the independent numeric route, a rigorous
enclosure in ball arithmetic, is ``derive.interval``, and the check of
statement 6 (``derive.gamma_check``) compares the printed value with both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import sympy as sp
from sympy.calculus.util import continuous_domain
from sympy.core.function import PoleError
from sympy.series.gruntz import gruntz

from .errors import ConfigError, GradproofError

#: The negative slope of the leaky ReLU (PyTorch's default) and the ELU's alpha (PyTorch's default).
LEAKY_SLOPE = sp.Rational(1, 100)
ELU_ALPHA = sp.Integer(1)


@dataclass(frozen=True)
class Activation:
    """An elementwise activation phi, given as a SymPy formula in one real variable."""

    name: str
    title: str
    symbol: str  # LaTeX for phi in this activation's own formulas, e.g. \\sigma, \\tanh
    formula: Callable[[sp.Expr], sp.Expr]
    note: str = ""  # what the formula fixes (a parameter, a convention), said where the activation is listed

    def expression(self, z: sp.Expr) -> sp.Expr:
        """phi(z) as a SymPy expression."""
        return self.formula(z)


def _piecewise(*pieces: tuple[Callable[[sp.Expr], sp.Expr], Callable[[sp.Expr], sp.Basic]]) -> Callable[[sp.Expr], sp.Expr]:
    return lambda z: sp.Piecewise(*((f(z), condition(z)) for f, condition in pieces))


ACTIVATIONS: dict[str, Activation] = {
    activation.name: activation
    for activation in (
        Activation("sigmoid", "logistic sigmoid", r"\sigma", lambda z: 1 / (1 + sp.exp(-z))),
        Activation("tanh", "hyperbolic tangent", r"\tanh", sp.tanh),
        Activation("identity", "identity (the linear RNN)", r"\mathrm{id}", lambda z: z),
        Activation("relu", "rectified linear unit", r"\mathrm{ReLU}", lambda z: sp.Max(0, z)),
        Activation(
            "leaky_relu",
            "leaky ReLU",
            r"\mathrm{LReLU}",
            _piecewise((lambda z: LEAKY_SLOPE * z, lambda z: z <= 0), (lambda z: z, lambda z: True)),
            f"negative slope {LEAKY_SLOPE}, PyTorch's default",
        ),
        Activation(
            "elu",
            "exponential linear unit",
            r"\mathrm{ELU}",
            _piecewise((lambda z: ELU_ALPHA * (sp.exp(z) - 1), lambda z: z <= 0), (lambda z: z, lambda z: True)),
            f"alpha = {ELU_ALPHA}, PyTorch's default",
        ),
        Activation("softplus", "softplus", r"\mathrm{softplus}", lambda z: sp.log(1 + sp.exp(z))),
        Activation("softsign", "softsign", r"\mathrm{softsign}", lambda z: z / (1 + sp.Abs(z))),
        Activation("hard_tanh", "hard tanh", r"\mathrm{hardtanh}", lambda z: sp.Max(-1, sp.Min(1, z))),
        Activation(
            "hard_sigmoid",
            "hard sigmoid",
            r"\mathrm{hardsigmoid}",
            lambda z: sp.Max(0, sp.Min(1, z / 6 + sp.Rational(1, 2))),
            "PyTorch's form: z/6 + 1/2 clipped to [0, 1]",
        ),
        Activation("silu", "sigmoid linear unit (swish)", r"\mathrm{SiLU}", lambda z: z / (1 + sp.exp(-z))),
        Activation("gelu", "Gaussian error linear unit", r"\mathrm{GELU}", lambda z: z * (1 + sp.erf(z / sp.sqrt(2))) / 2, "the exact form, with erf"),
    )
}

#: What the report covers unless --activation says otherwise: the two of the classic argument.
DEFAULT_ACTIVATIONS = ("sigmoid", "tanh")
#: What the report's symbolic checks read today. The others have gamma derived (--list-activations) and are covered by
#: python -m verify, the sweep and the property tests; the report's explicit-instance checks do not yet read a Piecewise.
REPORT_ACTIVATIONS = ("sigmoid", "tanh")


def activation(name: str) -> Activation:
    """The registered activation called ``name``."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ConfigError("--activation", name, sorted(ACTIVATIONS)) from None


def piecewise_form(phi: sp.Expr) -> sp.Expr:
    """phi with max, min and |.| written as one Piecewise (SymPy's own rewrite, folded); a smooth formula unchanged."""
    if not phi.has(sp.Max, sp.Min, sp.Abs, sp.Piecewise):
        return phi
    return sp.piecewise_fold(phi.rewrite(sp.Piecewise))


def branch_sets(form: sp.Piecewise) -> list[tuple[sp.Expr, sp.Set]]:
    """Each branch of a Piecewise in one real variable with the set where it holds: its condition's, less every earlier one's."""
    covered: sp.Set = sp.S.EmptySet
    found = []
    for expr, condition in form.args:
        where = (sp.S.Reals if condition is sp.true else condition.as_set()).intersect(sp.S.Reals) - covered
        covered = covered | where
        found.append((expr, where))
    return found


def set_parts(where: sp.Set) -> tuple[sp.Set, ...]:
    """A set as its disjoint parts (the arguments of a Union, else the set itself)."""
    return tuple(where.args) if isinstance(where, sp.Union) else (where,)


def pieces_of(form: sp.Expr, z: sp.Symbol) -> tuple[tuple[sp.Expr, sp.Interval], ...]:
    """The smooth pieces of a (Piecewise) formula: each branch with the open interval where it, and no earlier branch, holds."""
    if not isinstance(form, sp.Piecewise):
        return ((form, sp.Interval.open(-sp.oo, sp.oo)),)
    found = []
    for expr, where in branch_sets(form):
        for part in set_parts(where):
            if isinstance(part, sp.Interval) and part.measure > 0:
                found.append((expr, sp.Interval.open(part.start, part.end)))
            elif not (isinstance(part, sp.FiniteSet) or part is sp.S.EmptySet):
                raise GradproofError(f"cannot split {form} into pieces: the branch {expr} holds on {part}")
    found.sort(key=lambda piece: piece[1].start)
    for (_, left), (_, right) in zip(found, found[1:], strict=False):
        if left.end != right.start:
            raise GradproofError(f"the pieces of {form} leave a gap between {left} and {right}")
    return tuple(found)


@dataclass(frozen=True)
class CriticalPoint:
    """A zero z* of phi'' with the values the second-derivative test reads there (floats of an enclosure where z* has no closed form)."""

    point: sp.Expr
    value: sp.Expr  # phi'(z*)
    third: sp.Expr  # phi'''(z*): negative means a local maximum of phi'
    output: sp.Expr  # phi(z*)

    @property
    def is_maximum(self) -> bool:
        return bool(self.third.is_negative)


@dataclass(frozen=True)
class Root:
    """A zero of phi'' with no closed form: the equation, a proved enclosure [lo, hi] holding exactly one root, and phi' there in closed form of z*."""

    equation: sp.Eq
    lo: sp.Rational
    hi: sp.Rational
    slope_form: sp.Expr  # phi'(z*) rewritten with the equation (z/4 + 1/2 for SiLU), in the variable
    value_lo: sp.Rational  # phi'(z*) lies in [value_lo, value_hi], proved
    value_hi: sp.Rational


@dataclass(frozen=True)
class Piece:
    """One smooth piece of phi: the open interval, phi and phi' there, sup |phi'| on it and a point where it is attained (if any)."""

    interval: sp.Interval
    phi: sp.Expr
    slope: sp.Expr
    constant: bool  # phi' is constant on the piece
    critical: tuple[CriticalPoint, ...]
    ends: tuple[sp.Expr, sp.Expr]  # lim |phi'| at the piece's left and right ends (one-sided, or at -oo / +oo)
    sup: sp.Expr
    attained: sp.Expr | None
    roots: tuple[Root, ...] = ()  # the critical points without a closed form, enclosed


@dataclass(frozen=True)
class Kink:
    """A point where phi is not differentiable: its one-sided slopes, and the value phi' is given there (the framework's convention)."""

    point: sp.Expr
    left: sp.Expr
    right: sp.Expr
    value: sp.Expr


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
    gamma: sp.Expr  # exact, or a 20-digit float of ``enclosure`` where a critical point has no closed form
    argmax: sp.Expr | None  # None when the supremum is not attained
    pieces: tuple[Piece, ...] = ()
    kinks: tuple[Kink, ...] = ()
    smooth_points: tuple[sp.Expr, ...] = ()  # piece boundaries where phi is differentiable after all (softsign at 0)
    roots: tuple[Root, ...] = ()
    enclosure: tuple[sp.Rational, sp.Rational] | None = field(default=None)  # lo <= gamma <= hi, proved, where gamma is not exact

    @property
    def exact(self) -> bool:
        return self.enclosure is None

    @property
    def attained(self) -> bool:
        return self.argmax is not None

    @property
    def finite(self) -> bool:
        return bool(self.gamma.is_finite)

    def attaining(self) -> tuple[sp.Expr | sp.Interval, ...]:
        """Where |phi'| = gamma: whole pieces (an open interval, where the slope is constant), critical points and joins."""
        found: list[sp.Expr | sp.Interval] = [
            pc.interval if pc.constant else pc.attained for pc in self.pieces if pc.attained is not None and pc.sup == self.gamma
        ]
        # a join: the piece that ends there has already found |phi'| there, as the limit at its right end
        found += [p for p in self.smooth_points if next(pc for pc in self.pieces if pc.interval.end == p).ends[1] == self.gamma]
        return tuple(found)


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


def _one_sided(expr: sp.Expr, z: sp.Symbol, point: sp.Expr, direction: str) -> sp.Expr:
    """lim expr as z -> point from one side ('+' or '-'); at +-oo the plain limit."""
    if point in (sp.oo, -sp.oo):
        return sp.limit(expr, z, point)
    return sp.limit(expr, z, point, direction)


def derive_gamma(name: str, variable: str = "z") -> GammaDerivation:
    """Derive gamma for the activation ``name``: pieces, critical points, second-derivative test, limits (once per name and variable)."""
    return derive_gamma_of(activation(name), variable)


def derive_gamma_of(act: Activation, variable: str = "z") -> GammaDerivation:
    """``derive_gamma`` for any activation, registered or not (a course's own formula, ``derive.expression``)."""
    return _derive_gamma(act, variable)


def _continuous_on(expr: sp.Expr, z: sp.Symbol, interval: sp.Interval) -> sp.Set:
    """Where on ``interval`` expr is a continuous real function: SymPy's continuous_domain, or, where that has no rule
    (erf), the interval less the real zeros of its denominator, provided no log or fractional power appears."""
    try:
        return continuous_domain(expr, z, interval)
    except NotImplementedError:
        pass
    if expr.atoms(sp.log) or any(not p.exp.is_Integer for p in expr.atoms(sp.Pow) if p.has(z)):
        return sp.S.EmptySet
    zeros = sp.solveset(sp.denom(sp.together(expr)), z, interval)
    return interval if zeros is sp.S.EmptySet else interval - zeros


def _representative(interval: sp.Interval) -> sp.Expr:
    """A plain point of an open interval: its midpoint, or one past its finite end, or 0 on the whole line."""
    a, b = interval.start, interval.end
    if a.is_finite and b.is_finite:
        return (a + b) / 2
    if a.is_finite:
        return a + 1
    return b - 1 if b.is_finite else sp.S.Zero


def _piece(expr: sp.Expr, interval: sp.Interval, z: sp.Symbol, name: str) -> Piece:
    """sup |phi'| on one smooth piece: at its critical points, or its ends' limits; a constant slope is its own supremum."""
    slope = sp.diff(expr, z)
    curvature = sp.diff(expr, z, 2)
    a, b = interval.start, interval.end
    for what, e in (("phi", expr), ("phi'", slope)):
        domain = _continuous_on(e, z, interval)
        if domain != interval:
            raise GradproofError(
                f"cannot derive gamma for {name!r}: {what}({z}) = {e} is not a continuous real function on all of {interval} "
                f"(only on {domain}); an activation must be differentiable on the whole line but at finitely many kinks"
            )
    if sp.simplify(curvature) == 0:
        value = sp.Abs(sp.simplify(slope))
        return Piece(interval, expr, slope, True, (), (value, value), value, _representative(interval))
    ends = tuple(_limit_of_abs(slope, z, end) if end in (sp.oo, -sp.oo) else sp.limit(sp.Abs(slope), z, end, side) for end, side in ((a, "+"), (b, "-")))
    points = sp.solveset(sp.factor(curvature), z, interval)
    roots: tuple[Root, ...] = ()
    if points is sp.S.EmptySet or isinstance(points, sp.FiniteSet):
        critical = tuple(
            CriticalPoint(c, sp.simplify(slope.subs(z, c)), sp.simplify(sp.diff(expr, z, 3).subs(z, c)), sp.simplify(expr.subs(z, c)))
            for c in sorted(points, key=sp.default_sort_key)
        )
    elif isinstance(points, sp.ConditionSet):
        from .roots import critical_roots  # ball arithmetic; imported here, as it imports this module

        critical, roots = critical_roots(expr, points, interval, z, name)
    else:
        raise GradproofError(f"cannot derive gamma for {name!r}: phi'' = 0 on {points}, not a finite set of points")
    sup = sp.Max(*(sp.Abs(c.value) for c in critical), *ends)
    attained = [c.point for c in critical if sp.Abs(c.value) == sup]
    return Piece(interval, expr, slope, False, critical, (ends[0], ends[1]), sup, attained[0] if attained else None, roots)


@cache
def _derive_gamma(act: Activation, variable: str) -> GammaDerivation:
    z = sp.Symbol(variable, real=True)
    phi = act.expression(z)
    form = piecewise_form(phi)
    first = sp.diff(form, z)
    second = sp.diff(form, z, 2) if isinstance(form, sp.Piecewise) else sp.factor(sp.diff(form, z, 2))
    pieces = tuple(_piece(expr, interval, z, act.name) for expr, interval in pieces_of(form, z))
    kinks, joins = [], []
    for left, right in zip(pieces, pieces[1:], strict=False):
        p = left.interval.end
        slopes = (sp.simplify(sp.limit(left.slope, z, p, "-")), sp.simplify(sp.limit(right.slope, z, p, "+")))
        at = form.subs(z, p)
        continuous = all(sp.simplify(sp.limit(pc.phi, z, p, side) - at) == 0 for pc, side in ((left, "-"), (right, "+")))
        if continuous and sp.simplify(slopes[0] - slopes[1]) == 0:
            joins.append((p, sp.Abs(slopes[0])))  # differentiable there after all, with phi'(p) the common one-sided slope
        else:
            kinks.append(Kink(p, slopes[0], slopes[1], sp.simplify(first.subs(z, p))))
    gamma = sp.Max(*(pc.sup for pc in pieces), *(value for _, value in joins))
    where = [p for p, value in joins if value == gamma] + [pc.attained for pc in pieces if pc.attained is not None and pc.sup == gamma]
    argmax = min(where, key=lambda p: (abs(float(p)), -float(p))) if where else None
    roots = tuple(root for pc in pieces for root in pc.roots)
    enclosure = None
    if gamma.has(sp.Float):  # the supremum is the value at a critical point without a closed form: its enclosure is the result
        enclosed = [r for pc in pieces for c, r in zip(pc.critical, pc.roots, strict=True) if sp.Abs(c.value) == gamma]
        if not enclosed:
            raise GradproofError(f"cannot derive gamma for {act.name!r}: the largest slope {gamma} is no enclosed critical value")
        best = enclosed[0]
        enclosure = (best.value_lo, best.value_hi) if best.value_lo > 0 else (-best.value_hi, -best.value_lo)
    return GammaDerivation(
        activation=act,
        variable=z,
        phi=phi,
        first=first,
        second=second,
        critical=tuple(c for pc in pieces for c in pc.critical),
        limits=(pieces[0].ends[0], pieces[-1].ends[1]),
        gamma=gamma,
        argmax=argmax,
        pieces=pieces,
        kinks=tuple(kinks),
        smooth_points=tuple(p for p, _ in joins),
        roots=roots,
        enclosure=enclosure,
    )


def gamma(name: str) -> sp.Expr:
    """gamma = sup_z |phi'(z)| for the registered activation ``name``, exact (1/4 for sigmoid, 1 for tanh) or a 20-digit enclosure's midpoint."""
    return derive_gamma(name).gamma

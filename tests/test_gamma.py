"""Statement 6: gamma is 1/4 for sigmoid and 1 for tanh, by two independent routes, and the check reads the printed statement.

The symbolic route (critical points, second-derivative test, limits) and the
ball-arithmetic enclosure must each catch a fault in the other; every mutation
of the printed statement must stop the check, naming "gamma".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
import sympy as sp
from flint import arb

import derive
import derive.activations
import derive.config
import derive.gamma_check
import derive.interval
import derive.statements
from derive.activations import ACTIVATIONS, Activation, derive_gamma
from derive.checks import CheckContext, run_check
from derive.config import Config
from derive.errors import CheckFailed
from derive.expressions import Chain, Conjunction, Extremum
from derive.gamma_check import CHECKS, check_gamma
from derive.interval import ARGMAX_TOL, compile_ball, enclose_gamma, precision, tail_form
from derive.statements import Statements

EXPECTED = {"sigmoid": (sp.Rational(1, 4), sp.Rational(1, 2)), "tanh": (sp.Integer(1), sp.Integer(0))}


def _context(*names: str) -> CheckContext:
    return CheckContext(Config(activations=names) if names else Config())


def _check(math: sp.Basic, context: CheckContext) -> derive.document.CheckResult:
    return run_check({"gamma": check_gamma}, "gamma", math, context)


def _statements(context: CheckContext) -> Statements:
    return Statements(context.model, context.config.activations)


def _chain(st: Statements, name: str, value: sp.Expr = sp.S.One, body: Callable[[sp.Symbol], sp.Expr] | None = None, kind: str = "sup") -> Chain:
    """gamma_phi = sup_z |phi'(z)| = value; the body, and the kind of extremum (sup over z, max over z, max over an index i) replaceable."""
    z = sp.Symbol(st.model.notation.variable, real=True)
    variable = st.idx.i if kind == "max" else z
    expr = body(variable) if body else sp.Abs(st.slope_of(name, variable))
    return Chain(st.gamma_of(name), "=", Extremum(expr, variable, kind.removesuffix("-z")), "=", value)


# -- the symbolic route -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value", "output"), [("sigmoid", sp.Rational(1, 4), sp.Rational(1, 2)), ("tanh", 1, 0)])
def test_gamma_is_derived_exactly(name: str, value: sp.Expr, output: sp.Expr) -> None:
    g = derive_gamma(name)
    assert derive.activations.gamma(name) == value == g.gamma
    assert g.argmax == 0
    (critical,) = g.critical
    assert critical.is_maximum and critical.output == output and critical.point == 0
    assert g.limits == (0, 0)
    assert not hasattr(g, "maximum_route")


def test_the_registry_and_the_report_s_default() -> None:
    assert list(ACTIVATIONS) == [
        "sigmoid", "tanh", "identity", "relu", "leaky_relu", "elu", "softplus", "softsign", "hard_tanh", "hard_sigmoid", "silu", "gelu",
    ]  # fmt: skip
    assert derive.activations.DEFAULT_ACTIVATIONS == ("sigmoid", "tanh")


def test_unknown_activation_names_the_allowed_ones() -> None:
    with pytest.raises(derive.ConfigError, match="'swish2'.*elu, gelu, hard_sigmoid"):
        derive.activations.gamma("swish2")


# -- the numeric route ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_the_enclosure_contains_gamma_and_is_narrow(name: str) -> None:
    value, _ = EXPECTED[name]
    e = enclose_gamma(ACTIVATIONS[name])
    assert e.lo <= value <= e.hi and e.contains(value)
    assert e.width <= sp.Rational(1, 10**15) * e.lo and e.is_narrow()
    assert e.tail_bound < e.lo
    assert e.in_argmax(0) and not e.in_argmax(sp.Rational(1, 10**5))
    assert sum(interval.measure for interval in e.argmax_intervals) <= ARGMAX_TOL
    assert not e.contains(value + sp.Rational(1, 10**14)) and not e.contains(value - sp.Rational(1, 10**14))


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_the_tail_bound_covers_the_slope_at_the_edge(name: str) -> None:
    """|phi'| is largest on |z| >= R at z = +-R, so a proved tail bound is at least |phi'(+-R)|, and it is tiny."""
    z = sp.Symbol("z", real=True)
    e = enclose_gamma(ACTIVATIONS[name])
    slope = sp.diff(ACTIVATIONS[name].expression(z), z)
    for edge in (e.R, -e.R):
        assert e.tail_bound >= slope.subs(z, edge).evalf(30)
    assert e.tail_bound < sp.Rational(1, 10**6)


def test_the_tail_form_is_an_exact_rewrite() -> None:
    z = sp.Symbol("z", real=True)
    first = sp.diff(ACTIVATIONS["tanh"].expression(z), z)
    for side in (1, -1):
        t, form = tail_form(first, z, side)
        for point in (sp.Rational(3, 2), sp.Integer(20)):
            assert abs(sp.N(form.subs(t, sp.exp(-point)) - first.subs(z, side * point), 60)) < sp.Rational(1, 10**50)


def test_a_ball_power_of_an_interval_holding_zero_is_not_nan() -> None:
    x = sp.Symbol("x")
    with precision(64):
        square = compile_ball(1 - x**2, x)(arb(0).union(arb(1)))
    assert square.is_finite() and square.contains(0) and square.contains(1) and not square.contains(arb(2))


def test_a_float_constant_is_refused() -> None:
    x = sp.Symbol("x")
    with pytest.raises(ValueError, match="no exact ball"):
        compile_ball(x + sp.Float("0.1"), x)


@pytest.mark.parametrize("shift", [sp.Integer(1), sp.Rational(1, 3)])
def test_the_enclosure_finds_a_maximum_away_from_zero(shift: sp.Expr) -> None:
    """phi(z) = tanh(z - c) has gamma = 1 at z* = c: nothing in the enclosure assumes z* = 0."""
    shifted = Activation("shifted", "shifted tanh", r"\psi", lambda z: sp.tanh(z - shift))
    e = enclose_gamma(shifted)
    assert e.contains(1) and e.is_narrow() and e.tail_bound < e.lo
    assert e.in_argmax(shift) and not e.in_argmax(0)
    assert sum(interval.measure for interval in e.argmax_intervals) <= ARGMAX_TOL


def test_the_whole_check_reads_an_activation_with_its_maximum_away_from_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registered tanh(z - 1/3) passes the check, with z* = 1/3 found by both routes."""
    shift = sp.Rational(1, 3)
    monkeypatch.setitem(ACTIVATIONS, "tanh-shifted", Activation("tanh-shifted", "shifted tanh", r"\psi", lambda z: sp.tanh(z - shift)))
    monkeypatch.setattr(derive.config, "REPORT_ACTIVATIONS", (*derive.config.REPORT_ACTIVATIONS, "tanh-shifted"))
    context = _context("tanh-shifted")
    assert derive_gamma("tanh-shifted").argmax == shift
    result = _check(_statements(context).gamma_statement, context)
    assert any(isinstance(item, sp.Eq) and item.rhs == shift for item in result.instance)


# -- the check of the printed statement ------------------------------------------------------------


@pytest.mark.parametrize("names", [(), ("tanh",), ("sigmoid",), ("tanh", "sigmoid")])
def test_the_printed_statement_passes(names: tuple[str, ...]) -> None:
    context = _context(*names)
    result = _check(_statements(context).gamma_statement, context)
    assert result.label == "gamma" and CHECKS["gamma"] is check_gamma
    configured = len(context.config.activations)
    assert result.comparisons == 13 * configured
    words = " ".join(item for item in (*result.method, *result.instance) if isinstance(item, str))
    assert "solveset" not in words and "maximum" not in words


QUARTER = sp.Rational(1, 4)
GIVE = "%s, but the critical points and limits give %s"

#: Each mutation of the printed statement, and the reason the check must give for rejecting it.
MUTATIONS: dict[str, tuple[Callable[[Statements], sp.Basic], str]] = {
    "sigmoid 1/3": (
        lambda st: Conjunction(_chain(st, "sigmoid", sp.Rational(1, 3)), _chain(st, "tanh")),
        GIVE % ("printed as 1/3", "1/4"),
    ),
    "values swapped": (
        lambda st: Conjunction(_chain(st, "sigmoid", sp.S.One), _chain(st, "tanh", QUARTER)),
        GIVE % (r"\gamma_{\sigma} is printed as 1", "1/4"),
    ),
    "tanh 1/2": (
        lambda st: Conjunction(_chain(st, "sigmoid", QUARTER), _chain(st, "tanh", sp.Rational(1, 2))),
        GIVE % (r"\gamma_{\tanh} is printed as 1/2", "1"),
    ),
    "Abs dropped": (
        lambda st: Conjunction(_chain(st, "sigmoid", QUARTER, lambda z: st.slope_of("sigmoid", z)), _chain(st, "tanh")),
        "not of an absolute value",
    ),
    "max over an index": (lambda st: Conjunction(_chain(st, "sigmoid", QUARTER, kind="max"), _chain(st, "tanh")), "a max, not a supremum"),
    "max over z": (lambda st: Conjunction(_chain(st, "sigmoid", QUARTER, kind="max-z"), _chain(st, "tanh")), "a max, not a supremum"),
    "sup over an index": (
        lambda st: Conjunction(
            Chain(st.gamma_of("sigmoid"), "=", Extremum(sp.Abs(st.slope_of("sigmoid", st.idx.i)), st.idx.i), "=", QUARTER),
            _chain(st, "tanh"),
        ),
        "does not range over the reals",
    ),
    "tanh missing": (lambda st: Conjunction(_chain(st, "sigmoid", QUARTER)), "tanh is printed 0 times"),
    "sigmoid twice": (lambda st: Conjunction(_chain(st, "sigmoid", QUARTER), _chain(st, "sigmoid", QUARTER), _chain(st, "tanh")), "sigmoid is printed 2 times"),
    "subscript sigma, body tanh": (
        lambda st: Conjunction(_chain(st, "sigmoid", sp.S.One, lambda z: sp.Abs(st.slope_of("tanh", z))), _chain(st, "tanh")),
        "names sigmoid but the supremum is of the slope of tanh",
    ),
    "slope at another point": (
        lambda st: Conjunction(_chain(st, "sigmoid", QUARTER, lambda z: sp.Abs(st.slope_of("sigmoid", 2 * z))), _chain(st, "tanh")),
        "is not the slope of a registered activation",
    ),
    "generic phi in the body": (
        lambda st: Conjunction(_chain(st, "sigmoid", QUARTER, lambda z: sp.Abs(st.model.phi_prime(z))), _chain(st, "tanh")),
        "is not the slope of a registered activation",
    ),
    "a symbol for the value": (lambda st: Conjunction(_chain(st, "sigmoid", sp.Symbol("g")), _chain(st, "tanh")), "is not a number"),
    "lambda for gamma": (
        lambda st: Conjunction(Chain(sp.Symbol(r"\lambda_{\sigma}"), "=", _chain(st, "sigmoid").args[2], "=", QUARTER), _chain(st, "tanh")),
        r"is not \gamma",
    ),
    "not a conjunction": (lambda st: _chain(st, "sigmoid", QUARTER), "not one equation per activation"),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_mutated_statement_is_rejected(mutation: str) -> None:
    context = _context()
    build, reason = MUTATIONS[mutation]
    with pytest.raises(CheckFailed, match="statement 'gamma' failed") as error:
        _check(build(_statements(context)), context)
    assert error.value.step == "gamma"
    assert reason in error.value.reason, error.value.reason


def test_a_statement_for_an_activation_not_configured_is_rejected() -> None:
    context = _context("tanh")
    with pytest.raises(CheckFailed, match="sigmoid is printed but not configured"):
        _check(_statements(_context()).gamma_statement, context)


# -- the two routes are independent: each catches a fault in the other ------------------------------


def _wrong_symbolic(monkeypatch: pytest.MonkeyPatch, **changes: sp.Expr) -> None:
    """Make the symbolic route return ``changes`` for the sigmoid, both where the statement is built and where it is checked."""
    real = derive_gamma

    def wrong(name: str, variable: str = "z") -> derive.activations.GammaDerivation:
        g = real(name, variable)
        return dataclasses.replace(g, **changes) if name == "sigmoid" else g

    monkeypatch.setattr(derive.statements, "derive_gamma", wrong)
    monkeypatch.setattr(derive.gamma_check, "derive_gamma", wrong)


def test_a_wrong_symbolic_gamma_is_caught_by_the_enclosure(monkeypatch: pytest.MonkeyPatch) -> None:
    """The statement prints the wrong 1/3 and the symbolic route agrees with it: only the enclosure can object."""
    _wrong_symbolic(monkeypatch, gamma=sp.Rational(1, 3))
    context = _context()
    statement = _statements(context).gamma_statement
    assert statement.args[0].args[-1] == sp.Rational(1, 3)
    with pytest.raises(CheckFailed, match="lies outside the enclosure"):
        _check(statement, context)


@pytest.mark.parametrize("argmax", [sp.Rational(1, 2), sp.Rational(1, 10**4)])
def test_a_wrong_symbolic_argmax_is_caught_by_the_enclosure(monkeypatch: pytest.MonkeyPatch, argmax: sp.Rational) -> None:
    _wrong_symbolic(monkeypatch, argmax=argmax)
    context = _context()
    with pytest.raises(CheckFailed, match=f"maximiser {argmax} lies outside"):
        _check(_statements(context).gamma_statement, context)


def test_a_wrong_symbolic_route_alone_disagrees_with_the_printed_value(monkeypatch: pytest.MonkeyPatch) -> None:
    real = derive_gamma
    monkeypatch.setattr(derive.gamma_check, "derive_gamma", lambda name, variable="z": dataclasses.replace(real(name, variable), gamma=sp.Rational(1, 5)))
    context = _context()
    with pytest.raises(CheckFailed, match="critical points and limits give 1/5"):
        _check(_statements(context).gamma_statement, context)


def test_a_wrong_enclosure_is_caught_against_the_symbolic_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """Enclosing sup |phi''| instead of sup |phi'| (1/(6 sqrt 3) for the sigmoid) is rejected: the exact 1/4 lies outside it."""
    real = derive.interval.derivatives

    def second_instead(act: Activation, z: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
        first, second = real(act, z)
        return second, sp.diff(second, z)

    monkeypatch.setattr(derive.interval, "derivatives", second_instead)
    e = enclose_gamma(ACTIVATIONS["sigmoid"])
    assert abs(float(e.lo) - 1 / (6 * 3**0.5)) < 1e-12 and e.hi < sp.Rational(1, 4)
    context = _context()
    with pytest.raises(CheckFailed, match="lies outside the enclosure"):
        _check(_statements(context).gamma_statement, context)


def test_a_tail_bound_that_does_not_fall_below_lo_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    """With R = 1 the proved bound e^{-1} on the sigmoid's tails is not below 1/4: the tails join the argmax set and the check refuses."""
    real = derive.interval.enclose_gamma
    monkeypatch.setattr(derive.interval, "MAX_RADIUS", 1)  # no doubling of R: the tails stay above lo
    monkeypatch.setattr(derive.gamma_check, "enclose_gamma", lambda act: real(act, radius=1))
    e = real(ACTIVATIONS["sigmoid"], radius=1)
    assert any(interval.end == sp.oo for interval in e.argmax_intervals)
    context = _context("sigmoid")
    with pytest.raises(CheckFailed, match="tail bound"):
        _check(_statements(context).gamma_statement, context)


def test_a_budget_too_small_leaves_the_enclosure_wide_and_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    real = derive.interval.enclose_gamma
    monkeypatch.setattr(derive.gamma_check, "enclose_gamma", lambda act: real(act, budget=20))
    e = real(ACTIVATIONS["tanh"], budget=20)
    assert e.contains(1) and not e.is_narrow()
    context = _context("tanh")
    with pytest.raises(CheckFailed, match="width"):
        _check(_statements(context).gamma_statement, context)


def test_an_activation_without_a_proved_tail_bound_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    """phi(z) = z / sqrt(1 + z^2) has gamma = 1 at 0 by the symbolic route, but its slope (1 + z^2)^(-3/2) is neither a
    rational function of e^{-|z|} nor a sum of terms z^k e^(...) erf(...)^n over one: no tail bound, no check."""
    monkeypatch.setitem(ACTIVATIONS, "isru", Activation("isru", "inverse square root unit", r"\rho", lambda z: z / sp.sqrt(1 + z**2)))
    monkeypatch.setattr(derive.config, "REPORT_ACTIVATIONS", (*derive.config.REPORT_ACTIVATIONS, "isru"))
    assert derive_gamma("isru").gamma == 1
    context = _context("isru")
    with pytest.raises(CheckFailed, match="no rigorous enclosure .* no proved tail bound"):
        _check(_statements(context).gamma_statement, context)


@pytest.mark.parametrize(
    ("expr", "at_minus", "at_plus"),
    [
        (lambda z: -sp.exp(z), 0, sp.oo),  # the limit of expr is -oo: SymPy's limit of |expr| decides
        (lambda z: -1 / (1 + sp.exp(-z)), 0, 1),  # a negative finite limit: |lim| = 1
        (lambda z: -z / sp.sqrt(1 + z**2), 1, 1),
        (lambda z: 1 - sp.tanh(z) ** 2, 0, 0),
    ],
)
def test_the_limit_of_the_absolute_slope(expr: object, at_minus: object, at_plus: object) -> None:
    """lim |phi'| at -oo and +oo, by the limit of phi' where it is finite, else by SymPy's limit of |phi'|."""
    from derive.activations import _limit_of_abs

    z = sp.Symbol("z", real=True)
    e = expr(z)  # type: ignore[operator]
    assert _limit_of_abs(e, z, -sp.oo) == at_minus
    assert _limit_of_abs(e, z, sp.oo) == at_plus
    assert _limit_of_abs(e, z, sp.oo) == sp.limit(sp.Abs(e), z, sp.oo)


def test_every_activation_s_gamma_agrees_with_a_fine_grid() -> None:
    """gamma = sup |phi'| as derived, against an independent numeric maximum of |phi'| on a fine grid (to 1e-9): the
    derivative by central differences of phi itself, not SymPy's derivative. A float pass over [-40, 40] (step 1e-3,
    h = 1e-5: accurate to about 1e-9) finds the peak; mpmath at 50 digits (h = 1e-20) refines it on 2001 points around it.
    On [-40, 40] a supremum approached at infinity (softplus: 1 - sigma(40) = 4e-18) is met to far below 1e-9."""
    import math

    import mpmath
    import numpy as np

    from derive.activations import ACTIVATIONS, derive_gamma

    z = sp.Symbol("z", real=True)
    grid = np.linspace(-40, 40, 80001)
    for name, act in ACTIVATIONS.items():
        g = derive_gamma(name)
        rough = sp.lambdify(z, act.expression(z), modules=[{"erf": np.vectorize(math.erf)}, "numpy"])
        with np.errstate(over="ignore"):
            peak = int(np.argmax(np.abs((rough(grid + 1e-5) - rough(grid - 1e-5)) / 2e-5)))
        phi = sp.lambdify(z, act.expression(z), "mpmath")
        with mpmath.workdps(50):
            h = mpmath.mpf(10) ** -20
            fine = np.linspace(grid[max(peak - 1, 0)], grid[min(peak + 1, len(grid) - 1)], 2001)
            best = max(float(abs((phi(mpmath.mpf(x) + h) - phi(mpmath.mpf(x) - h)) / (2 * h))) for x in fine)
        assert abs(best - float(g.gamma)) <= 1e-9, (name, best, g.gamma)


def test_list_activations_prints_each_with_its_derived_gamma(capsys: pytest.CaptureFixture[str]) -> None:
    from derive.__main__ import cli
    from derive.activations import ACTIVATIONS, derive_gamma

    assert cli(["--list-activations"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(ACTIVATIONS)
    for line, name in zip(lines, ACTIVATIONS, strict=True):
        g = derive_gamma(name)
        assert f"gamma = {g.gamma}" in line if g.gamma.is_Rational else f"{float(g.gamma):.10g}" in line
        assert ("attained at" in line) if g.argmax is not None else ("not attained" in line)
        assert all(f"kink at {k.point}: slopes {k.left} and {k.right}" in line for k in g.kinks)
    assert "attained at z > 0 (kink at 0: slopes 0 and 1, PyTorch uses 0)" in lines[3]  # relu
    assert "z* the root of z*exp(z) - z - 2*exp(z) - 2 = 0" in lines[10] and "attained at z = 2.399357281" in lines[10]  # silu


# -- the whole registry: each gamma derived, where it is attained, and how kinks are treated -----------------------------

ERF_GAMMA = (1 + sp.erf(1)) / 2 + sp.exp(-1) / sp.sqrt(sp.pi)


@pytest.mark.parametrize(
    ("name", "gamma", "argmax"),
    [
        ("identity", 1, 0),
        ("relu", 1, 1),
        ("leaky_relu", 1, 1),
        ("elu", 1, 0),
        ("softplus", 1, None),
        ("softsign", 1, 0),
        ("hard_tanh", 1, 0),
        ("hard_sigmoid", sp.Rational(1, 6), 0),
        ("gelu", ERF_GAMMA, sp.sqrt(2)),
    ],
)
def test_each_gamma_is_derived_exactly_with_where_it_is_attained(name: str, gamma: sp.Expr, argmax: sp.Expr | None) -> None:
    g = derive_gamma(name)
    assert g.exact and sp.simplify(g.gamma - gamma) == 0
    assert g.argmax == argmax and g.attained == (argmax is not None)


def test_gelu_s_gamma_is_about_1_1289_at_sqrt_2() -> None:
    assert float(derive_gamma("gelu").gamma) == pytest.approx(1.1289, abs=5e-5)


def test_silu_s_gamma_is_enclosed_at_the_root_of_its_transcendental_equation() -> None:
    """SiLU'' = 0 is (z - 2) e^z = z + 2: no closed form. Its root z* is isolated in balls, and gamma = (z* + 2)/4 there."""
    import mpmath

    g = derive_gamma("silu")
    assert not g.exact and g.enclosure is not None
    lo, hi = g.enclosure
    z = g.variable
    roots = [r for r in g.roots if r.lo > 0]
    assert len(g.roots) == 2 and len(roots) == 1  # one root each side: the maximum of SiLU' and its minimum
    root = roots[0]
    assert sp.simplify(root.slope_form - (z / 4 + sp.Rational(1, 2))) == 0
    with mpmath.workdps(40):
        z_star = mpmath.findroot(lambda x: (x - 2) * mpmath.exp(x) - (x + 2), 2.4)
        assert root.lo <= sp.Rational(str(z_star)) <= root.hi and float(root.hi - root.lo) < 1e-20
        value = mpmath.mpf(1) / (1 + mpmath.exp(-z_star)) * (1 + z_star / (1 + mpmath.exp(z_star)))
        assert lo <= sp.Rational(str(value)) <= hi and float(hi - lo) < 1e-25
    assert float(g.gamma) == pytest.approx(1.0998393, abs=1e-7) and float(g.argmax) == pytest.approx(2.39936, abs=1e-5)


@pytest.mark.parametrize(
    ("name", "kinks"),
    [
        ("relu", [(0, 0, 1, 0)]),
        ("leaky_relu", [(0, sp.Rational(1, 100), 1, sp.Rational(1, 100))]),
        ("hard_tanh", [(-1, 0, 1, 0), (1, 1, 0, 0)]),
        ("hard_sigmoid", [(-3, 0, sp.Rational(1, 6), 0), (3, sp.Rational(1, 6), 0, 0)]),
        ("elu", []),
        ("softsign", []),
    ],
)
def test_kinks_are_found_with_their_one_sided_slopes_and_the_value_used_there(name: str, kinks: list[tuple[int, ...]]) -> None:
    """At a kink the one-sided slopes differ; the value used there (PyTorch's) lies between them, so it is at most gamma.
    ELU (alpha = 1) and softsign join their pieces with equal slopes: differentiable there, no kink."""
    g = derive_gamma(name)
    assert [(k.point, k.left, k.right, k.value) for k in g.kinks] == kinks
    for k in g.kinks:
        assert min(k.left, k.right) <= k.value <= max(k.left, k.right) and abs(k.value) <= g.gamma


def test_a_join_with_equal_slopes_is_differentiable_and_can_attain_gamma() -> None:
    """softsign's pieces z/(1 - z) and z/(1 + z) meet at 0 with slope 1 from both sides: gamma = 1 is attained at 0,
    not only approached. Taken as a kink instead (the mutation), the supremum would be a limit, never attained."""
    g = derive_gamma("softsign")
    assert g.smooth_points == (0,) and g.argmax == 0
    assert all(piece.attained is None for piece in g.pieces)  # neither open piece reaches 1: only the join does


def test_an_unbounded_slope_gives_an_infinite_gamma() -> None:
    g = derive.activations.derive_gamma_of(Activation("square", "square", r"\phi", lambda z: z**2))
    assert g.gamma == sp.oo and not g.finite and g.argmax is None


def test_a_root_at_a_bisection_point_is_found_once() -> None:
    """f(x) = x^3 - x on [-2, 2]: the roots -1, 0, 1 are dyadic, so bisection lands on them as box ends, where f is exactly
    0 and shows no sign change; each is taken as an exact root, once (0 ends two boxes)."""
    from flint import arb

    from derive.interval import compile_ball, precision
    from derive.roots import isolate

    x = sp.Symbol("x", real=True)
    with precision(128):
        f, df = compile_ball(x**3 - x, x), compile_ball(3 * x**2 - 1, x)
        roots = isolate(f, df, -2.0, 2.0, "cubic")
        assert [(float(lo.mid()), float(hi.mid())) for lo, hi in roots] == [(-1.0, -1.0), (0.0, 0.0), (1.0, 1.0)]
        assert all(bool(f(lo).contains(0)) for lo, _ in roots) and isinstance(roots[0][0], arb)

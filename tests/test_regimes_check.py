"""The check of statement 10 (the two regimes) passes the printed statement and rejects every mutation of its mathematics.

The printed statement is gamma lambda < 1 => lim_{t -> oo} ||ds_t/ds_k||_2 <= lim_{t -> oo} (gamma lambda)^(t-k) = 0, and
lim_{t -> oo} ||ds_t/ds_k||_2 = oo => gamma lambda > 1. Each mutation below changes what the statement
claims (a threshold, a limit, an exponent, a relation, a norm) and must stop the build naming "regimes".
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sympy as sp

import derive.sections.bound
from derive.checks import CheckContext, run_check
from derive.config import Config
from derive.document import CheckResult
from derive.errors import CheckFailed
from derive.expressions import Chain, Conjunction, Jacobian, Norm
from derive.sections.bound import CHECKS
from derive.statements import Statements

CONTEXT = CheckContext(Config())
ST: Statements = CONTEXT.statements
T, K = ST.idx.t, ST.idx.k
RATE = ST.gamma * ST.lam
NORM = Norm(Jacobian(ST.state(T), ST.state(K)))


def _check(math: sp.Basic) -> CheckResult:
    return run_check(CHECKS, "regimes", math, CONTEXT)


def _regimes(
    threshold: sp.Expr = sp.S.One,
    limit: sp.Expr = sp.S.Zero,
    exponent: sp.Expr = T - K,
    rate: sp.Expr = RATE,
    hypothesis: type = sp.Lt,
    conclusion: Callable[[sp.Expr, sp.Expr], sp.Basic] = sp.Gt,
    floor: sp.Expr = sp.S.One,
    norm: sp.Expr = NORM,
    growth: sp.Expr = sp.oo,
    variable: sp.Symbol = T,
    point: sp.Expr = sp.oo,
    premise_variable: sp.Symbol = T,
    conclusion_rate: sp.Expr = RATE,
    vanishing_norm: sp.Expr = NORM,
    vanishing_variable: sp.Symbol = T,
    between: str = "<=",
) -> Conjunction:
    """The statement as the report prints it, each part replaceable: the default arguments rebuild it exactly."""
    power = sp.Limit(sp.Pow(rate, exponent, evaluate=False), variable, point)
    vanishing = Chain(hypothesis(rate, threshold), "=>", sp.Limit(vanishing_norm, vanishing_variable, sp.oo), between, power, "=", limit)
    exploding = Chain(sp.Eq(sp.Limit(norm, premise_variable, sp.oo, "+"), growth, evaluate=False), "=>", conclusion(conclusion_rate, floor))
    return Conjunction(vanishing, exploding)


def test_the_default_arguments_rebuild_the_printed_statement() -> None:
    """The mutations below are mutations of the printed statement, not of some other object."""
    assert _regimes() == ST.regimes


def test_the_printed_statement_passes() -> None:
    result = _check(ST.regimes)
    assert result.label == "regimes"
    assert result.comparisons > 0


@pytest.mark.parametrize(
    "threshold",
    [sp.Rational(1, 2), sp.Rational(99, 100), sp.Integer(0)],
)
def test_a_stronger_hypothesis_still_holds(threshold: sp.Expr) -> None:
    """gamma lambda < c with c <= 1 still forces the bound to 0: a true (weaker) statement is not rejected."""
    _check(_regimes(threshold=threshold))


def test_a_weaker_conclusion_still_holds() -> None:
    """Unbounded growth forces gamma lambda > 1, hence > 1/2: true, so accepted."""
    _check(_regimes(floor=sp.Rational(1, 2)))


def test_an_exponent_with_a_faster_decay_still_holds() -> None:
    """(gamma lambda)^(2(t-k)) also tends to 0 for gamma lambda < 1; the check decides, it does not compare text."""
    bound = ST.bound.args[-1]
    assert (bound.exp * 2).expand() != bound.exp
    with pytest.raises(CheckFailed, match="not of the bound"):  # but it is not the bound of statement 9
        _check(_regimes(exponent=2 * (T - K)))


MUTATIONS: dict[str, Conjunction] = {
    "threshold 2 instead of 1": _regimes(threshold=sp.Integer(2)),
    "threshold 1 + 1/10^6": _regimes(threshold=1 + sp.Rational(1, 10**6)),
    "limit value 1 instead of 0": _regimes(limit=sp.S.One),
    "limit value oo instead of 0": _regimes(limit=sp.oo),
    "exponent k - t": _regimes(exponent=K - T),
    "exponent t + k": _regimes(exponent=T + K),
    "exponent constant": _regimes(exponent=K),
    "only gamma as the rate": _regimes(rate=ST.gamma),
    "lambda squared in the rate": _regimes(rate=ST.gamma * ST.lam**2),
    "<= instead of <": _regimes(hypothesis=sp.Le),
    "> instead of <": _regimes(hypothesis=sp.Gt),
    "conclusion gamma lambda > 2": _regimes(floor=sp.Integer(2)),
    "conclusion gamma lambda > 1 + 1/10^6": _regimes(floor=1 + sp.Rational(1, 10**6)),
    "conclusion a < relation": _regimes(conclusion=sp.Lt),
    "conclusion a >= relation": _regimes(conclusion=sp.Ge),
    "conclusion gamma lambda > lambda": _regimes(floor=ST.lam),
    "conclusion about gamma alone": _regimes(conclusion_rate=ST.gamma),
    "conclusion about lambda alone": _regimes(conclusion_rate=ST.lam),
    "premise about a different norm": _regimes(norm=Norm(Jacobian(ST.state(T), ST.state(K)), 1)),
    "premise about the norm of a later state": _regimes(norm=Norm(Jacobian(ST.state(T + 1), ST.state(K)))),
    "premise: the norms tend to 0": _regimes(growth=sp.S.Zero),
    "premise over k": _regimes(premise_variable=K),
    "limit over k": _regimes(variable=K),
    "limit at 0": _regimes(point=sp.S.Zero),
    "vanishing: the limit of the 1-norm": _regimes(vanishing_norm=Norm(Jacobian(ST.state(T), ST.state(K)), 1)),
    "vanishing: the limit of a later state's norm": _regimes(vanishing_norm=Norm(Jacobian(ST.state(T + 1), ST.state(K)))),
    "vanishing: the limit of the norm over k": _regimes(vanishing_variable=K),
    "vanishing: = instead of <= between the limits": _regimes(between="="),
    "vanishing: < instead of <= between the limits": _regimes(between="<"),
}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_mutated_statement_is_rejected(mutation: str) -> None:
    with pytest.raises(CheckFailed) as caught:
        _check(MUTATIONS[mutation])
    assert caught.value.step == "regimes"


def test_a_threshold_that_is_not_a_number_is_rejected() -> None:
    with pytest.raises(CheckFailed, match="not a number"):
        _check(_regimes(threshold=ST.lam))


def test_one_regime_dropped_is_rejected() -> None:
    vanishing, exploding = ST.regimes.args
    for part in (vanishing, exploding):
        with pytest.raises(CheckFailed, match="vanishing and the exploding"):
            _check(Conjunction(part))


def test_the_regimes_swapped_are_rejected() -> None:
    vanishing, exploding = ST.regimes.args
    with pytest.raises(CheckFailed):
        _check(Conjunction(exploding, vanishing))


def test_an_equation_in_place_of_an_implication_is_rejected() -> None:
    hypothesis, _, *rest = ST.regimes.args[0].args
    with pytest.raises(CheckFailed, match="is not 'rate < c => lim norm <= lim bound = 0'"):
        _check(Conjunction(Chain(hypothesis, "=", *rest), ST.regimes.args[1]))
    premise, _, consequence = ST.regimes.args[1].args
    with pytest.raises(CheckFailed, match="not an implication"):
        _check(Conjunction(ST.regimes.args[0], Chain(premise, "<=", consequence)))


def test_a_conclusion_that_is_not_a_limit_is_rejected() -> None:
    hypothesis, _, norm_limit, _, power_limit, _, zero = ST.regimes.args[0].args
    for norm, power in ((NORM, power_limit), (norm_limit, sp.Pow(RATE, T - K, evaluate=False))):
        with pytest.raises(CheckFailed, match="not a limit"):
            _check(Conjunction(Chain(hypothesis, "=>", norm, "<=", power, "=", zero), ST.regimes.args[1]))


def test_a_premise_that_is_not_a_limit_is_rejected() -> None:
    _, relation, consequence = ST.regimes.args[1].args
    with pytest.raises(CheckFailed, match="not growth without bound"):
        _check(Conjunction(ST.regimes.args[0], Chain(sp.Eq(NORM, sp.oo, evaluate=False), "=>", consequence)))


def test_the_reported_count_is_the_number_of_comparisons_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check reports how many comparisons it made; a count typed in as a constant would drift from the comparisons it runs."""
    calls: list[bool] = []
    original = derive.checks.fail_unless

    def counting(label: str, ok: bool, reason: str) -> None:
        calls.append(ok)
        original(label, ok, reason)

    monkeypatch.setattr(derive.checks, "fail_unless", counting)
    result = _check(ST.regimes)
    assert all(calls)
    assert result.comparisons == len(calls)


@pytest.mark.parametrize("threshold", [sp.S.One, sp.Rational(1, 2)])
def test_the_result_names_the_rates_it_decided(threshold: sp.Expr) -> None:
    """The instance reports the rates the statement covers: every r = gamma lambda in [0, c) for the printed threshold c, and [0, 1] for the converse."""
    result = _check(_regimes(threshold=threshold))
    intervals = [item for item in result.instance if isinstance(item, sp.Interval)]
    assert intervals == [sp.Interval.Ropen(0, threshold), sp.Interval(0, 1)]
    assert sp.Eq(sp.Symbol("r"), RATE) in result.instance


def test_the_printed_decision_rule_is_true() -> None:
    """The method states r^(a t + b) -> 0 exactly when its relations on a and r hold; SymPy's limit agrees on sample (a, r).

    The rates in question are 0 <= r <= 1 (the threshold the check allows); above 1 a negative a also decays.
    """
    relations = [item for item in _check(ST.regimes).method if isinstance(item, sp.Rel)]
    assert relations
    a, r, t = sp.Symbol(r"\alpha"), sp.Symbol("r"), sp.Symbol("t", positive=True)  # alpha, not a: a_j is the pre-activation
    for a_value in (sp.Rational(-1), sp.Integer(0), sp.Rational(1, 2), sp.Integer(1)):
        for r_value in (sp.Integer(0), sp.Rational(1, 3), sp.Rational(99, 100), sp.Integer(1)):
            if r_value == 0 and a_value <= 0:
                continue  # 0^0 and 0^(negative): no rate of a network, and the rule says nothing useful there
            values = {a: a_value, r: r_value}
            rule = all(bool(rel.subs(values)) for rel in relations)
            decays = sp.limit(r_value ** (a_value * t + 1), t, sp.oo) == 0
            assert rule == decays, (a_value, r_value)


def test_the_reason_names_what_is_wrong() -> None:
    """A reader is told the actual mistake: a rate that is not gamma lambda, or a third regime."""
    gamma, t, k = ST.gamma, ST.idx.t, ST.idx.k
    only_gamma = Chain(sp.Lt(gamma, 1), "=>", sp.Limit(NORM, t, sp.oo), "<=", sp.Limit(sp.Pow(gamma, t - k), t, sp.oo), "=", sp.S.Zero)
    with pytest.raises(CheckFailed, match="not the product of gamma and lambda"):
        _check(Conjunction(only_gamma, ST.regimes.args[1]))
    with pytest.raises(CheckFailed, match="expected the vanishing and the exploding regime"):
        _check(Conjunction(*ST.regimes.args, ST.regimes.args[0]))

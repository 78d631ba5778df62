"""Every printed statement passes its check, and every realistic mutation of it is rejected, through the public API.

``derive.statement(label)`` is the SymPy object the report prints; ``derive.check_statement``
re-runs that statement's check on any object. A small instance (d = 2, t - k = 2, tanh)
keeps the symbolic checks fast; the mutations are the mistakes a lecturer or a student
makes when writing the argument down.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sympy as sp

import derive
from derive.checks import CheckContext
from derive.expressions import Chain, Conjunction, Extremum, Jacobian, Norm, Ordered
from derive.statements import LABELS

CONFIG = derive.Config(dim=2, lag=2, activations=("tanh",))
BOTH = derive.Config(dim=1, lag=2, activations=("sigmoid", "tanh"))
MODEL = CheckContext(CONFIG).model


def printed(label: str, config: derive.Config = CONFIG) -> sp.Basic:
    return derive.statement(label, config)


def _eq(lhs: sp.Basic, rhs: sp.Basic) -> sp.Eq:
    return sp.Eq(lhs, rhs, evaluate=False)


# -- statement 1: dL_t/dW_pq = sum_{k=1}^t dL_t/ds_t ds_t/ds_k d+s_k/dW_pq


def _bptt_summand(change: Callable[[list[Jacobian]], list[sp.Expr]]) -> sp.Eq:
    s = printed("bptt-sum")
    (k, lower, upper), summand = s.rhs.limits[0], s.rhs.function
    return _eq(s.lhs, sp.Sum(sp.Mul(*change(list(summand.args))), (k, lower, upper)))


def _bptt_limits(lower: Callable[[sp.Expr], sp.Expr], upper: Callable[[sp.Expr], sp.Expr]) -> sp.Eq:
    s = printed("bptt-sum")
    (k, low, high), summand = s.rhs.limits[0], s.rhs.function
    return _eq(s.lhs, sp.Sum(summand, (k, lower(low), upper(high))))


def _total(j: Jacobian) -> Jacobian:
    return Jacobian(j.numerator, j.denominator, "total")


def _product(change: Callable[[Ordered], Ordered]) -> sp.Eq:
    s = printed("product")
    return _eq(s.lhs, change(s.rhs))


def _one_step(rhs: Callable[[sp.MatrixExpr, sp.MatrixExpr], sp.Basic]) -> sp.Eq:
    s = printed("per-step")
    diag, W = s.rhs.args
    return _eq(s.lhs, rhs(diag, W))


MUTATIONS: dict[str, Callable[[], sp.Basic]] = {
    # statement 1
    "bptt-sum: immediate partial made total": lambda: _bptt_summand(lambda f: [f[0], f[1], _total(f[2])]),
    "bptt-sum: factors reordered": lambda: _bptt_summand(lambda f: [f[1], f[0], f[2]]),
    "bptt-sum: the chain factor dropped": lambda: _bptt_summand(lambda f: [f[0], f[2]]),
    "bptt-sum: sum from k = 2": lambda: _bptt_limits(lambda low: low + 1, lambda high: high),
    "bptt-sum: sum to t - 1": lambda: _bptt_limits(lambda low: low, lambda high: high - 1),
    "bptt-sum: sum from k = 0": lambda: _bptt_limits(lambda low: low - 1, lambda high: high),
    "bptt-sum: left side partial": lambda: _eq(
        Jacobian(printed("bptt-sum").lhs.numerator, printed("bptt-sum").lhs.denominator, "partial"), printed("bptt-sum").rhs
    ),
    "bptt-sum: right side times 2": lambda: _eq(printed("bptt-sum").lhs, 2 * printed("bptt-sum").rhs),
    # statement 2
    "product: reversed": lambda: _product(lambda o: Ordered(o.factor, *o.limits, order="earlier-left")),
    "product: lower limit k": lambda: _product(lambda o: Ordered(o.factor, o.limits[0], o.limits[1] - 1, o.limits[2], o.order)),
    "product: lower limit k + 2": lambda: _product(lambda o: Ordered(o.factor, o.limits[0], o.limits[1] + 1, o.limits[2], o.order)),
    "product: upper limit t - 1": lambda: _product(lambda o: Ordered(o.factor, o.limits[0], o.limits[1], o.limits[2] - 1, o.order)),
    "product: factor shifted": lambda: _product(lambda o: Ordered(o.factor.subs(o.limits[0], o.limits[0] + 1), *o.limits, o.order)),
    "product: left side inverted": lambda: _eq(Jacobian(printed("product").lhs.denominator, printed("product").lhs.numerator), printed("product").rhs),
    # statement 3
    "diagonal: an off-diagonal term": lambda: _eq(printed("diagonal").lhs, printed("diagonal").rhs + sp.MatrixSymbol("E", *printed("diagonal").rhs.shape)),
    "diagonal: phi for phi'": lambda: _eq(printed("diagonal").lhs, sp.DiagMatrix(MODEL.elementwise(MODEL.phi, MODEL.a_j))),
    # statement 4
    "weight: W transposed": lambda: _eq(printed("weight").lhs, printed("weight").rhs.T),
    "weight: W times 2": lambda: _eq(printed("weight").lhs, 2 * printed("weight").rhs),
    # statement 5
    "per-step: diag dropped": lambda: _one_step(lambda diag, W: W),
    "per-step: order swapped": lambda: _one_step(lambda diag, W: W * diag),
    "per-step: W transposed": lambda: _one_step(lambda diag, W: diag * W.T),
    "per-step: times 2": lambda: _one_step(lambda diag, W: 2 * diag * W),
    # statement 6
    "gamma: 1/3 for the sigmoid": lambda: _gamma(BOTH, {sp.Rational(1, 4): sp.Rational(1, 3)}),
    "gamma: the two values swapped": lambda: _gamma(BOTH, {sp.Rational(1, 4): sp.Integer(1), sp.Integer(1): sp.Rational(1, 4)}),
    "gamma: 1/2 for tanh": lambda: _gamma(CONFIG, {sp.Integer(1): sp.Rational(1, 2)}),
    # statement 7
    "diagonal-norm: at most gamma / 2": lambda: _chain_end(printed("diagonal-norm"), lambda g: g / 2),
    "diagonal-norm: diag dropped": lambda: Chain(
        Norm(sp.MatrixSymbol("W", *printed("diagonal-norm").args[0].args[0].shape)), *printed("diagonal-norm").args[1:]
    ),
    # statement 8
    "submultiplicative: reversed": lambda: sp.Ge(*printed("submultiplicative").args, evaluate=False),
    "submultiplicative: right side ||A|| alone": lambda: sp.Le(printed("submultiplicative").lhs, printed("submultiplicative").rhs.args[0], evaluate=False),
    # statement 9
    "bound: right side times 2": lambda: _chain_end(printed("bound"), lambda b: 2 * b),
    "bound: exponent t - k + 1": lambda: _chain_end(printed("bound"), lambda b: sp.Pow(b.base, b.exp + 1, evaluate=False)),
    "bound: exponent t - k - 1": lambda: _chain_end(printed("bound"), lambda b: sp.Pow(b.base, b.exp - 1, evaluate=False)),
    # with tanh alone gamma = 1 = gamma^2, so the squared gamma is a true statement there: the sigmoid is needed
    "bound: gamma squared": lambda: (_chain_end(printed("bound", BOTH), lambda b: sp.Pow(b.base * sp.Symbol(r"\gamma"), b.exp, evaluate=False)), BOTH),
    "bound: the inequality reversed": lambda: sp.Ge(printed("bound").args[0], printed("bound").args[2], evaluate=False),
    # statement 10
    "regimes: threshold 2": lambda: _regimes(lambda v, e: (Chain(sp.Lt(v.args[0].lhs, 2), *v.args[1:]), e)),
    "regimes: limit 1": lambda: _regimes(lambda v, e: (_chain_end(v, lambda _: sp.S.One), e)),
    "regimes: the two limits claimed equal": lambda: _regimes(lambda v, e: (Chain(*v.args[:3], "=", *v.args[4:]), e)),
    "regimes: explosion needs only gamma lambda > 2": lambda: _regimes(lambda v, e: (v, Chain(e.args[0], "=>", sp.Gt(e.args[2].lhs, 2)))),
}


def _gamma(config: derive.Config, values: dict[sp.Expr, sp.Expr]) -> tuple[sp.Basic, derive.Config]:
    s = printed("gamma", config)
    chains = [Chain(*c.args[:-1], values.get(c.args[-1], c.args[-1])) for c in s.args]
    return Conjunction(*chains), config  # type: ignore[return-value]


def _chain_end(chain: sp.Basic, change: Callable[[sp.Expr], sp.Expr]) -> Chain:
    return Chain(*chain.args[:-1], change(chain.args[-1]))


def _regimes(change: Callable[[Chain, Chain], tuple[Chain, Chain]]) -> Conjunction:
    return Conjunction(*change(*printed("regimes").args))


def _label(name: str) -> str:
    return name.split(":")[0]


@pytest.mark.parametrize("label", LABELS)
def test_the_printed_statement_passes(label: str) -> None:
    config = BOTH if label == "gamma" else CONFIG
    result = derive.check_statement(label, printed(label, config), config)
    assert result.label == label and result.comparisons >= 1


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_a_mutated_statement_is_rejected(name: str) -> None:
    mutated = MUTATIONS[name]()
    config = CONFIG
    if isinstance(mutated, tuple):
        mutated, config = mutated
    assert mutated != printed(_label(name), config), "the mutation changed nothing"
    with pytest.raises(derive.CheckFailed, match=f"statement '{_label(name)}'"):
        derive.check_statement(_label(name), mutated, config)


def test_an_unknown_label_is_a_config_error() -> None:
    with pytest.raises(derive.ConfigError, match="'nonsense'"):
        derive.statement("nonsense")


def test_extremum_and_norm_are_read_not_trusted() -> None:
    """A statement of the wrong kind altogether is rejected, not crashed on."""
    with pytest.raises(derive.CheckFailed, match="statement 'bound'"):
        derive.check_statement("bound", Extremum(sp.Symbol("x"), sp.Symbol("i"), "max"), CONFIG)
    with pytest.raises(derive.CheckFailed, match="statement 'product'"):
        derive.check_statement("product", sp.Symbol("x"), CONFIG)

"""Statement 11 (the sharper bound from the slopes reached): the check passes the printed statement and stops every
mutation of it; the interpreter's products are computed, not assumed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sympy as sp

import derive
from derive.expressions import Chain, Extremum

PRINTED = derive.statement("sharper")
NORM, _, MIDDLE, _, BOUND = PRINTED.args
POWER, PRODUCT = MIDDLE.args  # lambda^(t-k), prod_j max_i |phi'(a_{j,i})|
LAM = POWER.base
REACHED, (J, LOWER, UPPER) = PRODUCT.args[0], PRODUCT.args[1]
T, K = UPPER, LOWER - 1


def _middle(body: sp.Expr = REACHED, lower: sp.Expr = LOWER, upper: sp.Expr = UPPER, power: sp.Expr = POWER) -> sp.Expr:
    return sp.Mul(power, sp.Product(body, (J, lower, upper)), evaluate=False)


def _first_unit() -> sp.Expr:
    """|phi'(a_{j,1})|: one unit's slope where the statement takes the largest over the units."""
    entry = next(s for s in REACHED.args[0].free_symbols if s.name.endswith(",i}"))
    return REACHED.args[0].xreplace({entry: sp.Symbol(entry.name.replace(",i}", ",1}"))})


MUTATIONS: dict[str, Callable[[], sp.Basic]] = {
    "one factor too many (from j = k)": lambda: Chain(NORM, "<=", _middle(lower=K), "<=", BOUND),
    "one factor too few (to t - 1)": lambda: Chain(NORM, "<=", _middle(upper=T - 1), "<=", BOUND),
    "the first unit's slope for the largest": lambda: Chain(NORM, "<=", _middle(body=_first_unit()), "<=", BOUND),
    "lambda dropped": lambda: Chain(NORM, "<=", sp.Product(REACHED, (J, LOWER, UPPER)), "<=", BOUND),
    "lambda squared": lambda: Chain(NORM, "<=", _middle(power=sp.Pow(LAM**2, POWER.exp, evaluate=False)), "<=", BOUND),
    "lambda once, not per step": lambda: Chain(NORM, "<=", _middle(power=LAM), "<=", BOUND),
    "the slopes halved": lambda: Chain(NORM, "<=", _middle(body=REACHED / 2), "<=", BOUND),
    "the outer bound one power short": lambda: Chain(NORM, "<=", MIDDLE, "<=", sp.Pow(BOUND.base, BOUND.exp - 1, evaluate=False)),
}


def test_the_printed_statement_passes() -> None:
    result = derive.check_statement("sharper", PRINTED)
    assert result.comparisons > 1000 and "witnesses" in "".join(str(x) for x in result.summary)


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_mutated_statement_is_rejected(name: str) -> None:
    mutated = MUTATIONS[name]()
    assert mutated != PRINTED
    with pytest.raises(derive.CheckFailed, match="statement 'sharper'"):
        derive.check_statement("sharper", mutated)


def test_the_product_is_the_one_printed() -> None:
    """The printed product runs over j = k + 1 .. t of the slope reached at step j times lambda."""
    assert (J.name, LOWER, UPPER) == ("j", K + 1, T) and isinstance(REACHED, Extremum) and LAM == derive.statement("bound").args[2].base.args[1]
    assert POWER.exp == BOUND.exp  # lambda once per step of the lag


def test_the_figure_draws_the_sharper_bound_between_the_chain_and_the_bound() -> None:
    """Figure 1's dotted lines: ln of statement 11's product, computed from the slopes the network reaches; the measured
    chain lies under it and it under the dashed bound (to the engine's rounding, far below 1e-9 in the logarithm)."""
    import numpy as np

    from verify.figure import figure_lines

    for line in figure_lines("tanh"):
        assert np.all(line.log_norms <= line.log_sharper + 1e-9) and np.all(line.log_sharper <= line.log_bound + 1e-9)
        assert np.any(line.log_sharper < line.log_bound - 1e-3)  # sharper somewhere, not the bound redrawn


def test_the_interpreter_s_products_with_and_without_a_memo() -> None:
    """prod_{j=1}^{3} j = 6 without a memo; with one, a factor that depends on another integer k is not reused across k."""
    from flint import arb

    from verify.numeric_checks import Scope, evaluate

    j, k = sp.Symbol("j"), sp.Symbol("k")
    plain = Scope("test", 1)
    assert evaluate(sp.Product(j, (j, 1, 3)), plain).contains(arb(6))
    memo = Scope("test", 1, memo={}, integers={"k": 1})
    first = evaluate(sp.Product(j + k, (j, 1, 2)), memo)  # (1 + 1)(2 + 1) = 6
    again = evaluate(sp.Product(j + k, (j, 1, 2)), Scope("test", 1, memo=memo.memo, integers={"k": 2}))  # (1 + 2)(2 + 2) = 12
    assert first.contains(arb(6)) and again.contains(arb(12)) and not again.contains(arb(6))

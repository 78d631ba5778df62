"""Every check can fail: a deliberately wrong statement stops the build with an error naming its step."""

from __future__ import annotations

import pytest
import sympy as sp

import derive
from derive.chain import CASES, Statements, check_bptt_sum, check_matrix, check_product
from derive.expressions import Ordered
from derive.model import General, Instance, offset
from derive.notation import Notation

MODEL = General(Notation())
ST = Statements(MODEL)
INSTANCE = Instance(MODEL, 2, 2)
PAIRS = (MODEL.generic, MODEL.concrete("tanh"))


def _matrix(statement: sp.Eq, case: str, **kw: object) -> object:
    return check_matrix(statement, ST.diagonal.lhs if case == "diagonal" else statement.lhs, CASES[case], MODEL, INSTANCE, PAIRS, **kw)


def test_true_statements_pass() -> None:
    for name, statement in (("diagonal", ST.diagonal), ("weight", ST.weight), ("per-step", ST.per_step)):
        assert _matrix(statement, name).compared > 0
    assert check_product(ST.product, ST, INSTANCE, PAIRS, 1, 3) == 2 * 4
    assert check_bptt_sum(ST.bptt_sum, ST, INSTANCE, PAIRS, 2) == 2 * 4


def test_an_off_diagonal_term_is_rejected() -> None:
    off = sp.MatrixSymbol("E", MODEL.d, MODEL.d)
    wrong = sp.Eq(ST.diagonal.lhs, ST.diagonal.rhs + off, evaluate=False)
    with pytest.raises(derive.CheckFailed, match="'diagonal'"):
        _matrix(wrong, "diagonal")


def test_w_transposed_is_rejected() -> None:
    wrong = sp.Eq(ST.weight.lhs, MODEL.W.T, evaluate=False)
    with pytest.raises(derive.CheckFailed, match="'weight'"):
        _matrix(wrong, "weight")


def test_the_wrong_order_in_one_step_is_rejected() -> None:
    wrong = sp.Eq(ST.per_step.lhs, MODEL.W * ST.diagonal.rhs, evaluate=False)
    with pytest.raises(derive.CheckFailed, match="'per-step'"):
        _matrix(wrong, "per-step")


def test_the_transposed_layout_is_rejected() -> None:
    """Without the denominator-to-numerator conversion, SymPy's matrix calculus gives W^T: rejected."""
    with pytest.raises(derive.CheckFailed, match="'weight'.*layout"):
        _matrix(ST.weight, "weight", layout=lambda raw: raw)


@pytest.mark.parametrize("lower", [offset(ST.idx.k, 2), ST.idx.k])
def test_a_wrong_factor_count_is_rejected(lower: sp.Expr) -> None:
    wrong = sp.Eq(ST.product.lhs, Ordered(ST.one_step, ST.idx.j, lower, ST.idx.t), evaluate=False)
    with pytest.raises(derive.CheckFailed, match="'product'"):
        check_product(wrong, ST, INSTANCE, PAIRS, 1, 3)


def test_a_sum_missing_its_first_term_is_rejected() -> None:
    k, t = ST.idx.k, ST.idx.t
    wrong = sp.Eq(ST.bptt_sum.lhs, sp.Sum(ST.bptt_sum.rhs.function, (k, 2, t)), evaluate=False)
    with pytest.raises(derive.CheckFailed, match="'bptt-sum'"):
        check_bptt_sum(wrong, ST, INSTANCE, PAIRS, 2)


def test_the_factor_counts_come_from_the_statement(derivation: derive.Derivation) -> None:
    counts = [w.value for w in derivation.worked if w.expression.is_Add]
    assert counts == [3, 19]
    assert [w.value for w in derivation.worked[:4]] == [sp.Rational(1, 16), sp.Rational(1, 1024), sp.Rational(1, 1024), 1024]
    assert [w.decimal for w in derivation.worked[:2]] == ["0.0625", "0.0009765625"]

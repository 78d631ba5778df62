"""The interpreter of statements 1 and 2 and the guards on the statements' form: what it computes, and what it refuses.

These tests were added after a mutation run of derive/chain.py (docs/mutation.md): each asserts a property the
checks rely on and that a surviving mutant showed was untested. They run on the smallest instances (d = 1 or 2).
"""

from __future__ import annotations

import pytest
import sympy as sp

from derive.chain import CHECKS, Unrolled
from derive.checks import CheckContext, run_check
from derive.config import Config
from derive.errors import CheckFailed
from derive.expressions import Jacobian, Ordered

ONE = CheckContext(Config(dim=1, lag=2))
TWO = CheckContext(Config(dim=2, lag=2))


def _unrolled(context: CheckContext, last: int = 3) -> Unrolled:
    return Unrolled("test", context.instance, context.pairs[0], 0, last)


def _state_jacobian(context: CheckContext, tau: int, sigma: int) -> Jacobian:
    st = context.statements
    return Jacobian(st.state(sp.Integer(tau)), st.state(sp.Integer(sigma)))


def test_one_step_of_the_interpreter_is_the_model_recurrence() -> None:
    """s_1 = phi(W s_0 + U x_1 + b): the interpreter's step against the instance's own unrolling (a sign flip in a_j shows)."""
    for context in (ONE, TWO):
        model, instance = _unrolled(context), context.instance
        s0 = model.state(0)
        expected = instance.plain(instance.unroll(s0, 1, 1, context.pairs[0])[1])
        assert model._step(1, s0, model.W) == expected


def test_a_state_does_not_depend_on_a_later_state() -> None:
    """ds_1/ds_2 is refused (s_1 is computed before s_2), not read as the identity of an empty unrolling."""
    model = _unrolled(TWO)
    with pytest.raises(CheckFailed, match="does not depend on the later"):
        model.jacobian(_state_jacobian(TWO, 1, 2), {})
    assert model.jacobian(_state_jacobian(TWO, 2, 2), {}) == sp.eye(2)  # ds_k/ds_k = I


def test_a_number_scales_a_jacobian_on_either_side() -> None:
    """A 1x1 factor scales (c J and J c both give c J); shapes that do not chain are refused as out of order."""
    model = _unrolled(TWO)
    J = model.jacobian(_state_jacobian(TWO, 2, 1), {})
    three = sp.ImmutableMatrix([[3]])
    assert model.product([three, J], "3 J") == 3 * J
    assert model.product([J, three], "J 3") == 3 * J
    assert model.product([three, three], "3 3") == sp.ImmutableMatrix([[9]])
    row = sp.ImmutableMatrix([[1, 2]])
    assert model.product([three, row, J], "3 r J") == 3 * row * J
    with pytest.raises(CheckFailed, match="out of order"):
        model.product([J, row], "J r")
    assert model.evaluate(2 * _state_jacobian(TWO, 2, 1), {}) == 2 * J


def test_terms_of_different_shapes_are_not_added() -> None:
    """A sum of a matrix and a number is refused (it has no meaning), in an Add and in a Sum's terms."""
    model = _unrolled(TWO)
    with pytest.raises(CheckFailed, match="adds terms of shapes"):
        model.evaluate(_state_jacobian(TWO, 2, 1) + 1, {})
    with pytest.raises(CheckFailed, match="have shapes"):
        model.evaluate_sum([sp.ImmutableMatrix([[1]]), sp.eye(2)], "a sum")


def test_a_loss_with_two_indices_is_not_a_loss_at_one_time() -> None:
    st = TWO.statements
    lhs = st.bptt_sum.lhs
    two_indices = sp.Indexed(lhs.numerator.base, st.idx.t, st.idx.k)
    wrong = sp.Eq(Jacobian(two_indices, lhs.denominator, "total"), st.bptt_sum.rhs, evaluate=False)
    with pytest.raises(CheckFailed, match="not indexed by one time symbol"):
        run_check(CHECKS, "bptt-sum", wrong, TWO)


def test_a_diagonal_weight_entry_is_not_a_general_entry() -> None:
    """dL_t/dW_pp checks only the diagonal of W: refused, since the statement is about every entry W_pq."""
    st = TWO.statements
    entry = st.bptt_sum.lhs.denominator
    p = entry.indices[0]
    diagonal = sp.Indexed(entry.base, p, p)
    wrong = st.bptt_sum.xreplace({entry: diagonal})
    with pytest.raises(CheckFailed, match="not a general entry"):
        run_check(CHECKS, "bptt-sum", wrong, TWO)


def test_an_earlier_left_product_is_described_as_such() -> None:
    """At d = 1 the factors commute, so the reversed product is true; the method must then say what order it read."""
    st = ONE.statements
    product = st.product.rhs
    index, lower, upper = product.limits
    reversed_product = Ordered(product.factor, index, lower, upper, "earlier-left")
    result = run_check(CHECKS, "product", sp.Eq(st.product.lhs, reversed_product, evaluate=False), ONE)
    assert "earlier steps on the left" in "".join(str(part) for part in result.method)
    printed = run_check(CHECKS, "product", st.product, ONE)
    assert "later steps on the left" in "".join(str(part) for part in printed.method)


def test_an_earlier_vector_is_not_a_function_of_a_later_one() -> None:
    """ds_{j-1}/da_j (and da_j/da_j) is refused: one step maps s_{j-1} to a_j to s_j, never back."""
    m = TWO.model
    for top, bottom in ((m.s_prev, m.a_j), (m.a_j, m.a_j)):
        wrong = sp.Eq(Jacobian(top, bottom), sp.Identity(m.d), evaluate=False)
        with pytest.raises(CheckFailed, match="is not a function of"):
            run_check(CHECKS, "diagonal", wrong, TWO)


def test_a_product_written_as_a_plain_product_is_refused() -> None:
    """The right side of statement 2 must be an ordered product (its order is what the statement asserts)."""
    st = TWO.statements
    plain = sp.Eq(st.product.lhs, _state_jacobian(TWO, 3, 2) * _state_jacobian(TWO, 2, 1), evaluate=False)
    with pytest.raises(CheckFailed, match="not an ordered product"):
        run_check(CHECKS, "product", plain, TWO)

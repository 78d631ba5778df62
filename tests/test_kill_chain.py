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


# -- every refusal says what is wrong (second mutation run) -----------------------------------------------------------

ST, M = TWO.statements, TWO.model
t, k, j = ST.idx.t, ST.idx.k, ST.idx.j
s = ST.state
W_ENTRY = ST.bptt_sum.lhs.denominator
W_BASE = W_ENTRY.base


def _read_fails(expr: sp.Basic, env: dict[sp.Symbol, int], reason: str) -> None:
    with pytest.raises(CheckFailed, match=reason):
        _unrolled(TWO).read(expr, env)


def test_reading_a_quantity_refuses_what_is_not_on_the_instance() -> None:
    _read_fails(sp.Symbol("y"), {}, "is not a loss, a state or an entry")
    _read_fails(sp.IndexedBase("x")[1], {}, "is not a loss, a state or an entry")
    _read_fails(s(j), {}, "not fixed on the instance")
    _read_fails(W_BASE[1, 3], {}, "is not an entry of the 2x2 matrix")
    _read_fails(W_BASE[1], {}, "is not an entry of the 2x2 matrix")
    _read_fails(s(4), {}, "lies outside the instance, steps 0 to 3")


def test_reading_a_quantity_gives_its_place() -> None:
    """W_12 is the 0-based entry (0, 1); s_0 and s_3 are the first and last steps of the instance."""
    model = _unrolled(TWO)
    assert model.read(W_BASE[1, 2], {}).entry == (0, 1)
    assert model.read(W_BASE[2, 1], {}).entry == (1, 0)
    assert model.read(s(0), {}).time == 0 and model.read(s(3), {}).time == 3
    assert model.read(s(t), {t: 2}).time == 2


@pytest.mark.parametrize(
    ("jacobian", "reason"),
    [
        (lambda: Jacobian(s(2), W_BASE[1, 2], "partial"), "a plain partial derivative by a weight entry is ambiguous"),
        (lambda: Jacobian(W_BASE[1, 2], s(1), "partial"), "no partial derivative of weight by state"),
        (lambda: Jacobian(ST.name("loss", 2), W_BASE[1, 2], "immediate"), "no immediate derivative of loss by weight"),
        (lambda: Jacobian(W_BASE[1, 2], W_BASE[1, 2], "total"), "no total derivative of weight by weight"),
        (lambda: Jacobian(s(2), s(1), "immediate"), "no immediate derivative of state by state"),
        (lambda: Jacobian(s(0), W_BASE[1, 2], "immediate"), "s_0 is the given start of the instance"),
    ],
)
def test_a_jacobian_the_model_does_not_define_is_refused(jacobian: object, reason: str) -> None:
    with pytest.raises(CheckFailed, match=reason):
        _unrolled(TWO).jacobian(jacobian(), {})  # type: ignore[operator]


def test_the_first_produced_state_has_an_immediate_partial() -> None:
    """d+s_1/dW_12: s_1 is produced by step 1 from the given s_0 (only s_0 itself has none)."""
    model = _unrolled(TWO)
    value = model.jacobian(Jacobian(s(1), W_BASE[1, 2], "immediate"), {})
    assert value.shape == (2, 1) and value[1, 0] == 0 and value[0, 0] != 0  # W_12 enters the first entry only


def test_sums_and_products_of_jacobians_evaluate_term_by_term() -> None:
    model = _unrolled(TWO)
    one, two = Jacobian(s(2), s(1)), Jacobian(s(3), s(2))
    assert model.evaluate(one + two, {}) == model.evaluate(one, {}) + model.evaluate(two, {})
    column = sp.ImmutableMatrix([[1], [2]])
    three = sp.ImmutableMatrix([[3]])
    assert model.product([column, three], "c 3") == 3 * column and model.product([three, column], "3 c") == 3 * column
    empty = Ordered(ST.one_step, j, k + 1, t, "later-left")
    assert model.ordered(empty, {t: 2, k: 2}) == sp.eye(2)  # no factor: the identity
    with pytest.raises(CheckFailed, match="cannot be evaluated on the instance"):
        model.evaluate(sp.Symbol("y"), {})


@pytest.mark.parametrize(
    ("label", "build", "reason"),
    [
        ("bptt-sum", lambda: sp.Tuple(ST.bptt_sum.lhs, ST.bptt_sum.rhs), "is not an equation with a Jacobian on the left"),
        ("bptt-sum", lambda: sp.Eq(s(t), ST.bptt_sum.rhs, evaluate=False), "is not an equation with a Jacobian on the left"),
        ("bptt-sum", lambda: ST.bptt_sum.xreplace({W_ENTRY: W_BASE[W_ENTRY.indices[0], 1]}), "not a general entry"),
        (
            "bptt-sum",
            lambda: sp.Eq(Jacobian(ST.name("loss", t), W_ENTRY, "partial"), ST.bptt_sum.rhs, evaluate=False),
            "is a partial derivative, not the total",
        ),
        ("bptt-sum", lambda: sp.Eq(ST.bptt_sum.lhs, ST.bptt_sum.rhs.function, evaluate=False), "is not a sum"),
        ("bptt-sum", lambda: sp.Eq(ST.bptt_sum.lhs, sp.Sum(ST.bptt_sum.rhs.function, (k, 1, t), (j, 1, 2)), evaluate=False), "not a sum over one index"),
        ("bptt-sum", lambda: sp.Eq(ST.bptt_sum.lhs, sp.Sum(ST.bptt_sum.rhs.function, (k, 1, j)), evaluate=False), "limits .* are not fixed"),
        ("bptt-sum", lambda: sp.Eq(ST.bptt_sum.lhs, sp.Sum(ST.bptt_sum.rhs.function, (k, t + 1, t)), evaluate=False), "has no terms on the instance"),
        ("product", lambda: sp.Eq(Jacobian(s(t), s(t)), ST.product.rhs, evaluate=False), "has one time index"),
        ("diagonal", lambda: sp.Eq(Jacobian(M.s_j, M.a_j, "total"), ST.diagonal.rhs, evaluate=False), "is not a partial derivative"),
        ("diagonal", lambda: sp.Eq(ST.diagonal.lhs, sp.Integer(0), evaluate=False), "is not a matrix expression"),
        ("diagonal", lambda: sp.Eq(Jacobian(M.x_j, M.a_j), ST.diagonal.rhs, evaluate=False), "is not one of"),
        ("diagonal", lambda: sp.Eq(ST.diagonal.lhs, M.a_j, evaluate=False), "the left side is 2x2 but the right side 2x1"),
        ("weight", lambda: sp.Eq(ST.weight.lhs, M.W + (M.d - 2) * sp.Identity(M.d), evaluate=False), "general d: matrix calculus gives"),
    ],
)
def test_a_statement_of_the_wrong_form_is_refused_with_its_reason(label: str, build: object, reason: str) -> None:
    with pytest.raises(CheckFailed, match=reason):
        run_check(CHECKS, label, build(), TWO)  # type: ignore[operator]


def test_the_checked_model_is_the_printed_one() -> None:
    """The interpreter's step and the matrix checks' a_j are the recurrence the conventions print, a_j = W s_{j-1} + U x_j + b."""
    from derive.chain import Step

    step = Step(M, TWO.instance)
    assert step.general("test", M.a_j, M.s_prev).doit() == M.preactivation_display.doit()
    model, instance, pair = _unrolled(TWO), TWO.instance, TWO.pairs[0]
    printed = M.explicit(M.elementwise(M.phi, M.preactivation_display), instance, pair, spell=False)
    names = {a: b for a, b in zip(instance.plain(instance.vector("state", "j-1")), model.state(0), strict=True)}
    names |= {a: b for a, b in zip(instance.plain(instance.vector("input", "j")), instance.plain(instance.input(1)), strict=True)}
    assert model._step(1, model.state(0), model.W) == instance.plain(printed).xreplace(names)


# -- the prose says what was run ---------------------------------------------------------------------------------------


def _run(label: str, context: CheckContext) -> tuple[object, list[str]]:
    said: list[str] = []
    recording = CheckContext(context.config, said.append)
    return run_check(CHECKS, label, recording.statements[label], recording), said


def test_progress_names_each_activation_of_the_slow_checks() -> None:
    for label in ("bptt-sum", "product"):
        _, said = _run(label, TWO)
        assert said == [f"{label}: {pair.label}" for pair in TWO.pairs]


def test_the_methods_name_the_printed_objects() -> None:
    result, _ = _run("bptt-sum", TWO)
    assert ST.state(k - 1) in result.method and ST.state(0) in result.log[0]  # type: ignore[attr-defined]
    product, _ = _run("product", TWO)
    limits = ST.product.rhs.limits
    method = list(product.method)  # type: ignore[attr-defined]
    assert method.index(limits[0]) < method.index(limits[1]) < method.index(limits[2])
    assert ST.state(0) in product.log[0]  # type: ignore[attr-defined]


def test_the_instance_lists_the_size_and_every_activation() -> None:
    """'d = 2, phi general and sigma, tanh, ...': the size, then each configured activation, separated by commas."""
    from derive.activations import ACTIVATIONS

    result, _ = _run("diagonal", TWO)
    parts = list(result.instance)  # type: ignore[attr-defined]
    assert parts[:2] == ["", sp.Eq(M.d, 2)]
    named = [sp.Symbol(ACTIVATIONS[name].symbol) for name in TWO.config.activations]
    positions = [parts.index(symbol) for symbol in named]
    assert positions == sorted(positions) and all(parts[p + 1] == ", " for p in positions[:-1])


def test_the_layout_log_counts_the_entries_of_the_instance() -> None:
    context = CheckContext(Config(dim=3, lag=1))
    result = run_check(CHECKS, "weight", context.statements["weight"], context)
    assert any("of 9 entries" in str(part) for line in result.log for part in line)


def test_statement_1s_method_names_where_its_unrolling_starts() -> None:
    """The loss is written out from s_0 (the interpreter's first step, a free vector) and W: the prose says so."""
    result = run_check(CHECKS, "bptt-sum", ST.bptt_sum, TWO)
    method = list(result.method)
    start = method.index(" (the loss written out in ")
    assert method[start + 1] == s(0) and method[start + 3] == M.W


def test_an_ordered_product_rebuilds_from_its_own_args() -> None:
    """SymPy's invariant expr.func(*expr.args) == expr, on which subs and xreplace rely: the limits and the order survive."""
    import pickle

    j, k, t = sp.symbols("j k t", integer=True)
    product = Ordered(sp.Function("F")(j), j, k + 1, t, "later-left")
    assert product.func(*product.args) == product
    assert product.subs(t, 5).limits == (j, k + 1, 5) and product.subs(t, 5).order == "later-left"
    assert pickle.loads(pickle.dumps(product)) == product
    assert Ordered(product.factor, j, k + 1, t, order="earlier-left").order == "earlier-left"
    with pytest.raises(TypeError):
        Ordered(product.factor, j, k + 1)
    with pytest.raises(ValueError, match="sideways"):
        Ordered(product.factor, j, k + 1, t, "sideways")

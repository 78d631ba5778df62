"""Statements 7, 8 and 9 as printed pass their ball-arithmetic checks; wrong and loosened variants are rejected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache

import numpy as np
import pytest
import sympy as sp
from flint import arb

from derive import Config
from derive.checks import CheckContext, run_check
from derive.errors import CheckFailed
from derive.expressions import Chain, Extremum, Jacobian, Norm
from derive.model import difference
from verify.enclose import BITS, ball_matrix, precision, tight_chain
from verify.numeric_checks import CHECKS, RHO, Scope, evaluate, relations, spectral_radius


@cache
def context(activations: tuple[str, ...] = ("sigmoid", "tanh")) -> CheckContext:
    return CheckContext(Config(activations=activations))


@pytest.mark.parametrize("activations", [("sigmoid", "tanh"), ("tanh",)])
@pytest.mark.parametrize("label", list(CHECKS))
def test_printed_statements_pass(label: str, activations: tuple[str, ...]) -> None:
    ctx = context(activations)
    result = run_check(CHECKS, label, ctx.statements[label], ctx)
    assert result.label == label and result.comparisons >= 10
    assert all(isinstance(part, str | sp.Basic) for part in (*result.method, *result.instance))


def test_comparisons_are_counted_not_typed_in() -> None:
    both, one = (run_check(CHECKS, "bound", context(a).statements["bound"], context(a)) for a in (("sigmoid", "tanh"), ("tanh",)))
    assert both.comparisons > one.comparisons


# -- mutations ------------------------------------------------------------------------------------------------


def _bound_mutations() -> dict[str, Callable[[CheckContext], sp.Basic]]:
    def parts(ctx: CheckContext) -> tuple[sp.Basic, sp.Basic, sp.Symbol, sp.Symbol, sp.Expr]:
        st = ctx.statements
        left, _, right = st.bound.args
        return left, right, st.gamma, st.lam, difference(st.idx.t, st.idx.k)

    def times_two(ctx: CheckContext) -> sp.Basic:
        left, right, *_ = parts(ctx)
        return Chain(left, "<=", sp.Mul(2, right, evaluate=False))

    def exponent(shift: int) -> Callable[[CheckContext], sp.Basic]:
        def mutate(ctx: CheckContext) -> sp.Basic:
            left, _, g, lam, lag = parts(ctx)
            return Chain(left, "<=", sp.Pow(g * lam, sp.Add(lag, shift, evaluate=False), evaluate=False))

        return mutate

    def gamma_squared(ctx: CheckContext) -> sp.Basic:
        left, _, g, lam, lag = parts(ctx)
        return Chain(left, "<=", sp.Pow(g**2 * lam, lag, evaluate=False))

    def spectral_radius(ctx: CheckContext) -> sp.Basic:
        left, right, _, lam, _ = parts(ctx)
        return Chain(left, "<=", right.xreplace({lam: RHO}))

    def turned_around(ctx: CheckContext) -> sp.Basic:
        left, right, *_ = parts(ctx)
        return Chain(right, "<=", left)

    def greater_equal(ctx: CheckContext) -> sp.Basic:
        left, right, *_ = parts(ctx)
        return sp.Ge(left, right, evaluate=False)

    def jacobian_reversed(ctx: CheckContext) -> sp.Basic:
        st = ctx.statements
        return Chain(Norm(Jacobian(st.state(st.idx.k), st.state(st.idx.t))), "<=", parts(ctx)[1])

    def implication(ctx: CheckContext) -> sp.Basic:
        left, right, *_ = parts(ctx)
        return Chain(left, "=>", right)

    return {
        "right side times 2": times_two,
        "exponent t-k+1": exponent(1),
        "exponent t-k-1": exponent(-1),
        "gamma squared": gamma_squared,
        "lambda -> spectral radius rho": spectral_radius,
        "relation turned around": turned_around,
        "<= replaced by >=": greater_equal,
        "ds_k/ds_t in place of ds_t/ds_k": jacobian_reversed,
        "an implication, not a relation": implication,
    }


@pytest.mark.parametrize(("name", "mutate"), list(_bound_mutations().items()))
def test_bound_mutations_are_rejected(name: str, mutate: Callable[[CheckContext], sp.Basic]) -> None:
    ctx = context()
    with pytest.raises(CheckFailed) as error:
        run_check(CHECKS, "bound", mutate(ctx), ctx)
    assert error.value.step == "bound"
    assert any(why in error.value.reason for why in ("refuted", "not attained", "not proved", "numbers can decide"))


def test_spectral_radius_bound_is_refuted_on_a_pinned_jordan_network() -> None:
    """With rho(W) in place of lambda the bound is false, not merely unproved: on W = (0.8 I + 1.2 N)/gamma with every a_j
    at the argmax, ||ds_t/ds_k||_2 exceeds the upper end of (gamma rho)^(t-k) for long lags."""
    ctx = context(("tanh",))
    st = ctx.statements
    left, _, right = st.bound.args
    mutated = Chain(left, "<=", right.xreplace({st.lam: RHO}))
    W = 0.8 * np.eye(3) + 1.2 * np.eye(3, k=1)
    T = 25
    chain, _, bits = tight_chain(W, np.zeros((3, 1)), -W @ np.zeros(3), np.zeros((T, 1)), np.zeros(3), "tanh")
    with precision(bits):
        scope = Scope("bound", 3, scalars={st.gamma.name: lambda: arb(1), RHO.name: lambda: spectral_radius(ball_matrix(W))}, chain=chain)
        refuted = 0
        for k in range(T):
            (lhs, _, rhs), *_ = relations(mutated, "bound")
            value, bound = evaluate(lhs, replace(scope, integers={"t": T, "k": k})), evaluate(rhs, replace(scope, integers={"t": T, "k": k}))
            assert isinstance(value, arb) and isinstance(bound, arb)
            refuted += bool(value > bound)
        assert refuted >= T // 2


def test_gamma_squared_is_no_mutation_for_tanh_alone() -> None:
    """gamma_tanh = 1 = gamma_tanh^2: with tanh alone the 'mutated' bound is the same true statement, and it passes."""
    ctx = context(("tanh",))
    st = ctx.statements
    squared = Chain(st.bound.args[0], "<=", sp.Pow(st.gamma**2 * st.lam, difference(st.idx.t, st.idx.k), evaluate=False))
    assert run_check(CHECKS, "bound", squared, ctx).comparisons > 0


def _diagonal_mutations() -> dict[str, Callable[[CheckContext], sp.Basic]]:
    def half_gamma(ctx: CheckContext) -> sp.Basic:
        norm, _, extremum, _, gamma = ctx.statements.diagonal_norm.args
        return Chain(norm, "=", extremum, "<=", gamma / 2)

    def minimum(ctx: CheckContext) -> sp.Basic:
        norm, _, extremum, _, gamma = ctx.statements.diagonal_norm.args
        body, index, _ = extremum.args
        return Chain(norm, "=", sp.Basic.__new__(Extremum, body, index, sp.Symbol("min")), "<=", gamma)

    def no_diag(ctx: CheckContext) -> sp.Basic:
        _, _, extremum, _, gamma = ctx.statements.diagonal_norm.args
        return Chain(Norm(ctx.model.W), "=", extremum, "<=", gamma)

    def gamma_squared(ctx: CheckContext) -> sp.Basic:
        norm, _, extremum, _, gamma = ctx.statements.diagonal_norm.args
        return Chain(norm, "=", extremum, "<=", gamma**2)

    def twice_gamma(ctx: CheckContext) -> sp.Basic:
        norm, _, extremum, _, gamma = ctx.statements.diagonal_norm.args
        return Chain(norm, "=", extremum, "<=", 2 * gamma)

    return {
        "<= gamma/2": half_gamma,
        "max -> min": minimum,
        "diag dropped (norm of W)": no_diag,
        "gamma squared": gamma_squared,
        "<= 2 gamma (loosened)": twice_gamma,
    }


@pytest.mark.parametrize(("name", "mutate"), list(_diagonal_mutations().items()))
def test_diagonal_norm_mutations_are_rejected(name: str, mutate: Callable[[CheckContext], sp.Basic]) -> None:
    ctx = context()
    with pytest.raises(CheckFailed) as error:
        run_check(CHECKS, "diagonal-norm", mutate(ctx), ctx)
    assert error.value.step == "diagonal-norm"


def _submultiplicative_mutations() -> dict[str, Callable[[CheckContext], sp.Basic]]:
    def reversed_(ctx: CheckContext) -> sp.Basic:
        math = ctx.statements.submultiplicative
        return sp.Ge(math.lhs, math.rhs, evaluate=False)

    def norm_a_alone(ctx: CheckContext) -> sp.Basic:
        math = ctx.statements.submultiplicative
        return sp.Le(math.lhs, math.rhs.args[0], evaluate=False)

    def doubled(ctx: CheckContext) -> sp.Basic:
        math = ctx.statements.submultiplicative
        return sp.Le(math.lhs, 2 * math.rhs, evaluate=False)

    def one_norm(ctx: CheckContext) -> sp.Basic:
        math = ctx.statements.submultiplicative
        a_times_b = math.lhs.args[0]
        return sp.Le(Norm(a_times_b, 1), math.rhs, evaluate=False)

    return {">= in place of <=": reversed_, "right side ||A|| alone": norm_a_alone, "right side doubled (loosened)": doubled, "a 1-norm": one_norm}


@pytest.mark.parametrize(("name", "mutate"), list(_submultiplicative_mutations().items()))
def test_submultiplicative_mutations_are_rejected(name: str, mutate: Callable[[CheckContext], sp.Basic]) -> None:
    ctx = context()
    with pytest.raises(CheckFailed) as error:
        run_check(CHECKS, "submultiplicative", mutate(ctx), ctx)
    assert error.value.step == "submultiplicative"


# -- the interpreter --------------------------------------------------------------------------------------------


def test_interpreter_values() -> None:
    """Norm(A B) of explicit matrices, a max over an index and a power with an integer exponent, against hand values."""
    A, B = sp.MatrixSymbol("A", 2, 2), sp.MatrixSymbol("B", 2, 2)
    a, i = sp.Symbol("v_{j,i}"), sp.Symbol("i")
    with precision(BITS):
        scope = Scope(
            "test",
            2,
            matrices={
                "A": ball_matrix(np.array([[3.0, 0.0], [0.0, 1.0]])),
                "B": ball_matrix(np.array([[0.0, 2.0], [1.0, 0.0]])),
                "v_{j}": ball_matrix(np.array([-5.0, 2.0])),
            },
            integers={"t": 7, "k": 4},
        )
        norm = evaluate(Norm(A * B), scope)
        assert isinstance(norm, arb) and norm.contains(arb(6)) and norm.rad() < 1e-12
        reversed_norm = evaluate(Norm(B * A), scope)
        assert isinstance(reversed_norm, arb) and reversed_norm.contains(arb(3))  # B A = [[0, 2], [3, 0]]: the order is kept
        largest = evaluate(Extremum(sp.Abs(a), i, "max"), scope)
        assert isinstance(largest, arb) and largest.contains(arb(5))
        lag = difference(sp.Symbol("t"), sp.Symbol("k"))
        power = evaluate(sp.Pow(sp.Rational(1, 2), lag, evaluate=False), scope)
        assert isinstance(power, arb) and power.contains(arb(1) / 8)
        with pytest.raises(CheckFailed):
            evaluate(sp.Symbol("mystery"), scope)
        with pytest.raises(CheckFailed):
            evaluate(sp.MatrixSymbol("A", 3, 3), scope)  # the instance's A is 2 x 2


def test_relations_reads_chains_and_single_relations() -> None:
    x, y, z = sp.symbols("x y z")
    assert relations(Chain(x, "=", y, "<=", z), "l") == [(x, "=", y), (y, "<=", z)]
    assert relations(sp.Le(x, y), "l") == [(x, "<=", y)]
    with pytest.raises(CheckFailed):
        relations(x + y, "l")

"""The deep feed-forward section (statements 15 to 17): each check reads the printed statement, and the math broken on
purpose (a product reversed, a layer's weight transposed or taken from the wrong layer, a factor dropped or added, gamma
left out, a norm squared) stops it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sympy as sp

import derive
from derive.errors import CheckFailed
from derive.expressions import Chain, Jacobian, Layer, Norm, Ordered
from derive.statements import Statements


def _statements() -> Statements:
    from derive.model import General

    return Statements(General(derive.notation("default")))


@pytest.mark.parametrize("label", ["ff-layer", "ff-chain", "ff-bound"])
def test_the_printed_statement_passes(label: str) -> None:
    result = derive.check_statement(label, derive.statement(label))
    assert result.comparisons > 0


def _layer_mutations() -> dict[str, Callable[[Statements], sp.Basic]]:
    def with_rhs(st: Statements, rhs: sp.Basic) -> sp.Basic:
        return sp.Eq(st.ff_layer.lhs, rhs, evaluate=False)

    j = sp.Symbol("j", integer=True, positive=True)

    def diag(st: Statements, at: sp.Basic) -> sp.Basic:
        return sp.Function(r"\operatorname{diag}")(st.model.phi_prime(at))

    return {
        "weight before the slopes": lambda st: with_rhs(st, sp.Mul(st.layer("weight", j), diag(st, st.layer("preactivation", j)), evaluate=False)),
        "the previous layer's weight": lambda st: with_rhs(st, sp.Mul(diag(st, st.layer("preactivation", j)), st.layer("weight", j - 1), evaluate=False)),
        "slopes at the state": lambda st: with_rhs(st, sp.Mul(diag(st, st.layer("state", j)), st.layer("weight", j), evaluate=False)),
        "slopes at the previous layer": lambda st: with_rhs(st, sp.Mul(diag(st, st.layer("preactivation", j - 1)), st.layer("weight", j), evaluate=False)),
        "no slopes": lambda st: with_rhs(st, st.layer("weight", j)),
        "twice the slopes": lambda st: with_rhs(st, sp.Mul(2, diag(st, st.layer("preactivation", j)), st.layer("weight", j), evaluate=False)),
        "by the state two layers back": lambda st: sp.Eq(Jacobian(st.layer("state", j), st.layer("state", j - 2)), st.ff_layer.rhs, evaluate=False),
    }


@pytest.mark.parametrize("mutation", sorted(_layer_mutations()))
def test_a_broken_layer_jacobian_is_rejected(mutation: str) -> None:
    with pytest.raises(CheckFailed, match="ff-layer"):
        derive.check_statement("ff-layer", _layer_mutations()[mutation](_statements()))


def _chain_mutations() -> dict[str, Callable[[Statements], sp.Basic]]:
    def with_rhs(st: Statements, product: Ordered) -> sp.Basic:
        return sp.Eq(st.ff_chain.lhs, product, evaluate=False)

    def ordered(st: Statements, lower: sp.Expr, upper: sp.Expr, order: str = "later-left") -> Ordered:
        return Ordered(st.layer_step, st.idx.j, lower, upper, order)

    k, L = sp.Symbol("k", integer=True, positive=True), Statements.layers
    return {
        "earlier layers on the left": lambda st: with_rhs(st, ordered(st, k + 1, L, "earlier-left")),
        "one factor too many": lambda st: with_rhs(st, ordered(st, k, L)),
        "one factor too few": lambda st: with_rhs(st, ordered(st, k + 2, L)),
        "stopping a layer short": lambda st: with_rhs(st, ordered(st, k + 1, L - 1)),
    }


@pytest.mark.parametrize("mutation", sorted(_chain_mutations()))
def test_a_broken_chain_over_layers_is_rejected(mutation: str) -> None:
    with pytest.raises(CheckFailed, match="ff-chain"):
        derive.check_statement("ff-chain", _chain_mutations()[mutation](_statements()))


def _bound_mutations() -> dict[str, Callable[[Statements], sp.Basic]]:
    def bound(st: Statements, body: Callable[[sp.Symbol], sp.Expr], lower: Callable[[sp.Symbol], sp.Expr] | None = None) -> Chain:
        j, k, L = st.idx.j, st.idx.k, st.layers
        norm = Norm(Jacobian(st.layer("state", L), st.layer("state", k)))
        return Chain(norm, "<=", sp.Product(body(j), (j, lower(k) if lower else k + 1, L)))

    def weight(st: Statements, j: sp.Symbol) -> Norm:
        return Norm(st.layer("weight", j))

    return {
        "gamma left out": lambda st: bound(st, lambda j: weight(st, j)),
        "a norm squared": lambda st: bound(st, lambda j: st.gamma * weight(st, j) ** 2),
        "the next layer's weight": lambda st: bound(st, lambda j: st.gamma * Norm(st.layer("weight", j + 1))),
        "one factor too many": lambda st: bound(st, lambda j: st.gamma * weight(st, j), lambda k: k),
        "one factor too few": lambda st: bound(st, lambda j: st.gamma * weight(st, j), lambda k: k + 2),
        "half of it": lambda st: bound(st, lambda j: st.gamma * weight(st, j) / 2),
    }


@pytest.mark.parametrize("mutation", sorted(_bound_mutations()))
def test_a_broken_bound_is_rejected(mutation: str) -> None:
    with pytest.raises(CheckFailed, match="ff-bound"):
        derive.check_statement("ff-bound", _bound_mutations()[mutation](_statements()))


def test_the_layers_print_with_their_index_as_a_superscript() -> None:
    from derive.printing import latex

    assert latex(Layer("s", sp.Symbol("j") - 1)) == "s^{(j-1)}"
    assert latex(derive.statement("ff-layer")) == r"\frac{\partial s^{(j)}}{\partial s^{(j-1)}} = \operatorname{diag}(\varphi'(a^{(j)})) W^{(j)}"


def _written(body: Callable[[Statements, sp.Symbol], sp.Expr]) -> Chain:
    st = _statements()
    j, k, L = st.idx.j, st.idx.k, st.layers
    return Chain(st.ff_bound.args[0], "<=", sp.Product(body(st, j), (j, k + 1, L)))


def _norm(st: Statements, j: sp.Symbol) -> Norm:
    return Norm(st.layer("weight", j))


def test_numbers_in_the_printed_factor_are_evaluated_as_written() -> None:
    """A factor written with a number (gamma ||W|| times 2/2, which SymPy keeps as a product with 1) passes; a factor that is
    a power or a sum of norms is refused, not guessed at."""
    assert derive.check_statement("ff-bound", _written(lambda st, j: sp.Mul(sp.Rational(2, 2), st.gamma, _norm(st, j), evaluate=False))).comparisons > 0
    for body in (lambda st, j: st.gamma * _norm(st, j) ** 2, lambda st, j: st.gamma * (_norm(st, j) + 1)):
        with pytest.raises(CheckFailed, match="is not a number, gamma or a layer's weight norm"):
            derive.check_statement("ff-bound", _written(body))


def _malformed() -> dict[str, Callable[[Statements], sp.Basic]]:
    def chain(st: Statements, left: sp.Basic, right: sp.Basic | None = None) -> Chain:
        return Chain(left, "<=", st.ff_bound.args[2] if right is None else right)

    return {
        "an equation": lambda st: sp.Eq(st.ff_bound.args[0], st.ff_bound.args[2], evaluate=False),
        "strict": lambda st: Chain(st.ff_bound.args[0], "<", st.ff_bound.args[2]),
        "the 1-norm": lambda st: chain(st, Norm(st.ff_bound.args[0].args[0], 1)),
        "not a Jacobian": lambda st: chain(st, Norm(st.layer("weight", st.layers))),
        "a pre-activation at one end": lambda st: chain(st, Norm(Jacobian(st.layer("preactivation", st.layers), st.layer("state", st.idx.k)))),
        "one layer at both ends": lambda st: chain(st, Norm(Jacobian(st.layer("state", st.idx.k), st.layer("state", st.idx.k)))),
        "no product": lambda st: chain(st, sp.Pow(st.gamma * st.lam, st.layers - st.idx.k)),
        "the input's norm": lambda st: chain(st, sp.Product(st.gamma * Norm(st.layer("state", st.idx.j)), (st.idx.j, st.idx.k + 1, st.layers))),
        "a function of the norm": lambda st: chain(st, sp.Product(st.gamma * sp.exp(_norm(st, st.idx.j)), (st.idx.j, st.idx.k + 1, st.layers))),
        "a range not over the layers": lambda st: chain(st, sp.Product(st.gamma * _norm(st, st.idx.j), (st.idx.j, 1, sp.Symbol("n")))),
    }


@pytest.mark.parametrize("shape", sorted(_malformed()))
def test_a_statement_of_another_shape_is_refused(shape: str) -> None:
    with pytest.raises(CheckFailed, match="ff-bound"):
        derive.check_statement("ff-bound", _malformed()[shape](_statements()))


def test_numbers_in_a_layer_s_jacobian_are_scalars_wherever_they_stand() -> None:
    """diag(phi'(a)) W written with 2 in front and 1/2 in the middle passes; 2 alone in front (twice the slopes) does not."""
    st = _statements()
    j = st.idx.j
    diag = sp.Function(r"\operatorname{diag}")(st.model.phi_prime(st.layer("preactivation", j)))
    same = sp.Mul(2, diag, sp.Rational(1, 2), st.layer("weight", j), evaluate=False)
    assert derive.check_statement("ff-layer", sp.Eq(st.ff_layer.lhs, same, evaluate=False)).comparisons > 0
    twice = sp.Mul(2, diag, st.layer("weight", j), evaluate=False)
    with pytest.raises(CheckFailed, match="differ"):
        derive.check_statement("ff-layer", sp.Eq(st.ff_layer.lhs, twice, evaluate=False))


def test_the_section_prints_only_the_statements_its_preparation_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The exact checks run in a forked child on the statement as it was then; the section refuses a result for another."""
    from derive.sections import feedforward

    real = feedforward.prepare

    def stale(config: derive.Config) -> dict[str, tuple[str, object]]:
        found = real(config)
        checked, result = found["ff-layer"]
        return {**found, "ff-layer": (checked.replace("Integer(-1)", "Integer(-2)"), result)}

    monkeypatch.setattr(feedforward, "prepare", stale)
    with pytest.raises(CheckFailed, match="the checked statement is not the one printed"):
        derive.build(derive.Config(sections=("conventions", "chain", "bound", "feedforward")))

"""The graph Jacobian and the polynomial comparison: against SymPy's own diff and expand, on shared and nested expressions."""

from __future__ import annotations

import pytest
import sympy as sp

from derive.algebra import PolynomialForms, mismatches
from derive.graph_diff import GraphJacobian

x, y, z = sp.symbols("x y z")
f = sp.Function("f")
g = sp.Function("g")


def _nested(depth: int) -> list[sp.Expr]:
    """A small recurrence (u, v) <- (tanh(x u + v), f(u - y v)) unrolled ``depth`` times from (x, y): shared sub-trees."""
    u, v = x, y
    for _ in range(depth):
        u, v = sp.tanh(x * u + v), f(u - y * v)
    return [u, v, u * v**2, sp.exp(-u) / (1 + sp.exp(-u)), g(u, v)]


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_graph_jacobian_equals_sympy_jacobian(depth: int) -> None:
    outputs = _nested(depth)
    variables = [x, y]
    expected = sp.Matrix(outputs).jacobian(variables)
    got = GraphJacobian(variables).jacobian(outputs)
    assert got.shape == (len(outputs), 2)
    assert mismatches(got, expected) == []


def test_graph_jacobian_of_a_constant_and_of_a_variable() -> None:
    got = GraphJacobian([x, y]).jacobian([sp.Integer(3), x, y, z])
    assert got == sp.ImmutableMatrix([[0, 0], [1, 0], [0, 1], [0, 0]])


def test_graph_jacobian_folds_values() -> None:
    """With a fold that names tanh(x) as s, the derivative of tanh(x)^2 is written in s."""
    s = sp.Symbol("s")
    graph = GraphJacobian([x], lambda e: e.xreplace({sp.tanh(x): s}))
    assert graph.value(sp.tanh(x) ** 2 + 1) == s**2 + 1
    assert sp.expand(graph.jacobian([sp.tanh(x) ** 2])[0, 0] - 2 * s * (1 - s**2)) == 0


def test_graph_jacobian_power_and_product_rules_are_not_swapped() -> None:
    got = GraphJacobian([x]).jacobian([x**3, x * sp.sin(x), 1 / x])
    assert list(got) == [3 * x**2, sp.sin(x) + x * sp.cos(x), -1 / x**2]


def test_polynomial_forms_decide_equality_exactly() -> None:
    forms = PolynomialForms([(x + f(y)) ** 2, x**2 + 2 * x * f(y) + f(y) ** 2, (x + f(y)) ** 2 + 1, 1 / (1 + x) ** 2])
    assert forms((x + f(y)) ** 2) == forms(x**2 + 2 * x * f(y) + f(y) ** 2)
    assert forms((x + f(y)) ** 2) != forms((x + f(y)) ** 2 + 1)
    assert forms(1 / (1 + x) ** 2) == forms(1 / (1 + x)) ** 2
    assert forms(sp.Rational(1, 3) * x) == forms(x / 3)


def test_mismatches_name_the_differing_entries() -> None:
    W = sp.Matrix(2, 2, sp.symbols("w11 w12 w21 w22"))
    D = sp.diag(f(x), f(y))
    assert mismatches(D * W, D * W) == []
    assert mismatches(D * W, D * W.T) == [(0, 1), (1, 0)]
    assert mismatches(D * W, W * D) == [(0, 1), (1, 0)]
    assert mismatches(sp.Matrix([[x]]), sp.Matrix([[x, x]])) == [(-1, -1)]


def test_an_identity_the_forms_miss_is_decided_by_expansion() -> None:
    """1/(x (1 + x)) and 1/(x^2 + x) are different polynomials in the indeterminates 1/x, 1/(1 + x), 1/(x^2 + x); expansion shows them equal."""
    left, right = 1 / (x * (x + 1)), 1 / (x**2 + x)
    forms = PolynomialForms([left, right])
    assert forms(left) != forms(right)
    assert mismatches(sp.Matrix([[left, f(x)]]), sp.Matrix([[right, f(x)]])) == []
    assert mismatches(sp.Matrix([[left, f(x)]]), sp.Matrix([[right, f(y)]])) == [(0, 1)]


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_named_nodes_give_the_nested_expression_s_jacobian(depth: int) -> None:
    """The recurrence given as definitions (u_j, v_j in the symbols of step j - 1) differentiates like the nested tree."""
    names = [sp.symbols(f"u{j} v{j}") for j in range(depth + 1)]
    definitions: dict[sp.Basic, sp.Basic] = {}
    nested: list[sp.Basic] = list(names[0])
    for j in range(1, depth + 1):
        u, v = names[j - 1]
        definitions[names[j][0]], definitions[names[j][1]] = sp.tanh(x * u + v), f(u - y * v)
        nested = [sp.tanh(x * nested[0] + nested[1]), f(nested[0] - y * nested[1])]
    got = GraphJacobian(list(names[0]), definitions=definitions).jacobian(list(names[depth]))
    for _ in range(depth):  # the result is written in the named states: unfold them
        got = got.xreplace(definitions)
    assert mismatches(got, sp.Matrix(nested).jacobian(list(names[0]))) == []


def test_a_variable_cannot_also_be_defined() -> None:
    with pytest.raises(ValueError, match="cannot also be defined"):
        GraphJacobian([x], definitions={x: y**2})


def test_a_power_is_differentiated_in_its_exponent_too() -> None:
    """d(2^x)/dx = 2^x log 2 and d(x^x)/dx = x^x (log x + 1): the power rule is for the base only."""
    got = GraphJacobian([x]).jacobian([2**x, x**x, x ** sp.Rational(1, 2)])
    expected = sp.Matrix([2**x, x**x, x ** sp.Rational(1, 2)]).jacobian([x])
    assert all(sp.simplify(a - b) == 0 for a, b in zip(got, expected, strict=True))


def test_a_node_whose_arguments_all_fold_is_rebuilt_from_their_values() -> None:
    """With a fold that names whole nodes only (no substitution inside), tanh(x) tanh(y) is rebuilt as s t."""
    s, t = sp.symbols("s t")
    names = {sp.tanh(x): s, sp.tanh(y): t}
    graph = GraphJacobian([x, y], lambda e: names.get(e, e))
    assert graph.value(sp.tanh(x) * sp.tanh(y)) == s * t
    assert graph.value(sp.tanh(x) + y) == s + y


def test_canonical_forms_of_derivatives_substitutions_and_lambdas() -> None:
    """phi'(u) from Derivative or Subs; f_{,2} for a partial; a Derivative in two variables, or of a known function, left alone."""
    from derive.algebra import canonical, partial, prime

    u = sp.Symbol("u")
    assert canonical(sp.Derivative(f(x), x)) == prime(f)(x)
    assert canonical(sp.Subs(sp.Derivative(f(u), u), u, x + y)) == prime(f)(x + y)
    assert canonical(sp.Derivative(g(x, y), y)) == partial(g, 1)(x, y)
    two = sp.Derivative(g(x, y), x, y)
    assert canonical(two) == two
    other = sp.Derivative(f(x), y, evaluate=False)
    assert canonical(other) == other
    assert canonical(sp.Lambda(x, f(x))) == canonical(sp.Lambda(y, f(y))) != sp.Lambda(x, f(x))
    assert canonical(sp.Lambda((x, y), g(x, y))) == sp.Lambda((x, y), g(x, y))  # two variables: kept as written
    assert canonical(sp.Lambda(x, sp.Derivative(f(x), x))).expr == prime(f)(canonical(sp.Lambda(x, f(x))).variables[0])


def test_matrices_of_numbers_compare_without_indeterminates() -> None:
    assert mismatches(sp.Matrix([[1, sp.Rational(1, 2)]]), sp.Matrix([[1, sp.Rational(2, 4)]])) == []
    assert mismatches(sp.Matrix([[1, 2]]), sp.Matrix([[1, 3]])) == [(0, 1)]

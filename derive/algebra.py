"""Exact comparison of SymPy expressions built from undefined or concrete activations.

Two routes to the same derivative print differently (``Subs(Derivative(phi(u), u),
u, a)`` from the chain rule, ``phi'(a)`` in a claim), so both are brought to one
canonical form first. Equality is then decided exactly: every distinct function
application is replaced by an independent symbol and the difference is cancelled.
That is sound (equal as rational functions of independent symbols implies equal
for every choice of the functions) and it never calls ``simplify``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction

_BOUND = sp.Symbol("_u")


def prime(function: UndefinedFunction) -> UndefinedFunction:
    """The undefined function that stands for the derivative of a one-argument ``function``."""
    return sp.Function(f"{function.__name__}'")


def partial(function: UndefinedFunction, position: int) -> UndefinedFunction:
    """The undefined function standing for the partial derivative of ``function`` in its argument ``position``."""
    return sp.Function(f"{function.__name__}_{{,{position + 1}}}")


def _derivative_as_function(derivative: sp.Derivative) -> sp.Expr:
    applied = derivative.expr
    variables = derivative.variables
    if not isinstance(applied, AppliedUndef) or len(variables) != 1 or variables[0] not in applied.args:
        return derivative
    function = applied.func
    if len(applied.args) == 1:
        return prime(function)(*applied.args)
    return partial(function, applied.args.index(variables[0]))(*applied.args)


def _rename_bound(lam: sp.Lambda) -> sp.Lambda:
    (variable,) = lam.variables
    return sp.Lambda(_BOUND, lam.expr.xreplace({variable: _BOUND}))


def nodes_of_type(exprs: Iterable[sp.Basic], types: tuple[type, ...]) -> set[sp.Basic]:
    """The distinct sub-expressions of ``types`` in ``exprs``.

    Like ``Basic.atoms`` but visits each distinct sub-expression once: unrolled
    recurrences share their sub-trees, which ``atoms`` would walk again and again.
    """
    seen: set[sp.Basic] = set()
    found: set[sp.Basic] = set()
    stack = list(exprs)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, types):
            found.add(node)
        stack.extend(node.args)
    return found


def _canonical_one(node: sp.Basic) -> sp.Basic:
    if isinstance(node, sp.Subs):
        return canonical(node.expr).xreplace(dict(zip(node.variables, node.point, strict=True)))
    if isinstance(node, sp.Derivative):
        return _derivative_as_function(node)
    if isinstance(node, sp.Lambda) and len(node.variables) == 1:
        return _rename_bound(sp.Lambda(node.variables, canonical(node.expr)))
    return node


def canonical(expr: sp.Basic) -> sp.Basic:
    """First derivatives of undefined functions as named functions, Subs resolved, Lambdas alpha-renamed.

    One traversal finds the nodes to rewrite and one ``xreplace`` rewrites them (outermost first).
    """
    nodes = nodes_of_type([expr], (sp.Subs, sp.Derivative, sp.Lambda))
    if not nodes:
        return expr
    return expr.xreplace({node: _canonical_one(node) for node in nodes})


def _applications(exprs: Iterable[sp.Basic]) -> list[sp.Basic]:
    return sorted(nodes_of_type(exprs, (sp.Function,)), key=sp.default_sort_key)


def mismatches(lhs: sp.MatrixBase, rhs: sp.MatrixBase) -> list[tuple[int, int]]:
    """The (row, column) entries where two explicit matrices differ; empty when they are equal exactly."""
    if lhs.shape != rhs.shape:
        return [(-1, -1)]
    left, right = canonical(sp.ImmutableMatrix(lhs)), canonical(sp.ImmutableMatrix(rhs))
    apps = _applications([*left, *right])
    atoms = {app: sp.Symbol(f"_q{i}") for i, app in enumerate(apps)}
    difference = left.xreplace(atoms) - right.xreplace(atoms)
    rows, cols = difference.shape
    return [(i, j) for i in range(rows) for j in range(cols) if sp.expand(difference[i, j]) != 0]


def substitute_functions(expr: sp.Basic, table: dict[UndefinedFunction, Callable[..., sp.Expr]]) -> sp.Basic:
    """Replace each undefined function by a concrete one, e.g. phi by tanh and phi' by 1 - tanh^2."""
    for function, concrete in table.items():
        expr = expr.replace(function, concrete)
    return expr

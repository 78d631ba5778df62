"""Exact comparison of SymPy expressions built from undefined or concrete activations.

Two routes to the same derivative print differently (``Subs(Derivative(phi(u), u),
u, a)`` from the chain rule, ``phi'(a)`` in a claim), so both are brought to one
canonical form first. Equality is then decided exactly: every distinct function
application is replaced by an independent symbol and the difference is cancelled.
That is sound (equal as rational functions of independent symbols implies equal
for every choice of the functions) and it never calls ``simplify``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import sympy as sp
from sympy import QQ
from sympy.core.function import AppliedUndef, UndefinedFunction
from sympy.polys.rings import PolyElement, ring

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


def distinct_nodes(exprs: Iterable[sp.Basic], children: Callable[[sp.Basic], Iterable[sp.Basic]] = lambda node: node.args) -> Iterator[sp.Basic]:
    """Each distinct sub-expression of ``exprs`` once, descending through ``children`` (the arguments by default).

    Unrolled recurrences share their sub-trees, which ``Basic.atoms``, ``expand`` and ``xreplace`` walk again and again.
    """
    seen: set[sp.Basic] = set()
    stack = list(exprs)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        yield node
        stack.extend(children(node))


def nodes_of_type(exprs: Iterable[sp.Basic], types: tuple[type, ...]) -> set[sp.Basic]:
    """The distinct sub-expressions of ``types`` in ``exprs`` (like ``Basic.atoms``, each shared sub-tree visited once)."""
    return {node for node in distinct_nodes(exprs) if isinstance(node, types)}


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


def _atom_key(node: sp.Basic) -> sp.Basic:
    """The canonical form that names an indeterminate: a function application, a reciprocal, anything not polynomial."""
    return canonical(node)


class PolynomialForms:
    """Expressions as exact polynomials over QQ in independent indeterminates, each distinct sub-expression converted once.

    The indeterminates are the symbols, and every sub-expression that is not a polynomial operation (a function
    application, a reciprocal 1/u, a non-integer power, a number other than a rational) in its canonical form; u^-n
    is (1/u)^n. Treating them as independent is sound: a polynomial that is identically zero stays zero for any
    values of its indeterminates, so equal forms mean equal expressions. The converse can fail (1/u times u is not
    recognised as 1), so unequal forms are only a reason to look again. Unrolled recurrences share their sub-trees;
    this walks the graph, not the tree (``expand`` and ``xreplace`` walk the tree, d^(t-k) times over).
    """

    def __init__(self, exprs: Iterable[sp.Basic]) -> None:
        self._keys: dict[sp.Basic, sp.Basic] = {}
        leaves: dict[sp.Basic, None] = {}
        for node in distinct_nodes(exprs, lambda node: self._children(node) or ()):
            if self._children(node) is None:
                key = self._keys.setdefault(node, _atom_key(node) if not isinstance(node, sp.Symbol) else node)
                leaves.setdefault(key)
        names = sorted(leaves, key=sp.default_sort_key)
        self._ring, *gens = ring([f"x{i}" for i in range(len(names))] or ["x0"], QQ)
        self._gens = dict(zip(names, gens, strict=False))
        self._memo: dict[sp.Basic, PolyElement] = {}

    @staticmethod
    def _children(node: sp.Basic) -> tuple[sp.Basic, ...] | None:
        """The arguments to convert first for a polynomial operation (or () for a rational number); None for an indeterminate."""
        if isinstance(node, sp.Rational):
            return ()
        if isinstance(node, sp.Add | sp.Mul):
            return node.args
        if isinstance(node, sp.Pow) and isinstance(node.exp, sp.Integer):
            return (node.base,) if node.exp >= 0 else (sp.Pow(node.base, -1, evaluate=False),) if node.exp != -1 else None
        return None

    def __call__(self, expr: sp.Basic) -> PolyElement:
        """``expr`` as a polynomial in the indeterminates (every node converted once across calls)."""
        stack: list[tuple[sp.Basic, bool]] = [(sp.sympify(expr), False)]
        while stack:  # post-order without recursion: the graphs are deep
            node, ready = stack.pop()
            if node in self._memo:
                continue
            children = self._children(node)
            if ready or not children:
                self._memo[node] = self._convert(node, children)
                continue
            stack.append((node, True))
            stack.extend((child, False) for child in children if child not in self._memo)
        return self._memo[sp.sympify(expr)]

    def _convert(self, node: sp.Basic, children: tuple[sp.Basic, ...] | None) -> PolyElement:
        if children is None:
            return self._gens[self._keys[node]]  # every indeterminate was named when the forms were set up
        if isinstance(node, sp.Rational):
            return self._ring(QQ(int(node.p), int(node.q)))
        parts = [self._memo[child] for child in children]
        if isinstance(node, sp.Add):
            return self._ring.add(*parts)
        if isinstance(node, sp.Mul):
            result = parts[0]
            for part in parts[1:]:
                result = result * part
            return result
        return parts[0] ** abs(int(node.exp))


def mismatches(lhs: sp.MatrixBase, rhs: sp.MatrixBase) -> list[tuple[int, int]]:
    """The (row, column) entries where two explicit matrices differ; empty when they are equal exactly.

    Each entry is first compared as a polynomial in independent indeterminates (``PolynomialForms``: equal forms
    are equal expressions); an entry whose forms differ is decided by the slower route, every function application
    an independent symbol and the difference expanded.
    """
    if lhs.shape != rhs.shape:
        return [(-1, -1)]
    left, right = sp.ImmutableMatrix(lhs), sp.ImmutableMatrix(rhs)
    forms = PolynomialForms([*left, *right])
    rows, cols = left.shape
    unequal = [(i, j) for i in range(rows) for j in range(cols) if forms(left[i, j]) != forms(right[i, j])]
    return [entry for entry in unequal if not _equal_expanded(left[entry], right[entry])]


def _applications(exprs: Iterable[sp.Basic]) -> list[sp.Basic]:
    return sorted(nodes_of_type(exprs, (sp.Function,)), key=sp.default_sort_key)


def _equal_expanded(lhs: sp.Basic, rhs: sp.Basic) -> bool:
    """lhs = rhs decided by expansion, every function application (after ``canonical``) an independent symbol."""
    left, right = canonical(lhs), canonical(rhs)
    atoms = {app: sp.Symbol(f"_q{i}") for i, app in enumerate(_applications([left, right]))}
    return sp.expand(left.xreplace(atoms) - right.xreplace(atoms)) == 0


def substitute_functions(expr: sp.Basic, table: dict[UndefinedFunction, Callable[..., sp.Expr]]) -> sp.Basic:
    """Replace each undefined function by a concrete one, e.g. phi by tanh and phi' by 1 - tanh^2."""
    for function, concrete in table.items():
        expr = expr.replace(function, concrete)
    return expr

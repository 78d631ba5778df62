"""Jacobians of expressions that share sub-expressions, by the chain rule on the expression graph.

An unrolled recurrence s_t = phi(W s_{t-1} + ...) is a tree in which s_{t-1}'s formula
appears d times, s_{t-2}'s d^2 times, and so on; SymPy's ``diff`` walks the tree, so
differentiating ds_t/ds_k by it costs about d^(t-k). Here each distinct sub-expression
is visited once: its value is rebuilt from its arguments' values (and may then be
"folded", i.e. replaced by a symbol that stands for it), and its gradient is formed from
its arguments' gradients by the elementary rules (sum, product, power, and the
derivative ``fdiff`` of a function of one argument; any other node by the chain rule
through each argument). This is forward-mode differentiation of the expression, knowing
nothing of the recurrence: the steps, the matrices and their order play no part.

A graph may also name some of its nodes: ``definitions`` maps a symbol to the expression it
stands for, and the symbol is then a node whose one child is that expression (its value is
the symbol, its gradient the expression's). An unrolled recurrence given as s_j = its step
formula in the symbols of s_{j-1} is the same graph as the nested expression, without
building the nested tree (SymPy's own construction of which costs more than the derivative).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import sympy as sp

from .algebra import canonical

#: Maps a rebuilt node to the expression that replaces it (a symbol standing for it), or returns it unchanged.
Fold = Callable[[sp.Basic], sp.Basic]


def _unchanged(node: sp.Basic) -> sp.Basic:
    return node


class GraphJacobian:
    """Values and gradients (by ``variables``) of the nodes of an expression graph, each node computed once."""

    def __init__(self, variables: Sequence[sp.Symbol], fold: Fold = _unchanged, definitions: Mapping[sp.Symbol, sp.Basic] | None = None) -> None:
        self.variables = tuple(variables)
        self._index = {v: i for i, v in enumerate(self.variables)}
        self._fold = fold
        self._definitions = dict(definitions or {})
        if self._definitions.keys() & self._index.keys():
            raise ValueError("a variable of differentiation cannot also be defined by an expression")
        self._zero = (sp.S.Zero,) * len(self.variables)
        self._values: dict[sp.Basic, sp.Basic] = {}
        self._grads: dict[sp.Basic, tuple[sp.Basic, ...]] = {}

    def jacobian(self, outputs: Sequence[sp.Basic]) -> sp.ImmutableMatrix:
        """The matrix [d outputs_i / d variables_l], its entries folded."""
        for output in outputs:
            self._visit(output)
        return sp.ImmutableMatrix([list(self._grads[output]) for output in outputs])

    def value(self, node: sp.Basic) -> sp.Basic:
        """``node`` rebuilt from its arguments' values, folded."""
        self._visit(node)
        return self._values[node]

    def _visit(self, root: sp.Basic) -> None:
        stack: list[tuple[sp.Basic, bool]] = [(root, False)]
        while stack:  # post-order without recursion: the graphs are as deep as the lag
            node, ready = stack.pop()
            if node in self._grads:
                continue
            children = self._children(node)
            if ready or not children:
                self._compute(node)
                continue
            stack.append((node, True))
            stack.extend((arg, False) for arg in children if arg not in self._grads)

    def _children(self, node: sp.Basic) -> tuple[sp.Basic, ...]:
        """A defined symbol's one child is its definition; any other node's children are its arguments."""
        return (self._definitions[node],) if node in self._definitions else node.args

    def _compute(self, node: sp.Basic) -> None:
        if node in self._definitions:  # a named node: its value is its name, its gradient its definition's
            self._values[node] = node
            self._grads[node] = self._grads[self._definitions[node]]
            return
        if not node.args:
            self._values[node] = self._fold(node)
            grad = list(self._zero)
            if node in self._index:
                grad[self._index[node]] = sp.S.One
            self._grads[node] = tuple(grad)
            return
        values = [self._values[arg] for arg in node.args]
        unchanged = all(value is arg for value, arg in zip(values, node.args, strict=True))
        self._values[node] = self._fold(node if unchanged else node.func(*values))
        moving = [n for n, arg in enumerate(node.args) if any(g != 0 for g in self._grads[arg])]
        if not moving:
            self._grads[node] = self._zero
            return
        if isinstance(node, sp.Add):
            self._grads[node] = self._combine([(sp.S.One, node.args[n]) for n in moving])
        elif isinstance(node, sp.Mul):
            rest = [sp.Mul(*(v for m, v in enumerate(values) if m != n)) for n in moving]
            self._grads[node] = self._combine(list(zip(rest, (node.args[n] for n in moving), strict=True)))
        else:
            self._grads[node] = self._combine([(self._partial(node, values, n), node.args[n]) for n in moving])

    def _partial(self, node: sp.Basic, values: list[sp.Basic], n: int) -> sp.Basic:
        """The partial derivative of ``node`` in its argument ``n``, at the arguments' values, folded."""
        if isinstance(node, sp.Pow) and n == 0:
            base, exponent = values
            return self._fold(exponent * base ** (exponent - 1))
        if isinstance(node, sp.Function) and len(values) == 1:
            derivative = node.func(*values).fdiff(1)
        else:
            u = sp.Dummy("u")
            derivative = node.func(*values[:n], u, *values[n + 1 :]).diff(u).subs(u, values[n])
        return self._fold(canonical(derivative))

    def _combine(self, terms: list[tuple[sp.Basic, sp.Basic]]) -> tuple[sp.Basic, ...]:
        """sum over (coefficient, argument) of coefficient * gradient(argument), entry by entry."""
        out = []
        for i in range(len(self.variables)):
            parts = [c * self._grads[arg][i] for c, arg in terms if self._grads[arg][i] != 0]
            out.append(sp.Add(*parts) if parts else sp.S.Zero)
        return tuple(out)

"""The RNN s_j = phi(a_j), a_j = W s_{j-1} + U x_j + b as SymPy objects, named by the notation.

Two views of the same model: ``General`` in symbolic dimension d (MatrixSymbols,
for SymPy's matrix calculus and for the statements the report prints) and
``Instance``, explicit d x d matrices for ``Matrix.jacobian``. ``General.explicit``
instantiates a general statement so the two can be compared entry by entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import sympy as sp
from sympy.core.function import UndefinedFunction
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from .activations import derive_gamma
from .algebra import canonical, prime, substitute_functions
from .notation import Notation

Elementwise = Callable[[sp.Expr], sp.Expr]


def difference(a: sp.Symbol, b: sp.Symbol) -> sp.Expr:
    """``a - b`` kept in that order for printing (``t - k``)."""
    return sp.Add(a, sp.Mul(-1, b, evaluate=False), evaluate=False)


@dataclass(frozen=True)
class ActivationPair:
    """phi and phi' as entrywise maps: an undefined function, or a registered activation."""

    label: str
    phi: Elementwise
    phi_prime: Elementwise


def explicit_matrix(expr: sp.Basic, dims: dict[sp.Symbol, int]) -> sp.ImmutableMatrix:
    """A matrix expression in symbolic dimensions as an explicit matrix at ``dims``, built from its parts.

    Each matrix symbol becomes the matrix of its entries, and sums, products, transposes, diag(v) and entrywise
    functions are carried out on explicit matrices. SymPy's ``as_explicit`` reaches the same entries through
    an unevaluated Sum per entry of every product, which it then evaluates; any other kind of node goes that way.
    """
    if isinstance(expr, sp.MatrixSymbol):
        return sp.ImmutableMatrix(expr.subs(dims).as_explicit())
    if isinstance(expr, sp.MatAdd):
        parts = [explicit_matrix(arg, dims) for arg in expr.args]
        return sp.ImmutableMatrix(sum(parts[1:], parts[0]))
    if isinstance(expr, sp.MatMul):
        scalar = sp.Mul(*(sp.sympify(a).subs(dims) for a in expr.args if not getattr(a, "is_Matrix", False)))
        matrices = [explicit_matrix(a, dims) for a in expr.args if getattr(a, "is_Matrix", False)]
        product = matrices[0]
        for factor in matrices[1:]:
            product = product * factor
        return sp.ImmutableMatrix(scalar * product)
    if isinstance(expr, sp.Transpose):
        return sp.ImmutableMatrix(explicit_matrix(expr.arg, dims).T)
    if isinstance(expr, DiagMatrix):
        return sp.ImmutableMatrix(sp.diag(*explicit_matrix(expr.args[0], dims)))
    if isinstance(expr, ElementwiseApplyFunction):
        return sp.ImmutableMatrix(explicit_matrix(expr.expr, dims).applyfunc(expr.function))
    return sp.ImmutableMatrix(expr.subs(dims).as_explicit())


@dataclass(frozen=True)
class General:
    """The model in symbolic dimension: d hidden units, m inputs, an undefined activation."""

    notation: Notation

    @cached_property
    def d(self) -> sp.Symbol:
        return sp.Symbol(self.notation.dim, integer=True, positive=True)

    @cached_property
    def m(self) -> sp.Symbol:
        return sp.Symbol(self.notation.input_dim, integer=True, positive=True)

    @cached_property
    def phi(self) -> UndefinedFunction:
        return sp.Function(self.notation.activation)

    @cached_property
    def phi_prime(self) -> UndefinedFunction:
        return prime(self.phi)

    def vector(self, role: str, index: object, rows: sp.Expr | None = None) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(self.notation.indexed(role, index), self.d if rows is None else rows, 1)

    @cached_property
    def W(self) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(self.notation.recurrent_weight, self.d, self.d)

    @cached_property
    def U(self) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(self.notation.input_weight, self.d, self.m)

    @cached_property
    def b(self) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(self.notation.bias, self.d, 1)

    @cached_property
    def s_prev(self) -> sp.MatrixSymbol:
        return self.vector("state", "j-1")

    @cached_property
    def s_j(self) -> sp.MatrixSymbol:
        return self.vector("state", "j")

    @cached_property
    def x_j(self) -> sp.MatrixSymbol:
        return self.vector("input", "j", self.m)

    @cached_property
    def a_j(self) -> sp.MatrixSymbol:
        return self.vector("preactivation", "j")

    @cached_property
    def preactivation(self) -> sp.MatrixExpr:
        """a_j = W s_{j-1} + U x_j + b."""
        return self.W * self.s_prev + self.U * self.x_j + self.b

    @cached_property
    def preactivation_display(self) -> sp.MatrixExpr:
        """a_j's right-hand side in the order the sources write it, for display only."""
        return sp.MatAdd(self.W * self.s_prev, self.U * self.x_j, self.b, evaluate=False)

    def elementwise(self, function: UndefinedFunction, vector: sp.MatrixExpr) -> sp.MatrixExpr:
        """``function`` applied to every entry of ``vector``."""
        u = sp.Dummy("u")
        return vector.applyfunc(sp.Lambda(u, function(u)))

    @cached_property
    def generic(self) -> ActivationPair:
        return ActivationPair("general activation", self.phi, self.phi_prime)

    def concrete(self, name: str) -> ActivationPair:
        """phi and its DERIVED derivative for a registered activation, as entrywise maps."""
        derivation = derive_gamma(name, self.notation.variable)
        z = derivation.variable
        phi, first = sp.Lambda(z, derivation.phi), sp.Lambda(z, derivation.first)
        return ActivationPair(name, phi, first)

    def explicit(self, expr: sp.Basic, instance: Instance, pair: ActivationPair, spell: bool = True) -> sp.ImmutableMatrix:
        """A general statement at the explicit dimensions of ``instance``, its entries plain symbols (``Instance.plain``), phi made concrete.

        With ``spell``, a_j is replaced by W s_{j-1} + U x_j + b first (it is a function of s_{j-1} there).
        """
        dims = {self.d: instance.dim, self.m: instance.input_dim}
        expr = canonical(expr)
        spelled = expr.subs(self.a_j, self.preactivation) if spell else expr
        explicit = instance.plain(explicit_matrix(spelled, dims))  # plain symbols first: phi made concrete on them is fast
        return sp.ImmutableMatrix(substitute_functions(explicit, {self.phi: pair.phi, self.phi_prime: pair.phi_prime}))


@dataclass(frozen=True)
class Instance:
    """The model at explicit sizes: d x d matrix W whose entries are W[i, j], and so on."""

    model: General
    dim: int
    input_dim: int

    def _sized(self, matrix: sp.MatrixSymbol) -> sp.ImmutableMatrix:
        dims = {self.model.d: self.dim, self.model.m: self.input_dim}
        return sp.ImmutableMatrix(matrix.subs(dims).as_explicit())

    @cached_property
    def W(self) -> sp.ImmutableMatrix:
        return self._sized(self.model.W)

    @cached_property
    def U(self) -> sp.ImmutableMatrix:
        return self._sized(self.model.U)

    @cached_property
    def b(self) -> sp.ImmutableMatrix:
        return self._sized(self.model.b)

    def vector(self, role: str, index: object) -> sp.ImmutableMatrix:
        """The explicit vector of a role, e.g. ``vector("state", "j-1")`` has entries s_{j-1}[i, 0]."""
        rows = self.model.m if role == "input" else None
        return self._sized(self.model.vector(role, index, rows))

    def input(self, j: object) -> sp.ImmutableMatrix:
        return self.vector("input", j)

    def state(self, j: object) -> sp.ImmutableMatrix:
        """A free state vector s_j, for use as the variable of a Jacobian."""
        return self.vector("state", j)

    def preactivation(self, s_prev: sp.MatrixBase, j: object) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(self.W * s_prev + self.U * self.input(j) + self.b)

    def plain(self, matrix: sp.MatrixBase) -> sp.ImmutableMatrix:
        """``matrix`` with each entry of a matrix symbol (W[0, 1]) as a plain Symbol of the same printed name (W_{12}).

        The same entries, only faster for SymPy to differentiate and compare (plain symbols answer assumption queries at once).
        """
        from .printing import latex

        elements = {e: sp.Symbol(latex(e)) for e in sp.ImmutableMatrix(matrix).atoms(sp.matrices.expressions.matexpr.MatrixElement)}
        return sp.ImmutableMatrix(sp.ImmutableMatrix(matrix).xreplace(elements))

    def unroll(self, start: sp.MatrixBase, first: int, last: int, pair: ActivationPair) -> list[sp.ImmutableMatrix]:
        """The states s_first .. s_last reached from ``start`` = s_{first-1}; entry 0 is ``start``."""
        states = [sp.ImmutableMatrix(start)]
        for j in range(first, last + 1):
            states.append(self.preactivation(states[-1], j).applyfunc(pair.phi))
        return states

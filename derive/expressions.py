"""The few expression classes the statements need and SymPy lacks, printed by ``printing``.

They are inert: they only carry what a statement says (which derivative, which
norm) so that the report is printed by SymPy's printer rather than by hand.
"""

from __future__ import annotations

from typing import Any

import sympy as sp


class Jacobian(sp.Expr):
    """The derivative d numerator / d denominator in numerator layout.

    ``kind`` is ``"partial"`` for a partial derivative, ``"total"`` for a total
    one, and ``"immediate"`` for the immediate partial d+ (earlier states held fixed).
    Non-commutative, so a product keeps its written order.
    """

    is_commutative = False
    KINDS = ("partial", "total", "immediate")

    def __new__(cls, numerator: sp.Basic, denominator: sp.Basic, kind: str | sp.Symbol = "partial") -> Jacobian:
        kind = str(kind)  # a Symbol when SymPy rebuilds the object (subs, xreplace)
        if kind not in cls.KINDS:
            raise ValueError(f"Jacobian kind {kind!r} is not one of {cls.KINDS}")
        return super().__new__(cls, numerator, denominator, sp.Symbol(kind))

    @property
    def numerator(self) -> sp.Basic:
        return self.args[0]

    @property
    def denominator(self) -> sp.Basic:
        return self.args[1]

    @property
    def kind(self) -> str:
        return str(self.args[2])


class Layer(sp.Expr):
    """A layer's quantity base^{(index)} in a deep feed-forward network: the state s^{(j)}, the weight W^{(j)}, the
    pre-activation a^{(j)}. The index is an argument, so substituting j = 3 gives layer 3's. Non-commutative: a product
    of them keeps its written order."""

    is_commutative = False

    def __new__(cls, base: str | sp.Symbol, index: object) -> Layer:
        return super().__new__(cls, sp.Symbol(str(base)), sp.sympify(index))

    @property
    def base(self) -> sp.Symbol:
        return self.args[0]

    @property
    def index(self) -> sp.Expr:
        return self.args[1]


class Norm(sp.Expr):
    """The induced (operator) norm ||X||_p of a matrix; p = 2 unless told. A number: it commutes (c / ||g||_2 may scale
    a matrix)."""

    is_commutative = True

    def __new__(cls, arg: sp.Basic, p: int | str = 2) -> Norm:
        return super().__new__(cls, arg, sp.sympify(p))


class Extremum(sp.Expr):
    """sup or max of an expression over a variable, left unevaluated for display."""

    KINDS = ("sup", "max")
    is_commutative = True  # a number: it may stand in a product

    def __new__(cls, expr: sp.Expr, variable: sp.Symbol, kind: str | sp.Symbol = "sup") -> Extremum:
        kind = str(kind)
        if kind not in cls.KINDS:
            raise ValueError(f"Extremum kind {kind!r} is not one of {cls.KINDS}")
        return super().__new__(cls, expr, variable, sp.Symbol(kind))


class Chain(sp.Basic):
    """A chain of relations a = b <= c, for display: expressions alternate with relation names."""

    RELATIONS = {"=": "=", "<=": r"\le", "<": "<", "->": r"\to", "=>": r"\implies"}

    def __new__(cls, *items: sp.Basic | str) -> Chain:
        items = tuple(str(x) if n % 2 and isinstance(x, sp.Symbol) else x for n, x in enumerate(items))  # SymPy rebuilds with Symbols
        if len(items) % 2 == 0 or any(items[i] not in cls.RELATIONS for i in range(1, len(items), 2)):
            raise ValueError(f"a chain alternates expressions and relations {sorted(cls.RELATIONS)}")
        return super().__new__(cls, *(sp.Symbol(x) if isinstance(x, str) else x for x in items))


class Conjunction(sp.Basic):
    """Several statements shown side by side in one equation (e.g. one gamma per activation)."""

    def __new__(cls, *items: sp.Basic) -> Conjunction:
        if not items:
            raise ValueError("a conjunction needs at least one statement")
        return super().__new__(cls, *items)


class Ordered(sp.Expr):
    """An ordered product of non-commuting factors F(j), j = lower .. upper, in the order it states.

    ``order`` is ``"later-left"`` for F(upper) F(upper-1) ... F(lower) (the chain rule's order,
    later steps on the left) or ``"earlier-left"`` for F(lower) ... F(upper). The order is part of
    the object, so the printer shows it and a check multiplies the factors as written.
    """

    is_commutative = False
    ORDERS = ("later-left", "earlier-left")

    def __new__(cls, factor: sp.Expr, *rest: Any, order: str | None = None) -> Ordered:
        """Ordered(factor, index, lower, upper, order), or SymPy's rebuild from its own args: (factor, (index, lower, upper), order).

        The second form keeps SymPy's invariant expr.func(*expr.args) == expr, on which subs, xreplace and pickling rely.
        """
        if order is not None:
            rest = (*rest, order)
        if len(rest) == 2 and isinstance(rest[0], sp.Tuple) and len(rest[0]) == 3 and isinstance(rest[1], sp.Symbol):
            (index, lower, upper), order = rest[0], rest[1].name
        elif len(rest) == 4:
            index, lower, upper, order = rest
        else:
            raise TypeError("Ordered takes (factor, index, lower, upper, order)")
        if order not in cls.ORDERS:
            raise ValueError(f"Ordered order {order!r} is not one of {cls.ORDERS}")
        return super().__new__(cls, factor, sp.Tuple(index, lower, upper), sp.Symbol(order))

    @property
    def factor(self) -> sp.Expr:
        return self.args[0]

    @property
    def limits(self) -> tuple[sp.Symbol, sp.Expr, sp.Expr]:
        index, lower, upper = self.args[1]
        return index, lower, upper

    @property
    def order(self) -> str:
        return str(self.args[2])

    def written(self, first: sp.Expr, last: sp.Expr) -> tuple[sp.Expr, sp.Expr, int]:
        """(the index of the leftmost factor, of the rightmost, the step from one factor to the next) for limits ``first``..``last``."""
        if self.order == "later-left":
            return last, first, -1
        return first, last, 1

    def indices(self, values: dict[sp.Symbol, int]) -> list[int]:
        """The values of the index at explicit limits, in written order (leftmost factor first)."""
        _, lower, upper = self.limits
        left, right, step = self.written(int(sp.sympify(lower).subs(values)), int(sp.sympify(upper).subs(values)))
        return list(range(int(left), int(right) + step, step)) if (right - left) * step >= 0 else []

    def factors(self, values: dict[sp.Symbol, int]) -> list[sp.Expr]:
        """The factors at explicit limits, in written order."""
        index = self.limits[0]
        return [self.factor.xreplace({index: sp.Integer(j)}) for j in self.indices(values)]

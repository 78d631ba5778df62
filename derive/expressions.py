"""The few expression classes the statements need and SymPy lacks, printed by ``printing``.

They are inert: they only carry what a statement says (which derivative, which
norm) so that the report is printed by SymPy's printer rather than by hand.
"""

from __future__ import annotations

import sympy as sp


class Jacobian(sp.Expr):
    """The derivative d numerator / d denominator in numerator layout.

    ``kind`` is ``"partial"`` for a partial derivative, ``"total"`` for a total
    one, and ``"immediate"`` for the immediate partial d+ (earlier states held fixed).
    Non-commutative, so a product keeps its written order.
    """

    is_commutative = False
    KINDS = ("partial", "total", "immediate")

    def __new__(cls, numerator: sp.Basic, denominator: sp.Basic, kind: str = "partial") -> Jacobian:
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


class Norm(sp.Expr):
    """The induced (operator) norm ||X||_p of a matrix; p = 2 unless told."""

    def __new__(cls, arg: sp.Basic, p: int | str = 2) -> Norm:
        return super().__new__(cls, arg, sp.sympify(p))


class Extremum(sp.Expr):
    """sup or max of an expression over a variable, left unevaluated for display."""

    KINDS = ("sup", "max")

    def __new__(cls, expr: sp.Expr, variable: sp.Symbol, kind: str = "sup") -> Extremum:
        if kind not in cls.KINDS:
            raise ValueError(f"Extremum kind {kind!r} is not one of {cls.KINDS}")
        return super().__new__(cls, expr, variable, sp.Symbol(kind))


class Chain(sp.Basic):
    """A chain of relations a = b <= c, for display: expressions alternate with relation names."""

    RELATIONS = {"=": "=", "<=": r"\le", "<": "<", "->": r"\to", "=>": r"\implies"}

    def __new__(cls, *items: sp.Basic | str) -> Chain:
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
    """An ordered product of non-commuting factors, later index on the left:
    prod_{j=lower}^{upper} F(j) = F(upper) ... F(lower)."""

    is_commutative = False

    def __new__(cls, factor: sp.Expr, index: sp.Symbol, lower: sp.Expr, upper: sp.Expr) -> Ordered:
        return super().__new__(cls, factor, sp.Tuple(index, lower, upper))

    @property
    def factor(self) -> sp.Expr:
        return self.args[0]

    @property
    def limits(self) -> tuple[sp.Symbol, sp.Expr, sp.Expr]:
        index, lower, upper = self.args[1]
        return index, lower, upper

    def factors(self, values: dict[sp.Symbol, int]) -> list[sp.Expr]:
        """The factors at explicit limits, in written order (later index first)."""
        index, lower, upper = self.limits
        first, last = int(lower.subs(values)), int(upper.subs(values))
        return [self.factor.subs(index, j) for j in range(last, first - 1, -1)]

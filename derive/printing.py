"""SymPy's LaTeX printer, extended where its own output is poor for this report.

Names of symbols, matrix symbols and undefined functions come from the notation
table and are LaTeX already, so they are printed verbatim; DiagMatrix,
elementwise application, entries of vectors, Jacobians, norms and relation
chains get forms a reader of course notes expects.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.printing.latex import LatexPrinter

from .expressions import Chain, Conjunction, Extremum, Jacobian, Norm, Ordered

_SUBSCRIPTED = re.compile(r"^(?P<base>.*)_\{(?P<sub>[^{}]*)\}$")


class ReportPrinter(LatexPrinter):
    """LaTeX for the report: verbatim notation names, diag(.), elementwise phi(v), 1-based entries."""

    printmethod = "_gradproof_latex"

    def __init__(self, settings: dict[str, object] | None = None) -> None:
        super().__init__({"order": "none", **(settings or {})})

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        return expr.name

    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:
        return str(expr.name)

    def _print_MatrixElement(self, expr: sp.matrices.expressions.matexpr.MatrixElement) -> str:
        parent, i, j = expr.args
        name = self._print(parent)
        index = f"{i + 1}" if parent.shape[1] == 1 else f"{i + 1}{j + 1}" if max(parent.shape) < 10 else f"{i + 1},{j + 1}"
        match = _SUBSCRIPTED.match(name)
        if match:
            return f"{match['base']}_{{{match['sub']},{index}}}"
        return f"{name}_{{{index}}}"

    def _print_AppliedUndef(self, expr: AppliedUndef) -> str:
        args = ", ".join(self._print(a) for a in expr.args)
        return rf"{expr.func.__name__}({args})"

    def _print_Infinity(self, expr: sp.Basic) -> str:
        return r"\infty"

    def _print_DiagMatrix(self, expr: sp.DiagMatrix) -> str:
        return rf"\operatorname{{diag}}\left({self._print(expr.args[0])}\right)"

    def _print_ElementwiseApplyFunction(self, expr: ElementwiseApplyFunction) -> str:
        function, argument = expr.function, expr.expr
        body = function.expr if isinstance(function, sp.Lambda) else None
        if isinstance(body, AppliedUndef) and body.args == function.variables:
            return rf"{body.func.__name__}({self._print(argument)})"
        return str(super()._print_ElementwiseApplyFunction(expr))

    def _print_Jacobian(self, expr: Jacobian) -> str:
        mark = r"\partial^{+}" if expr.kind == "immediate" else r"\partial"
        return rf"\frac{{{mark} {self._print(expr.numerator)}}}{{\partial {self._print(expr.denominator)}}}"

    def _print_Norm(self, expr: Norm) -> str:
        arg, p = expr.args
        return rf"\left\lVert {self._print(arg)} \right\rVert_{{{self._print(p)}}}"

    def _print_Extremum(self, expr: Extremum) -> str:
        body, variable, kind = expr.args
        over = rf"{self._print(variable)} \in \mathbb{{R}}" if str(kind) == "sup" else self._print(variable)
        return rf"\{kind}_{{{over}}} {self._print(body)}"

    def _print_Ordered(self, expr: Ordered) -> str:
        index, lower, upper = expr.limits
        return rf"\prod_{{{self._print(index)}={self._print(lower)}}}^{{{self._print(upper)}}} {self._print(expr.factor)}"

    def _print_Conjunction(self, expr: Conjunction) -> str:
        return r",\qquad ".join(self._print(a) for a in expr.args)

    def _print_Chain(self, expr: Chain) -> str:
        parts = [self._print(a) if n % 2 == 0 else Chain.RELATIONS[str(a)] for n, a in enumerate(expr.args)]
        return " ".join(parts)


def latex(expr: sp.Basic) -> str:
    """The report's LaTeX for a SymPy object."""
    return ReportPrinter().doprint(expr)

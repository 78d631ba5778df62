"""SymPy's LaTeX printer, extended where its own output is poor for this report.

Names of symbols, matrix symbols and undefined functions come from the notation
table and are LaTeX already, so they are printed verbatim; DiagMatrix,
elementwise application, entries of vectors, Jacobians, norms and relation
chains get forms a reader of course notes expects.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from .expressions import Chain, Conjunction, Extremum, Jacobian, Layer, Norm, Ordered
from .notation import subscripted

_SUBSCRIPTED = re.compile(r"^(?P<base>.*)_\{(?P<sub>[^{}]*)\}$")


class ReportPrinter(LatexPrinter):
    """LaTeX for the report: verbatim notation names, diag(.), elementwise phi(v), 1-based entries."""

    printmethod = "_gradproof_latex"
    _default_settings = {**LatexPrinter._default_settings, "inline": False}  # inline: within a sentence (Jacobians slashed)

    def __init__(self, settings: dict[str, object] | None = None) -> None:
        super().__init__({"order": "none", **(settings or {})})

    def _as_ordered_terms(self, expr: sp.Basic, order: str | None = None) -> list[sp.Basic]:
        """The terms as stored (order "none": a statement's sum reads as it was written), with one reader's rule: a
        negative constant goes last (tanh z - 1, not -1 + tanh z), and so does a positive one added to symbols only
        (k + 1, not 1 + k); 1 + e^{-z} keeps its textbook order."""
        terms = list(super()._as_ordered_terms(expr, order=order))
        if isinstance(expr, sp.Add):
            numbers = [t for t in terms if t.is_Number]
            others = [t for t in terms if not t.is_Number]
            if len(numbers) == 1 and others and (numbers[0].is_negative or all(t.is_Symbol for t in others)):
                return [*others, *numbers]
        return terms

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

    def _print_IndexedBase(self, expr: sp.IndexedBase) -> str:
        return str(expr.label)

    def _print_AppliedUndef(self, expr: AppliedUndef) -> str:
        args = ", ".join(self._print(a) for a in expr.args)
        return rf"{expr.func.__name__}({args})"

    def _print_Infinity(self, expr: sp.Basic) -> str:
        return r"\infty"

    def _print_Pi(self, expr: sp.Basic) -> str:
        return r"\pi"

    def _print_DiagMatrix(self, expr: sp.DiagMatrix) -> str:
        return rf"\operatorname{{diag}}\left({self._print(expr.args[0])}\right)"

    def _print_ElementwiseApplyFunction(self, expr: ElementwiseApplyFunction) -> str:
        function, argument = expr.function, expr.expr
        body = function.expr if isinstance(function, sp.Lambda) else None
        if isinstance(body, AppliedUndef) and body.args == function.variables:
            return rf"{body.func.__name__}({self._print(argument)})"
        return str(super()._print_ElementwiseApplyFunction(expr))

    def _print_Jacobian(self, expr: Jacobian) -> str:
        top, bottom = {"partial": (r"\partial", r"\partial"), "immediate": (r"\partial^{+}", r"\partial"), "total": (r"\mathrm{d}", r"\mathrm{d}")}[expr.kind]
        if self._settings["inline"]:  # within a line of text: the slashed form keeps the line's height and lets it break
            return rf"{top} {self._print(expr.numerator)} / {bottom} {self._print(expr.denominator)}"
        return rf"\frac{{{top} {self._print(expr.numerator)}}}{{{bottom} {self._print(expr.denominator)}}}"

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        """s_{t}, s_{j-1}, W_{pq}: the base's notation name with the indices as a subscript (comma-separated when one is longer than a letter)."""
        indices = [_index(i) for i in expr.indices]
        joined = "".join(indices) if len(indices) > 1 and all(len(i) == 1 for i in indices) else ",".join(indices)
        return subscripted(self._print(expr.base.label), joined)

    def _print_Layer(self, expr: Layer) -> str:
        """s^{(j)}, W^{(j-1)}: the base with the layer index in parentheses as a superscript."""
        return rf"{self._print(expr.base)}^{{({_index(expr.index)})}}"

    def _print_Norm(self, expr: Norm) -> str:
        arg, p = expr.args
        return rf"\left\lVert {self._print(arg)} \right\rVert_{{{self._print(p)}}}"

    def _print_Extremum(self, expr: Extremum) -> str:
        body, variable, kind = expr.args
        over = rf"{self._print(variable)} \in \mathbb{{R}}" if str(kind) == "sup" else self._print(variable)
        return rf"\{kind}_{{{over}}} {self._print(body)}"

    def _print_Ordered(self, expr: Ordered) -> str:
        """The product spelled out in its stated order: F(t) F(t-1) \\cdots F(k+1) when later steps are on the left."""
        index, lower, upper = expr.limits
        left, right, step = expr.written(lower, upper)
        count = sp.sympify(upper) - sp.sympify(lower) + 1
        if count.is_Integer and int(count) <= 3:
            shown = [expr.factor.xreplace({index: left + n * step}) for n in range(max(int(count), 0))]
            return " ".join(self._print(f) for f in shown) if shown else r"I"
        first, second, last = (expr.factor.xreplace({index: j}) for j in (left, left + step, right))
        return rf"{self._print(first)} {self._print(second)} \cdots {self._print(last)}"

    def _print_MatAdd(self, expr: sp.MatAdd) -> str:
        """1 - x for the all-ones vector minus x (a reader's order), not -x + 1."""
        ones = [a for a in expr.args if isinstance(a, sp.OneMatrix)]
        if len(ones) == 1 and len(expr.args) == 2:
            other = next(a for a in expr.args if not isinstance(a, sp.OneMatrix))
            if other.could_extract_minus_sign():
                return f"1 - {self.parenthesize(-other, PRECEDENCE['Add'])}"
        return str(super()._print_Add(expr))

    def _print_Mul(self, expr: sp.Mul) -> str:
        """A product of norms and a fraction keeps the norms outside it: ||a|| max ||b|| (r^t / (1 - r)), not one fraction
        with the norms stacked over the denominator (in a display their Jacobians are fractions themselves)."""
        factors = list(expr.args)
        heavy = [f for f in factors if f.has(Norm, Extremum)]
        light = [f for f in factors if not f.has(Norm, Extremum)]
        if heavy and any(isinstance(f, sp.Pow) and f.exp.is_negative for f in light):
            numerator = [f for f in light if not (isinstance(f, sp.Pow) and f.exp.is_negative)]
            denominator = [f.base ** (-f.exp) for f in light if isinstance(f, sp.Pow) and f.exp.is_negative]
            top = self._print(sp.Mul(*numerator, evaluate=False)) if numerator else "1"
            bottom = self._print(sp.Mul(*denominator, evaluate=False))
            return " ".join(self.parenthesize(f, PRECEDENCE["Mul"]) for f in heavy) + rf" \frac{{{top}}}{{{bottom}}}"
        return str(super()._print_Mul(expr))

    def _print_MatMul(self, expr: sp.MatMul) -> str:
        """A vector divided by a number as a fraction, g / ||g||_2, not (1 / ||g||_2) g."""
        scalars = [a for a in expr.args if not isinstance(a, sp.MatrixExpr)]
        if len(scalars) == 1 and isinstance(scalars[0], sp.Pow) and scalars[0].exp == -1:
            rest = sp.MatMul(*(a for a in expr.args if isinstance(a, sp.MatrixExpr)))
            return rf"\frac{{{self._print(rest)}}}{{{self._print(scalars[0].base)}}}"
        return str(super()._print_MatMul(expr))

    def _print_Conjunction(self, expr: Conjunction) -> str:
        """Side by side within a sentence; one statement a line in a display (each fits a page, a slide or a phone)."""
        if self._settings["inline"]:
            return r",\qquad ".join(self._print(a) for a in expr.args)
        if len(expr.args) == 1 and not (isinstance(expr.args[0], sp.Eq) and isinstance(expr.args[0].rhs, sp.MatAdd)):
            return str(self._print(expr.args[0]))
        return r"\begin{gathered} " + r", \\ ".join(self._display_part(a) for a in expr.args) + r" \end{gathered}"

    def _display_part(self, part: sp.Basic) -> str:
        """One line of a displayed conjunction; a matrix equation whose right side is a sum of matrices puts each further
        term on a line of its own (the LSTM's blocks would not fit a page or a slide on one)."""
        if isinstance(part, sp.Eq) and isinstance(part.rhs, sp.MatAdd) and len(part.rhs.args) > 1:
            first, *rest = (self._print(term) for term in part.rhs.args)
            return rf"{self._print(part.lhs)} = {first} \\ " + r" \\ ".join(rf"\quad + {term}" for term in rest)
        return str(self._print(part))

    def _print_Chain(self, expr: Chain) -> str:
        parts = [self._print(a) if n % 2 == 0 else Chain.RELATIONS[str(a)] for n, a in enumerate(expr.args)]
        return " ".join(parts)


def _index(index: sp.Basic) -> str:
    """An index as a subscript writes it: the symbols first, then the offset, no spaces (t-1, k+1)."""
    if isinstance(index, sp.Add):
        symbolic = [a for a in index.args if not a.is_Number]
        offset = sum((a for a in index.args if a.is_Number), sp.Integer(0))
        text = "".join(_index(a) if n == 0 else f"+{_index(a)}" for n, a in enumerate(symbolic)).replace("+-", "-")
        return text + (f"+{offset}" if offset > 0 else f"{offset}" if offset < 0 else "")
    if isinstance(index, sp.Mul) and index.args[0] == -1:
        return "-" + _index(sp.Mul(*index.args[1:]))
    return ReportPrinter().doprint(index).replace(" ", "")


def latex(expr: sp.Basic, inline: bool = False) -> str:
    """The report's LaTeX for a SymPy object; ``inline`` for math within a sentence: Jacobians slashed, and plain
    parentheses, not \\left( \\right), so that TeX may break a long formula inside them as it would in the text.

    Every format prints the same statements, so the text of an (immutable) SymPy object is kept: printing it again
    would give the same string."""
    if isinstance(expr, sp.Basic):
        return _latex_kept(expr, inline)
    return _latex(expr, inline)


@lru_cache(maxsize=8192)
def _latex_kept(expr: sp.Basic, inline: bool) -> str:
    return _latex(expr, inline)


def _latex(expr: sp.Basic, inline: bool) -> str:
    text = _SIMPLE_ARGUMENT.sub(r"(\1)", ReportPrinter({"inline": inline}).doprint(expr))
    return _plain_parentheses(text) if inline else text


#: SymPy's \tanh{\left(z \right)}, whose braces and \left give tanh^2 (z) a gap: a one-symbol argument takes plain
#: parentheses, \tanh^{2}(z), as a reader writes it.
_SIMPLE_ARGUMENT = re.compile(r"\{\\left\(([A-Za-z](?:_\{[A-Za-z0-9]+\})?) \\right\)\}")


_DELIMITER = re.compile(r"\\(left|right)(\\[A-Za-z]+|\\\{|\\\}|\\\||.)")


def _plain_parentheses(text: str) -> str:
    """Each \\left( ... \\right) pair as plain ( ... ), and norms and absolute values as \\lVert ... \\rVert and
    \\lvert ... \\rvert: TeX may then break the formula inside them. Other pairs (an interval's \\left[0, 1\\right))
    stay as they are; pairs are matched by nesting."""
    pairs: list[tuple[int, int]] = []
    stack: list[tuple[int, str]] = []
    matches = list(_DELIMITER.finditer(text))
    for number, match in enumerate(matches):
        if match[1] == "left":
            stack.append((number, match[2]))
        elif stack:
            opened, delimiter = stack.pop()
            if (delimiter, match[2]) in _PLAIN:
                pairs.append((opened, number))
    plain = {n: _PLAIN[(matches[a][2], matches[b][2])][n == b] for a, b in pairs for n in (a, b)}
    pieces, last = [], 0
    for number, match in enumerate(matches):
        if number in plain:
            pieces += [text[last : match.start()], plain[number]]
            last = match.end()
    return "".join([*pieces, text[last:]])


#: The sized pairs written plain within a line: (opening, closing) as printed after \left, \right -> plain forms.
_PLAIN = {("(", ")"): ("(", ")"), ("\\lVert", "\\rVert"): ("\\lVert ", "\\rVert"), ("|", "|"): ("\\lvert ", "\\rvert")}

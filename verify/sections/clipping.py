"""Gradient clipping: the usual cure for exploding gradients, what it does (its statement), and why it cannot cure vanishing."""

from __future__ import annotations

import sympy as sp

from derive.document import Citation, Paragraph, Section, Statement
from derive.expressions import Norm
from derive.sections import BuildContext

KEY = "clipping"
PASCANU_CLIPPING = Citation("R. Pascanu, T. Mikolov and Y. Bengio", "On the difficulty of training recurrent neural networks", "ICML 2013, Sec. 3.2")


def build(context: BuildContext) -> Section:
    math, result = context.establish("clipping")
    definition = math.args[0]
    clipped, rule = definition.lhs, definition.rhs
    g = next(m for m in rule.atoms(sp.MatrixSymbol) if m != clipped)
    c = next(s for s in rule.free_symbols if isinstance(s, sp.Symbol) and s != context.model.d)
    factor = next(a for a in sp.Mul.make_args(rule.args[0] if isinstance(rule, sp.MatMul) else rule) if isinstance(a, sp.Min))
    intro = Paragraph(
        (
            "Clipping is the usual remedy for exploding gradients: before each update, a gradient ",
            sp.Ne(g, sp.ZeroMatrix(*g.shape), evaluate=False),
            " longer than a threshold ",
            sp.Gt(c, 0, evaluate=False),
            " is scaled back to length ",
            c,
            ".",
        )
    )
    why = (
        "Where ",
        sp.Le(Norm(g), c),
        " the factor ",
        factor,
        " is ",
        sp.Integer(1),
        "; elsewhere it is ",
        sp.Gt(c / Norm(g), 0),
        ", which scales the length to ",
        c,
        " and keeps the direction.",
    )
    statement = Statement("clipping", "Clipping caps the norm and keeps the direction", math, why, (result, PASCANU_CLIPPING))
    after = Paragraph(
        (
            "Clipping cannot cure vanishing. It multiplies the whole gradient by a factor of at most ",
            sp.Integer(1),
            " (and a gradient below ",
            c,
            " passes unchanged, by the last part of ",
            context.ref("clipping"),
            "), so no term of ",
            context.ref("bptt-sum"),
            " grows: the terms with ",
            context.statements.idx.k,
            " far below ",
            context.statements.idx.t,
            ", small by ",
            context.ref("bound"),
            " or ",
            context.ref("sharper"),
            ", stay small, whatever the size of the whole gradient. Clipping bounds the step; it restores no lost signal.",
        ),
        "Vanishing",
    )
    return Section(KEY, "Gradient clipping", (intro, statement, after))

"""Statements 1 to 5: the BPTT sum, the ordered product, the diagonal Jacobian, W, and the one-step Jacobian."""

from __future__ import annotations

import sympy as sp

from ..algebra import canonical
from ..document import Display, Paragraph, Ref, Section, Statement
from ..model import difference
from . import BuildContext

KEY = "chain"


def build(context: BuildContext) -> Section:
    m, st = context.model, context.statements
    t, k = st.idx.t, st.idx.k
    s_t, s_k = st.state(t), st.state(k)
    blocks = (
        Paragraph(("Backpropagation through time unrolls the recurrence and applies the chain rule along every path from the loss back to ", m.W, ".")),
        _statement(
            context,
            "bptt-sum",
            "Backpropagation through time",
            (
                "The weights ",
                m.W,
                " are shared by every step, so the total derivative of ",
                st.name("loss", t),
                " by ",
                st.weight_entry,
                " collects one path per step ",
                k,
                ": from the loss to ",
                s_t,
                ", back through the states to ",
                s_k,
                ", and into ",
                st.weight_entry,
                " where step ",
                k,
                " uses it directly (the immediate partial).",
            ),
        ),
        _statement(
            context,
            "product",
            "The temporal Jacobian is a product",
            ("The chain rule along ", s_k, " to ", s_t, ": one factor per step, later steps on the left, ", difference(t, k), " factors in all."),
        ),
        _statement(
            context,
            "diagonal",
            "An elementwise activation has a diagonal Jacobian",
            ("Each entry of ", m.s_j, " depends on the same entry of ", m.a_j, " only, so every off-diagonal partial derivative is zero."),
        ),
        _explicit_diagonal(context),
        _statement(
            context,
            "weight",
            "The pre-activation's Jacobian is the recurrent weight matrix",
            ("The input term ", m.U * m.x_j, " and the bias ", m.b, " do not depend on ", m.s_prev, "."),
        ),
        _statement(context, "per-step", "One step of the chain", ("The chain rule through ", m.a_j, ", from ", Ref("diagonal"), " and ", Ref("weight"), ".")),
    )
    return Section(KEY, "The chain of Jacobians", blocks)


def _statement(context: BuildContext, label: str, title: str, why: tuple[object, ...]) -> Statement:
    math, result = context.establish(label)
    return Statement(label, title, math, why, (result,))


def _explicit_diagonal(context: BuildContext) -> Display:
    """The diagonal Jacobian at the instance's d, computed from the map itself (an illustration of statement 3)."""
    m, instance = context.model, context.checks.instance
    a = instance.vector("preactivation", "j")
    jacobian = a.applyfunc(m.phi).jacobian(a)
    d = sp.Eq(m.d, instance.dim, evaluate=False)
    return Display(sp.Eq(context.statements.diagonal.lhs, canonical(jacobian), evaluate=False), ("For ", d, " the Jacobian of the map is"))

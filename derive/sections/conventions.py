"""The conventions, stated once: model, loss, layout, entrywise derivatives by W, norms, gamma."""

from __future__ import annotations

import sympy as sp

from ..document import Emph, Items, Paragraph, Section
from . import BuildContext

KEY = "conventions"


def build(context: BuildContext) -> Section:
    m, st = context.model, context.statements
    n = m.notation
    t, d = st.idx.t, m.d
    y, v = sp.Symbol("y"), sp.Symbol("v")  # not u: Pascanu et al. call the input u
    s_t, s_prev = st.state(t), st.state(st.idx.k - 1)
    loss, ell = st.name("loss", t), sp.Function(r"\ell")
    w = st.weight_entry
    lam, gamma, z = st.lam, st.gamma, sp.Symbol(n.variable)
    items = (
        (
            "The recurrent network is ",
            sp.Eq(m.s_j, m.elementwise(m.phi, m.a_j), evaluate=False),
            " with ",
            sp.Eq(m.a_j, m.preactivation_display, evaluate=False),
            ", where the activation ",
            m.phi,
            " acts on each entry and the state ",
            m.s_j,
            " has ",
            d,
            " entries. ",
            m.phi,
            " stands for any elementwise activation; ",
            sp.Symbol(r"\sigma"),
            " is only ever the logistic sigmoid.",
        ),
        ("The loss at step ", t, " depends on ", m.W, " only through the state: ", sp.Eq(loss, ell(s_t), evaluate=False), "."),
        (
            "Numerator layout: for vectors ",
            y,
            " and ",
            v,
            ", ",
            sp.Symbol(r"\partial y / \partial v"),
            " is the matrix whose entry in row ",
            sp.Symbol("i"),
            " and column ",
            sp.Symbol("j"),
            " is ",
            sp.Symbol(r"\partial y_{i} / \partial v_{j}"),
            ".",
        ),
        (
            "Derivatives by the matrix ",
            m.W,
            " are taken one entry ",
            w,
            " at a time: ",
            sp.Symbol(rf"\mathrm{{d}} {n.indexed('loss', 't')} / \mathrm{{d}} {n.indexed('recurrent_weight', 'pq')}"),
            " is a number and ",
            sp.Symbol(rf"\partial^{{+}} {n.indexed('state', 'k')} / \partial {n.indexed('recurrent_weight', 'pq')}"),
            " a vector with ",
            d,
            " entries, the ",
            Emph("immediate"),
            " partial derivative, in which ",
            s_prev,
            " is held fixed. The sum ",
            context.ref("bptt-sum"),
            " holds for every entry.",
        ),
        (
            "Norms are induced (operator) norms, the 2-norm unless said otherwise. ",
            sp.Eq(lam, sp.Symbol(rf"\lVert {n.recurrent_weight} \rVert_{{2}}"), evaluate=False),
            " is the largest singular value of ",
            m.W,
            ", not its spectral radius.",
        ),
        (
            sp.Eq(gamma, sp.Symbol(rf"\sup_{{{z} \in \mathbb{{R}}}} \left|{n.activation}'({z})\right|"), evaluate=False),
            " is the largest slope of the activation.",
        ),
    )
    intro = Paragraph(("Every statement below is written in this notation; the checks use the same objects the text prints.",))
    return Section(KEY, "Conventions", (intro, Items(items)))

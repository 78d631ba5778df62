"""Truncated backpropagation through time: what dropping the long-lag terms of statement 1 costs, bounded by
statements 8 and 9 (the check is verify's ``check_truncation``)."""

from __future__ import annotations

import sympy as sp

from ..document import Paragraph, Section, Statement
from ..expressions import Chain, Norm
from . import BuildContext

KEY = "truncation"


def build(context: BuildContext) -> Section:
    st = context.statements
    math, result = context.establish("truncation")
    premise, _, dropped, _, bound = math.args
    total = dropped.args[0]
    k, lower, upper = total.limits[0]
    t = st.idx.t
    tau = next(iter(upper.free_symbols - {t}))
    rate = st.gamma * st.lam
    intro = Paragraph(
        (
            "Truncated backpropagation through time keeps only the terms of ",
            context.ref("bptt-sum"),
            " with ",
            sp.Lt(sp.Symbol("t - k"), tau),
            ", the last ",
            tau,
            " steps, and drops the rest, those with ",
            sp.Le(k, upper),
            ". How much it drops is bounded by the rate.",
        )
    )
    jacobian = total.function.args[1]
    why = (
        "Each dropped term is at most the product of the norms of its three factors by ",
        context.ref("submultiplicative"),
        ", and ",
        Chain(Norm(jacobian), "<=", sp.Pow(rate, sp.Symbol("t - k"), evaluate=False)),
        " by ",
        context.ref("bound"),
        "; the geometric series of the rate from ",
        sp.Eq(sp.Symbol("t - k"), tau),
        " on (the maximum taken over the dropped steps suffices) sums to ",
        sp.Pow(rate, tau) / (1 - rate),
        " when ",
        premise,
        ".",
    )
    statement = Statement("truncation", "The error of truncated backpropagation", math, why, (result,))
    after = Paragraph(
        (
            "The bound on the error decays geometrically in ",
            tau,
            ": each further step kept multiplies the bound by ",
            rate,
            ". When ",
            sp.Ge(rate, 1),
            " the bound says nothing, and truncation may drop long-range terms that matter.",
        )
    )
    return Section(KEY, "Truncated backpropagation", (intro, statement, after))

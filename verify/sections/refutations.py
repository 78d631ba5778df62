"""False variants of the argument, each refuted by a concrete counterexample that Hypothesis found and shrank."""

from __future__ import annotations

import sympy as sp

from derive.document import Counterexample, Paragraph, Section
from derive.render import matrix
from derive.sections import BuildContext

from ..claims import FALSE_CLAIMS
from ..evidence import Refutation, refute

KEY = "refutations"


def build(context: BuildContext) -> Section:
    context.say("refuting the false variants")
    refutations = tuple(refute(name) for name in FALSE_CLAIMS)
    intro = Paragraph(("Each claim below is plausible and false. Hypothesis searched for a counterexample to each and shrank the first one it found.",))
    return Section(KEY, "False variants, refuted", (intro, *(_block(context, r) for r in refutations)))


def _block(context: BuildContext, r: Refutation) -> Counterexample:
    m, st = context.model, context.statements
    case = r.case
    instance = (
        f"{case.activation}, ",
        sp.Eq(m.W, matrix(case.W), evaluate=False),
        ", ",
        sp.Eq(m.b, matrix(case.b), evaluate=False),
        ", ",
        sp.Eq(st.state(0), matrix(case.s0), evaluate=False),
        ", ",
        sp.Eq(sp.Symbol("t - k"), case.steps),
        ", no input.",
    )
    outcome: list[object] = []
    for n, (key, value) in enumerate(r.numbers):
        outcome += [", " if n else "", key, ": ", sp.Float(value, 6)]
    return Counterexample((r.statement,), instance, (*outcome, "."))  # type: ignore[arg-type]

"""False variants of the argument, each refuted by a concrete counterexample that Hypothesis found and shrank.

Only cases of the configured activations are searched; every printed number is computed
by the float engine and recomputed in mpmath at 50 digits (they agree to the stated tolerance).
"""

from __future__ import annotations

import sympy as sp

from derive.document import Counterexample, Paragraph, Section
from derive.render import matrix
from derive.sections import BuildContext

from ..evidence import NoCounterexample, Refutation, refute_all
from ..strategies import Case

KEY = "refutations"


def build(context: BuildContext) -> Section:
    context.say("refuting the false variants")
    outcomes = refute_all(context.config.activations)
    intro = Paragraph(
        (
            "Each claim below is plausible and false. Hypothesis searched cases of the configured activations for a counterexample "
            "to each and shrank the first one it found; every number shown was computed by the floating-point engine and "
            "recomputed independently at 50 digits, and the two agree.",
        )
    )
    blocks = [_block(context, r) if isinstance(r, Refutation) else _unrefuted(r) for r in outcomes]
    return Section(KEY, "False variants, refuted", (intro, *blocks))


def _unrefuted(r: NoCounterexample) -> Paragraph:
    return Paragraph((f"Claim: {r.statement}. Not refuted: {r.message}.",))


def _block(context: BuildContext, r: Refutation) -> Counterexample:
    m, st = context.model, context.statements
    case = r.case
    if isinstance(case, Case):
        instance: tuple[object, ...] = (
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
    else:
        instance = ("the linear chain (identity activation), ", sp.Eq(m.W, matrix(case.W), evaluate=False), ", ", sp.Eq(sp.Symbol("k"), case.steps), ".")
    outcome: list[object] = []
    for n, (key, value) in enumerate(r.numbers):
        outcome += [", " if n else "", key, ": ", sp.Float(value, 6)]
    return Counterexample((r.statement,), instance, (*outcome, f". Why: {r.reason}."))  # type: ignore[arg-type]

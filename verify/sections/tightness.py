"""The tightness witness: a network whose temporal Jacobian reaches the bound of statement 9 exactly.

With W = lambda Q (Q orthogonal) and every pre-activation held at z*, the point
where |phi'| is largest (taken from the gamma derivation, never assumed 0),
every one-step Jacobian is gamma' W with |gamma'| = gamma, so
||ds_t/ds_k||_2 = (gamma lambda)^(t-k). This section is one module: it shows
how a part of the argument is added to the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from flint import arb

from derive.activations import derive_gamma
from derive.document import Paragraph, Section, Table
from derive.errors import CheckFailed
from derive.printing import latex
from derive.sections import BuildContext

from ..claims import tightness_case
from ..enclose import ball_matrix, float_down, float_up, norm_enclosure, precision, tight_chain

KEY = "tightness"
DIM, LAMBDA, STEPS, SEED = 4, 1.5, 20, 0
#: The witness is reported only if its enclosure of norm / bound lies within 1 +- TOLERANCE.
TOLERANCE = 1e-10


@dataclass(frozen=True)
class Witness:
    """The witness for one activation: a rigorous enclosure [low, high] of norm / bound at the full lag."""

    activation: str
    argmax: sp.Expr
    low: float
    high: float


def witness(activation: str) -> Witness:
    q, _ = np.linalg.qr(np.random.default_rng(SEED).standard_normal((DIM, DIM)))
    W = LAMBDA * q
    case = tightness_case(activation, W, STEPS)
    _, bounds, bits = tight_chain(case.W, case.U, case.b, case.xs, case.s0, activation)
    norm_lo, norm_hi = bounds[0]  # k = 0: the whole lag T
    with precision(bits):
        lam_lo, lam_hi = norm_enclosure(ball_matrix(W))
        g = sp.Rational(derive_gamma(activation).gamma)  # exact: 1/4 or 1 for the registered activations
        gamma = arb(int(g.p)) / arb(int(g.q))
        low, high = float_down(norm_lo / (gamma * lam_hi) ** STEPS), float_up(norm_hi / (gamma * lam_lo) ** STEPS)
    if not (1 - TOLERANCE <= low and high <= 1 + TOLERANCE):
        raise CheckFailed("bound", f"tightness witness for {activation}: norm / bound lies in [{low!r}, {high!r}], not within 1 +- {TOLERANCE}")
    return Witness(activation, derive_gamma(activation).argmax, low, high)


def build(context: BuildContext) -> Section:
    st, m = context.statements, context.model
    witnesses = tuple(witness(name) for name in context.config.activations)
    z = sp.Symbol(m.notation.variable)
    t, k = st.idx.t, st.idx.k
    rate = st.gamma * st.lam
    text = Paragraph(
        (
            "The bound ",
            context.ref("bound"),
            " cannot be improved. Take ",
            sp.Eq(m.W, sp.Symbol(f"{st.lam} Q"), evaluate=False),
            " with ",
            sp.Symbol("Q"),
            " orthogonal, and hold every pre-activation at the point ",
            sp.Symbol(f"{z}^*"),
            " where the slope is largest, found in ",
            context.ref("gamma"),
            ": ",
            sp.Eq(st.state(0), sp.Symbol(rf"{m.notation.activation}({z}^*) \mathbf{{1}}"), evaluate=False),
            ", ",
            sp.Eq(m.b, sp.Symbol(rf"{z}^* \mathbf{{1}} - {m.notation.recurrent_weight} {latex(st.state(0))}"), evaluate=False),
            ", no input. Then every factor of ",
            context.ref("product"),
            " is ",
            sp.Symbol(rf"{m.notation.activation}'({z}^*) \, {m.notation.recurrent_weight}"),
            ", of norm exactly ",
            rate,
            ", and ",
            sp.Eq(
                sp.Symbol(rf"\lVert \partial {latex(st.state(t))} / \partial {latex(st.state(k))} \rVert_2"),
                sp.Pow(rate, sp.Symbol("t - k"), evaluate=False),
                evaluate=False,
            ),
            " exactly. The ratio of the norm to the bound, enclosed in ball arithmetic for ",
            sp.Eq(m.d, DIM),
            ", ",
            sp.Eq(st.lam, sp.Rational(str(LAMBDA))),
            " and ",
            sp.Eq(sp.Symbol("t - k"), STEPS),
            ":",
        )
    )
    table = Table(
        (("activation",), (sp.Symbol(f"{z}^*"),), ("norm / bound, enclosed in ball arithmetic",)),
        tuple(((w.activation,), (w.argmax,), (sp.Interval(sp.Float(w.low, 15), sp.Float(w.high, 15)),)) for w in witnesses),
        "lcl",
    )
    return Section(KEY, "The bound is attained", (text, table))

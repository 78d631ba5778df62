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

from derive.activations import derive_gamma
from derive.document import Paragraph, Ref, Section, Table
from derive.errors import CheckFailed
from derive.sections import BuildContext

from ..activations import Array, numeric
from ..claims import log_ratios
from ..engine import chain_log_norms

KEY = "tightness"
DIM, LAMBDA, STEPS, SEED = 4, 1.5, 20, 0
#: The witness is reported only if norm / bound is 1 to within this.
TOLERANCE = 1e-12


@dataclass(frozen=True)
class Witness:
    """The witness for one activation and its measured norm / bound at the full lag."""

    activation: str
    argmax: sp.Expr
    ratio: float


def witness_inputs(activation: str, W: Array, steps: int) -> tuple[Array, Array, Array, Array]:
    """U, b, xs and s_0 that hold every a_j at z*: s_0 = phi(z*) 1, b = z* 1 - W s_0, no input."""
    d = W.shape[0]
    z_star = float(derive_gamma(activation).argmax)
    s0 = numeric(activation).phi(np.full(d, z_star))
    return np.zeros((d, 1)), z_star - W @ s0, np.zeros((steps, 1)), s0


def witness(activation: str) -> Witness:
    q, _ = np.linalg.qr(np.random.default_rng(SEED).standard_normal((DIM, DIM)))
    W = LAMBDA * q
    U, b, xs, s0 = witness_inputs(activation, W, STEPS)
    logs = chain_log_norms(W, U, b, xs, s0, activation)
    ratio = float(np.exp(log_ratios(logs, numeric(activation).gamma, float(np.linalg.norm(W, 2)))[0]))
    if not abs(ratio - 1.0) <= TOLERANCE:
        raise CheckFailed("bound", f"tightness witness for {activation}: norm / bound = {ratio!r}, not 1 to within {TOLERANCE}")
    return Witness(activation, derive_gamma(activation).argmax, ratio)


def build(context: BuildContext) -> Section:
    st, m = context.statements, context.model
    witnesses = tuple(witness(name) for name in context.config.activations)
    z = sp.Symbol(m.notation.variable)
    t, k = st.idx.t, st.idx.k
    rate = st.gamma * st.lam
    text = Paragraph(
        (
            "The bound ",
            Ref("bound"),
            " cannot be improved. Take ",
            sp.Eq(m.W, sp.Symbol(f"{st.lam} Q"), evaluate=False),
            " with ",
            sp.Symbol("Q"),
            " orthogonal, and hold every pre-activation at the point ",
            sp.Symbol(f"{z}^*"),
            " where the slope is largest (",
            Ref("gamma"),
            "): ",
            sp.Eq(st.state(0), sp.Symbol(rf"{m.notation.activation}({z}^*) \mathbf{{1}}"), evaluate=False),
            ", ",
            sp.Eq(m.b, sp.Symbol(rf"{z}^* \mathbf{{1}} - {m.notation.recurrent_weight} {st.state(0)}"), evaluate=False),
            ", no input. Then every factor of ",
            Ref("product"),
            " is ",
            sp.Symbol(rf"\pm {st.gamma} {m.notation.recurrent_weight}"),
            ", and ",
            sp.Eq(
                sp.Symbol(rf"\lVert \partial {st.state(t)} / \partial {st.state(k)} \rVert_2"), sp.Pow(rate, sp.Symbol("t - k"), evaluate=False), evaluate=False
            ),
            f" exactly. Measured with d = {DIM}, ",
            sp.Eq(st.lam, sp.Rational(str(LAMBDA))),
            f" and t - k = {STEPS}:",
        )
    )
    table = Table(
        (("activation",), (sp.Symbol(f"{z}^*"),), ("norm / bound",)),
        tuple(((w.activation,), (w.argmax,), ("1 to within ", sp.Float(TOLERANCE, 2))) for w in witnesses),
        "lcl",
    )
    return Section(KEY, "The bound is attained", (text, table))

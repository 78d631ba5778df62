"""False variants of the argument, each refuted by a concrete counterexample that Hypothesis found and shrank.

Only cases of the configured activations are searched; every printed number is computed
by the float engine and recomputed in mpmath at 50 digits (they agree to the stated
tolerance). The claims are printed here in the report's notation.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sympy as sp

from derive.config import Config
from derive.document import Counterexample, Paragraph, Prose, Section
from derive.expressions import Chain, Jacobian, Norm
from derive.render import matrix, number
from derive.sections import BuildContext
from derive.statements import Statements

from ..claims import DIGITS
from ..refute import NoCounterexample, Refutation, refute_all
from ..strategies import Case

KEY = "refutations"


def prepare(config: Config) -> tuple[Refutation | NoCounterexample, ...]:
    """Every false claim searched and refuted with cases of the configured activations (the slow part: Hypothesis)."""
    return refute_all(config.activations)


def build(context: BuildContext) -> Section:
    context.say("refuting the false variants")
    outcomes = context.prepared(KEY, prepare)
    intro = Paragraph(
        (
            "Each claim below is plausible and false. The property-testing library Hypothesis searched networks of the activations this report "
            "covers, and linear (identity) chains, for a counterexample to each and shrank the first one it found. A network runs from ",
            context.statements.state(0),
            " at step ",
            sp.Integer(0),
            " to step ",
            sp.Symbol("t"),
            "; every number shown was computed in floating point and recomputed independently to ",
            sp.Integer(DIGITS),
            " digits, and the two agree.",
        )
    )
    blocks = [_block(context, r) if isinstance(r, Refutation) else _unrefuted(context, r) for r in outcomes]
    return Section(KEY, "False variants, refuted", (intro, *blocks))


def _unrefuted(context: BuildContext, r: NoCounterexample) -> Paragraph:
    claim, _ = CLAIMS[r.name](context)
    return Paragraph((*claim, ". Not refuted here: ", r.message, "."), "Claim")


def _block(context: BuildContext, r: Refutation) -> Counterexample:
    m, st = context.model, context.statements
    case = r.case
    t_k, t = sp.Symbol("t - k"), sp.Symbol("t")
    if isinstance(case, Case):
        instance: Prose = (
            f"{case.activation}, ",
            sp.Eq(m.W, matrix(case.W), evaluate=False),
            ", ",
            sp.Eq(m.b, matrix(case.b), evaluate=False),
            ", ",
            sp.Eq(st.state(0), matrix(case.s0), evaluate=False),
            ", no input, ",
            sp.Eq(t, case.steps),
            ".",
        )
    else:
        instance = ("the linear chain (identity activation), ", sp.Eq(m.W, matrix(case.W), evaluate=False), ", ", sp.Eq(sp.Symbol("k"), case.steps), ".")
    claim, reason = CLAIMS[r.name](context)
    outcome: list[object] = []
    for n, (key, value) in enumerate(r.numbers):
        outcome += ["; " if n else "", *_quantity(st, key, t_k, number(float(sp.Float(value, 6))))]
    return Counterexample(claim, instance, (*outcome, ". ", *reason))


def _quantity(st: Statements, key: str, t_k: sp.Symbol, value: sp.Expr) -> Prose:
    """A printed number in the report's notation, e.g. 'norm at t-k = 10' -> ||ds_t/ds_k||_2 = value at t - k = 10.

    A number without a lag is of the whole run, from step 0 to step t: the norm of ds_t/ds_0, the bounds at exponent t.
    """
    W, rate, t = st.model.W, st.gamma * st.lam, sp.Symbol("t")
    norm, whole = Norm(Jacobian(st.state("t"), st.state("k"))), Jacobian(st.state("t"), st.state(0))
    k = sp.Symbol("k")
    fixed: dict[str, sp.Basic] = {
        "lambda": st.lam,
        "spectral radius": _rho(W),
        "norm": Norm(whole),
        "claimed bound": sp.Pow(st.gamma * _rho(W), t, evaluate=False),
        "true bound": sp.Pow(rate, t, evaluate=False),
        "gamma lambda": rate,
        "norm of W^k": Norm(W**k),
        "norm of W to the k": sp.Pow(Norm(W), k, evaluate=False),
    }
    if key in fixed:
        return (sp.Eq(fixed[key], value, evaluate=False),)
    if key == "error":
        variant = sp.Symbol(r"\tilde{P}")
        return ("the variant's product ", variant, " is off by ", sp.Eq(Norm(sp.Add(variant, -whole, evaluate=False)), value, evaluate=False))
    if match := re.fullmatch(r"norm at t-k = (\d+)", key):
        return (sp.Eq(norm, value, evaluate=False), " at ", sp.Eq(t_k, int(match[1])))
    if match := re.fullmatch(r"norm of W\^(\d+)", key):
        return (sp.Eq(Norm(sp.MatPow(W, int(match[1]))), value, evaluate=False),)
    raise KeyError(f"refutation number {key!r} has no printed form")


def _rho(W: sp.MatrixSymbol) -> sp.Symbol:
    """rho(W), the spectral radius, as a printed symbol."""
    return sp.Symbol(rf"\rho({W.name})")


def _spectral(context: BuildContext) -> tuple[Prose, Prose]:
    st = context.statements
    rho = _rho(st.model.W)
    bound = Chain(st.bound.args[0], "<=", sp.Pow(st.gamma * rho, sp.Symbol("t - k"), evaluate=False))
    return (
        ("the spectral radius ", rho, " may stand for ", st.lam, " in ", context.ref("bound"), ": ", bound),
        (
            "For a non-normal ",
            st.model.W,
            " the largest singular value exceeds the spectral radius, and the chain exceeds the smaller bound.",
        ),
    )


def _explosion(reason: Prose, where: Prose = ()) -> Callable[[Statements], tuple[Prose, Prose]]:
    def claim(st: Statements) -> tuple[Prose, Prose]:
        rate = st.gamma * st.lam
        return (sp.Gt(rate, 1), " makes the gradient explode", *where, ": ", st.bound.args[0], " grows with ", sp.Symbol("t - k")), reason

    return claim


def _saturation(context: BuildContext) -> tuple[Prose, Prose]:
    st = context.statements
    return _explosion(
        ("Saturation: the units sit where the slope is far below ", st.gamma, ", so the chain decays although ", sp.Gt(st.gamma * st.lam, 1), ".")
    )(st)


def _nilpotent(context: BuildContext) -> tuple[Prose, Prose]:
    st = context.statements
    W, d = st.model.W, st.model.d
    return _explosion(
        (
            "No unit saturates here, yet ",
            W,
            " is nilpotent: with every pre-activation at the argmax of the slope the chain is a multiple of a power of ",
            W,
            ", and ",
            sp.Eq(W**d, sp.ZeroMatrix(d, d), evaluate=False),
            ".",
        ),
        (" even where no unit saturates (every pre-activation at the argmax of the slope)",),
    )(st)


def _reversed(context: BuildContext) -> tuple[Prose, Prose]:
    st = context.statements
    return (
        (
            "the product ",
            context.ref("product"),
            " may be taken in the other order, earlier steps on the left",
        ),
        (
            "The one-step Jacobians ",
            st.per_step.rhs,
            " do not commute.",
        ),
    )


def _transposed(context: BuildContext) -> tuple[Prose, Prose]:
    st = context.statements
    W = st.model.W
    return (
        (W.T, " may stand for ", W, " in each factor of ", context.ref("product")),
        (
            "For a non-symmetric ",
            W,
            " the two products differ.",
        ),
    )


def _power(context: BuildContext) -> tuple[Prose, Prose]:
    st = context.statements
    W, k = st.model.W, sp.Symbol("k")
    return (
        (sp.Eq(Norm(W**k), sp.Pow(Norm(W), k, evaluate=False), evaluate=False), " for every ", k),
        (
            "Only ",
            sp.Le(Norm(W**k), sp.Pow(Norm(W), k, evaluate=False), evaluate=False),
            " holds, by ",
            context.ref("submultiplicative"),
            "; equality needs more, for instance a normal ",
            W,
            ".",
        ),
    )


def _transient(context: BuildContext) -> tuple[Prose, Prose]:
    st = context.statements
    W, k = st.model.W, sp.Symbol("k")
    rho = _rho(W)
    return (
        ("if every eigenvalue of ", W, " lies inside the unit circle, ", sp.Le(Norm(W**k), 1), " for every ", k, " (no transient growth)"),
        (
            "The spectral radius sets only the exponential rate of ",
            Norm(W**k),
            " as ",
            k,
            " grows (Gelfand's formula); a non-normal ",
            W,
            " can grow first, although ",
            sp.Lt(rho, 1),
            ".",
        ),
    )


#: How each false claim and its reason read in the report's notation.
CLAIMS: dict[str, Callable[[BuildContext], tuple[Prose, Prose]]] = {
    "spectral-radius": _spectral,
    "explosion-saturation": _saturation,
    "explosion-nilpotent": _nilpotent,
    "reversed-order": _reversed,
    "transposed": _transposed,
    "power-norm": _power,
    "transient-growth": _transient,
}

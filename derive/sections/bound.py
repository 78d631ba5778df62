"""Statements 6 to 10: gamma, the norm of the diagonal, submultiplicativity, the bound and its two regimes.

Statement 10 is checked here, symbolically, from the printed object: the rate
and the limit are read from it, and SymPy decides the limit for every rate the
hypothesis allows (written r = c e^{-u} with u > 0), so a wrong threshold or a
wrong limit is rejected. Statements 6 to 9 are checked by derive.gamma_check and by
verify (ball arithmetic); the composition root registers those checks.
"""

from __future__ import annotations

import sympy as sp

from ..checks import CheckContext, Tally
from ..document import Block, CheckResult, Citation, Evidence, Paragraph, Ref, Section, Statement
from ..expressions import Chain, Conjunction, Extremum, Norm
from ..model import difference
from . import BuildContext

KEY = "bound"

HORN_JOHNSON = Citation("R. A. Horn and C. R. Johnson", "Matrix Analysis, 2nd ed.", "Cambridge University Press, 2013, Sec. 5.6")
GOLUB_VAN_LOAN = Citation("G. H. Golub and C. F. Van Loan", "Matrix Computations, 4th ed.", "Johns Hopkins University Press, 2013, Sec. 2.3")
PASCANU = Citation("R. Pascanu, T. Mikolov and Y. Bengio", "On the difficulty of training recurrent neural networks", "ICML 2013, Sec. 3")


def build(context: BuildContext) -> Section:
    m, st = context.model, context.statements
    t, k = st.idx.t, st.idx.k
    rate, lag = st.gamma * st.lam, difference(t, k)
    one_step = st.one_step
    diag = st.per_step.rhs.args[0]
    sections = context.config.sections
    blocks: list[Block] = [
        Paragraph(("Every factor of ", context.ref("product"), " has the form of ", context.ref("per-step"), "; bounding each factor bounds the product.")),
        _statement(
            context,
            "gamma",
            "The largest slope of the activation",
            (
                "The slope of an activation is largest at a critical point of its derivative or in the limit at infinity; ",
                "the values are derived in ",
                *((Ref("sec-slopes"),) if "slopes" in sections else ("the section on the slopes",)),
                ".",
            ),
        ),
        _statement(
            context,
            "diagonal-norm",
            "The norm of a diagonal matrix",
            (
                "The 2-norm of a diagonal matrix is its largest absolute diagonal entry; every entry here is a slope of the activation, at most ",
                st.gamma,
                " by ",
                context.ref("gamma"),
                ".",
            ),
            HORN_JOHNSON,
        ),
        _statement(
            context,
            "submultiplicative",
            "Induced norms are submultiplicative",
            ("Every induced norm satisfies this for all conformable matrices; it lets a bound on each factor bound the product.",),
            GOLUB_VAN_LOAN,
            HORN_JOHNSON,
        ),
        _statement(
            context,
            "bound",
            "The bound on the temporal Jacobian",
            (
                "By ",
                context.ref("per-step"),
                ", ",
                context.ref("diagonal-norm"),
                " and ",
                context.ref("submultiplicative"),
                " each factor satisfies ",
                Chain(Norm(one_step), "<=", Norm(diag) * Norm(m.W), "<=", rate),
                ". The product ",
                context.ref("product"),
                " has ",
                lag,
                " factors, and ",
                context.ref("submultiplicative"),
                " multiplies their bounds.",
            ),
            PASCANU,
        ),
        _regimes(context, rate, lag),
        _statement(
            context,
            "sharper",
            "A sharper bound from the slopes reached",
            (
                "By ",
                context.ref("per-step"),
                ", ",
                context.ref("diagonal-norm"),
                " and ",
                context.ref("submultiplicative"),
                " each factor satisfies ",
                Chain(
                    Norm(one_step),
                    "<=",
                    sp.Mul(Extremum(sp.Abs(m.phi_prime(sp.Symbol(m.notation.indexed("preactivation", "j,i")))), st.idx.i, "max"), st.lam, evaluate=False),
                    "<=",
                    rate,
                ),
                ": the largest slope its step actually reaches, times ",
                st.lam,
                "; ",
                context.ref("submultiplicative"),
                " multiplies the factors. Saturated steps reach slopes far below ",
                st.gamma,
                ", one reason why a network with ",
                sp.Gt(rate, 1),
                " can still vanish.",
            ),
        ),
    ]
    return Section(KEY, "The bound", tuple(blocks))


def _statement(context: BuildContext, label: str, title: str, why: tuple[object, ...], *citations: Citation) -> Statement:
    math, result = context.establish(label)
    return Statement(label, title, math, why, (result, *citations))


def _regimes(context: BuildContext, rate: sp.Expr, lag: sp.Expr) -> Statement:
    st, sections = context.statements, context.config.sections
    evidence: tuple[Evidence, ...] = ()
    if "refutations" in sections:
        evidence = (
            Evidence(
                (
                    "the converse fails: ",
                    Ref("sec-refutations"),
                    " shows networks with ",
                    sp.Gt(rate, 1),
                    " whose temporal Jacobians decay, by saturation and by a nilpotent ",
                    context.model.W,
                    ".",
                )
            ),
        )
    why = (
        "If ",
        sp.Lt(rate, 1),
        ", the bound ",
        context.ref("bound"),
        " decays geometrically in ",
        lag,
        ", so the terms of ",
        context.ref("bptt-sum"),
        " with ",
        st.idx.k,
        " far below ",
        st.idx.t,
        " vanish; the term with ",
        sp.Eq(st.idx.k, st.idx.t, evaluate=False),
        " does not. Growth without bound needs ",
        sp.Gt(rate, 1),
        ": this is necessary for explosion, not sufficient.",
    )
    math, result = context.establish("regimes")
    return Statement("regimes", "Vanishing and exploding regimes", math, why, (result, *evidence, PASCANU))


def _rate_values(relation: sp.Basic, tally: Tally) -> tuple[sp.Expr, sp.Expr]:
    """(rate, threshold) from a printed relation ``rate < c`` or ``rate > c``."""
    tally.require(isinstance(relation, sp.Lt | sp.Gt | sp.Le | sp.Ge), f"{relation} is not a comparison of the rate with a number")
    tally.require(relation.rhs.is_number, f"the threshold {relation.rhs} is not a number")
    return relation.lhs, relation.rhs


def _growth(power: sp.Expr, rate: sp.Expr, t: sp.Symbol, tally: Tally) -> sp.Expr:
    """The slope a of the exponent a t + b of ``power`` = rate^(a t + b), read from the printed power."""
    power = power.doit()
    tally.require(isinstance(power, sp.Pow) and power.base == rate, f"{power} is not a power of the rate {rate}")
    exponent = sp.Poly(power.exp, t)
    tally.require(exponent.degree() == 1, f"the exponent {power.exp} does not grow linearly in {t}")
    return exponent.coeff_monomial(t)


def check_regimes(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 10, read from the printed object and decided exactly.

    The first implication reads lim ||ds_t/ds_k|| <= lim r^(a t + b) = 0: the left limit must be of the norm that statement
    9 bounds and the right one of its bound (so <= is statement 9 under the limit, the norm being >= 0). With
    r = gamma lambda >= 0, r^(a t + b) -> 0 as t -> oo for every r in [0, c) exactly when a > 0 and c <= 1; and the bound
    stays bounded for every r <= c exactly when c <= 1.
    """
    label = "regimes"
    tally = Tally(label)
    tally.require(isinstance(math, Conjunction) and len(math.args) == 2, "expected the vanishing and the exploding regime")
    vanishing, exploding = math.args
    relations = [[str(a) for a in part.args[1::2]] if isinstance(part, Chain) else [] for part in math.args]
    tally.require(relations[0] == ["=>", "<=", "="], f"{vanishing} is not 'rate < c => lim norm <= lim bound = 0'")
    tally.require(relations[1] == ["=>"], f"{exploding} is not an implication")
    (hypothesis, _, norm_limit, _, conclusion, _, value), (premise, _, consequence) = vanishing.args, exploding.args
    st = context.statements
    t, bound = st.idx.t, st.bound

    # gamma lambda < c  =>  lim_{t -> oo} ||ds_t/ds_k|| <= lim_{t -> oo} (gamma lambda)^(t - k) = 0
    tally.require(isinstance(hypothesis, sp.Lt), f"the vanishing regime must assume a strict upper bound on the rate, not {hypothesis}")
    rate, threshold = _rate_values(hypothesis, tally)
    tally.require(rate == st.gamma * st.lam, f"the rate is {rate}, not the product of gamma and lambda")
    tally.require(isinstance(norm_limit, sp.Limit), f"{norm_limit} is not a limit")
    norm, variable, point = norm_limit.args[:3]
    tally.require(norm == bound.args[0], f"the vanishing limit is of {norm}, not of the norm that the bound statement bounds")
    tally.require(variable == t and point == sp.oo, f"the limit of the norm must be over {t} to infinity, not {variable} to {point}")
    tally.require(isinstance(conclusion, sp.Limit), f"{conclusion} is not a limit")
    expr, variable, point = conclusion.args[:3]
    tally.require(variable == t and point == sp.oo, f"the limit must be over {t} to infinity, not {variable} to {point}")
    tally.require(sp.simplify(expr.doit() - bound.args[-1].doit()) == 0, f"the limit is of {expr}, not of the bound {bound.args[-1]}")
    slope = _growth(expr, rate, t, tally)
    tally.require(bool(slope > 0), f"the exponent decreases in {t} (slope {slope}): the power does not decay for rates below 1")
    tally.require(bool(threshold <= 1), f"rates between 1 and {threshold} are allowed, for which the bound grows")
    tally.require(value == 0, f"the bound tends to 0 for these rates, not to {value}")

    # lim_{t -> oo} ||ds_t/ds_k|| = oo  =>  gamma lambda > c
    tally.require(isinstance(premise, sp.Eq) and isinstance(premise.lhs, sp.Limit) and premise.rhs == sp.oo, f"{premise} is not growth without bound")
    norm, variable, point = premise.lhs.args[:3]
    tally.require(norm == bound.args[0], f"the premise is about {norm}, not the norm that the bound statement bounds")
    tally.require(variable == t and point == sp.oo, "the premise must let t grow to infinity")
    tally.require(isinstance(consequence, sp.Gt), f"the conclusion must be a strict lower bound on the rate, not {consequence}")
    rate_after, floor = _rate_values(consequence, tally)
    tally.require(rate_after == rate, f"the conclusion is about {rate_after}, not {rate}")
    tally.require(bool(floor <= 1), f"a rate in (1, {floor}] lets the bound grow without limit: the conclusion does not follow")
    r = sp.Symbol("r")
    instance = (
        "every rate ",
        sp.Eq(r, rate),
        " in ",
        sp.Interval.Ropen(0, threshold),
        " for the first implication, and every ",
        r,
        " in ",
        sp.Interval(0, floor),
        " for the second (by its contrapositive: a rate there keeps the bound, and so the norm, bounded)",
    )
    method = (
        "the exponent of the bound read from the statement; ",
        sp.Symbol(r"r^{\alpha t + \beta} \to 0"),
        " exactly when ",
        sp.Gt(sp.Symbol(r"\alpha"), 0),
        " and ",
        sp.Lt(r, 1),
    )
    summary = ("exactly, from the exponent of the bound, on every rate ", sp.Eq(r, rate))
    return CheckResult(label, method, instance, tally.count, summary=summary)


CHECKS = {"regimes": check_regimes}

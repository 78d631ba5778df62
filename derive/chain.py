"""Statements 1 to 5: the BPTT sum, the ordered product, the diagonal Jacobian, W, and their product.

Each statement is a SymPy equation; its check reads the statement itself (the
limits of the sum and product, the right-hand sides) and compares it exactly
with what ``Matrix.jacobian`` or SymPy's matrix calculus computes from the model.
Every check runs for the general activation phi (an undefined function: proves
the statement for every differentiable elementwise activation at once) and for
each registered activation of the configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from .algebra import canonical, mismatches
from .errors import CheckFailed
from .expressions import Jacobian, Ordered
from .model import ActivationPair, General, Instance, difference, offset
from .steps import Check, Display, Ref, Status, Step

Layout = Callable[[sp.MatrixExpr], sp.MatrixExpr]


def numerator_layout(denominator_layout: sp.MatrixExpr) -> sp.MatrixExpr:
    """SymPy's ``MatrixExpr.diff`` returns du/dv in denominator layout; the report uses numerator layout."""
    return denominator_layout.T


@dataclass(frozen=True)
class Indices:
    """The time indices t, k, j of the statements."""

    t: sp.Symbol = sp.Symbol("t", integer=True, positive=True)
    k: sp.Symbol = sp.Symbol("k", integer=True, positive=True)
    j: sp.Symbol = sp.Symbol("j", integer=True, positive=True)


@dataclass(frozen=True)
class Statements:
    """The five chain statements as the report prints them, in the notation of ``model``."""

    model: General
    idx: Indices = Indices()

    def _name(self, role: str, index: object) -> sp.Symbol:
        return sp.Symbol(self.model.notation.indexed(role, str(index).replace(" ", "")))

    def _state(self, index: object) -> sp.Symbol:
        return self._name("state", index)

    @cached_property
    def bptt_sum(self) -> sp.Eq:
        t, k = self.idx.t, self.idx.k
        loss, s_t, s_k, W = self._name("loss", t), self._state(t), self._state(k), self.model.W
        summand = Jacobian(loss, s_t) * Jacobian(s_t, s_k) * Jacobian(s_k, W, "immediate")
        return sp.Eq(Jacobian(loss, W, "total"), sp.Sum(summand, (k, 1, t)), evaluate=False)

    @cached_property
    def one_step(self) -> Jacobian:
        return Jacobian(self._state(self.idx.j), self._state(offset(self.idx.j, -1)))

    @cached_property
    def product(self) -> sp.Eq:
        t, k, j = self.idx.t, self.idx.k, self.idx.j
        return sp.Eq(Jacobian(self._state(t), self._state(k)), Ordered(self.one_step, j, offset(k, 1), t), evaluate=False)

    @cached_property
    def diagonal(self) -> sp.Eq:
        m = self.model
        return sp.Eq(Jacobian(m.s_j, m.a_j), sp.DiagMatrix(m.elementwise(m.phi_prime, m.a_j)), evaluate=False)

    @cached_property
    def weight(self) -> sp.Eq:
        m = self.model
        return sp.Eq(Jacobian(m.a_j, m.s_prev), m.W, evaluate=False)

    @cached_property
    def per_step(self) -> sp.Eq:
        m = self.model
        return sp.Eq(Jacobian(m.s_j, m.s_prev), self.diagonal.rhs * self.weight.rhs, evaluate=False)


def _fail_unless(step: str, ok: bool, reason: str) -> None:
    if not ok:
        raise CheckFailed(step, reason)


def _compare(step: str, what: str, lhs: sp.MatrixBase, rhs: sp.MatrixBase) -> int:
    """Compare two explicit matrices exactly; the number of entries compared, or CheckFailed."""
    bad = mismatches(lhs, rhs)
    shape = f"{lhs.shape[0]}x{lhs.shape[1]}"
    _fail_unless(step, not bad, f"{what}: entries {bad[:4]} differ ({shape} compared)")
    return lhs.shape[0] * lhs.shape[1]


def _at(expr: sp.MatrixBase, free: sp.MatrixBase, value: sp.MatrixBase) -> sp.ImmutableMatrix:
    """``expr`` with the free vector ``free`` replaced by ``value``, derivatives made canonical first."""
    return sp.ImmutableMatrix(canonical(sp.ImmutableMatrix(expr)).xreplace(dict(zip(free, value, strict=True))))


def _jacobian(instance: Instance, pair: ActivationPair, first: int, last: int, at: sp.MatrixBase) -> sp.ImmutableMatrix:
    """d s_last / d s_{first-1} of the unrolled map, evaluated at s_{first-1} = ``at``."""
    free = instance.state(f"free,{first - 1}")
    if last < first:
        return sp.ImmutableMatrix(sp.eye(instance.dim))
    end = instance.unroll(free, first, last, pair)[-1]
    return _at(end.jacobian(free), free, at)


def check_bptt_sum(statement: sp.Eq, st: Statements, instance: Instance, pairs: Sequence[ActivationPair], t: int) -> int:
    """Statement 1: the total derivative of L_t = ell(s_t) in the shared W equals the sum over k."""
    label = "bptt-sum"
    _fail_unless(label, statement.lhs == st.bptt_sum.lhs, f"left-hand side is {statement.lhs}, not dL_t/dW")
    total = statement.rhs
    _fail_unless(label, isinstance(total, sp.Sum) and len(total.limits) == 1, "right-hand side is not a single sum")
    (k, lower, upper), summand = total.limits[0], total.function
    expected = st.bptt_sum.rhs
    _fail_unless(label, summand == expected.function and k == expected.limits[0][0], f"summand {summand} is not the chain")
    ks = range(int(lower.subs(st.idx.t, t)), int(upper.subs(st.idx.t, t)) + 1)
    ell = sp.Function("ell")  # a general scalar loss of s_t
    compared = 0
    for pair in pairs:
        states = instance.unroll(instance.state(0), 1, t, pair)
        loss = ell(*states[t])
        grad_at = instance.state("free,t")
        grad = _at(sp.Matrix([[loss.func(*grad_at).diff(y) for y in grad_at]]), grad_at, states[t])
        chains = {kk: _jacobian(instance, pair, kk + 1, t, states[kk]) for kk in ks if 1 <= kk <= t}
        _fail_unless(label, len(chains) == len(ks), f"sum runs over k = {list(ks)}, outside 1..{t}")
        free = instance.state("free,prev")  # s_(k-1), held fixed in the immediate partial
        step_maps = {kk: instance.preactivation(free, kk).applyfunc(pair.phi) for kk in chains}
        for (p, q), w in zip(((p, q) for p in range(instance.dim) for q in range(instance.dim)), instance.W, strict=True):
            lhs = sp.Matrix([[sp.diff(loss, w)]])
            rhs = sp.zeros(1, 1)
            for kk, chain in chains.items():
                immediate = _at(step_maps[kk].diff(w), free, states[kk - 1])
                rhs += grad * chain * immediate
            compared += _compare(label, f"{pair.label}, entry W[{p},{q}]", lhs, rhs)
    return compared


def check_product(statement: sp.Eq, st: Statements, instance: Instance, pairs: Sequence[ActivationPair], k: int, t: int) -> int:
    """Statement 2: d s_t / d s_k of the unrolled map equals the ordered product of one-step Jacobians."""
    label = "product"
    _fail_unless(label, statement.lhs == st.product.lhs, f"left-hand side is {statement.lhs}, not ds_t/ds_k")
    product = statement.rhs
    _fail_unless(label, isinstance(product, Ordered), "right-hand side is not an ordered product")
    _fail_unless(label, product.factor == st.one_step, f"factor {product.factor} is not ds_j/ds_(j-1)")
    values = {st.idx.t: t, st.idx.k: k}
    _, lower, upper = product.limits
    js = list(range(int(upper.subs(values)), int(lower.subs(values)) - 1, -1))
    compared = 0
    for pair in pairs:
        start = instance.state(k)
        states = dict(zip(range(k, t + 1), instance.unroll(start, k + 1, t, pair), strict=True))
        _fail_unless(label, all(j - 1 in states and j in states for j in js), f"product runs over j = {js[::-1]}")
        lhs = states[t].jacobian(start)
        rhs = sp.eye(instance.dim)
        for j in js:
            rhs = rhs * _jacobian(instance, pair, j, j, states[j - 1])
        compared += _compare(label, f"{pair.label}, {len(js)} factors for t-k = {t - k}", lhs, rhs)
    return compared


@dataclass(frozen=True)
class MatrixCase:
    """How to check one matrix statement (3, 4 or 5): its explicit left side and its matrix calculus."""

    label: str
    explicit: Callable[[Instance, ActivationPair], sp.MatrixBase]
    calculus: Callable[[General], sp.MatrixExpr]  # in SymPy's (denominator) layout
    spelled: bool  # whether a_j in the claim stands for W s_(j-1) + U x_j + b


def _diagonal_lhs(instance: Instance, pair: ActivationPair) -> sp.MatrixBase:
    a = instance.vector("preactivation", "j")
    return a.applyfunc(pair.phi).jacobian(a)


def _weight_lhs(instance: Instance, pair: ActivationPair) -> sp.MatrixBase:
    s = instance.vector("state", "j-1")
    return instance.preactivation(s, "j").jacobian(s)


def _per_step_lhs(instance: Instance, pair: ActivationPair) -> sp.MatrixBase:
    s = instance.vector("state", "j-1")
    return instance.preactivation(s, "j").applyfunc(pair.phi).jacobian(s)


CASES = {
    "diagonal": MatrixCase(
        "diagonal",
        _diagonal_lhs,
        lambda m: m.elementwise(m.phi, m.a_j).diff(m.a_j),
        spelled=False,
    ),
    "weight": MatrixCase("weight", _weight_lhs, lambda m: m.preactivation.diff(m.s_prev), spelled=True),
    "per-step": MatrixCase(
        "per-step",
        _per_step_lhs,
        lambda m: m.elementwise(m.phi, m.preactivation).diff(m.s_prev),
        spelled=True,
    ),
}


@dataclass(frozen=True)
class MatrixEvidence:
    """What the check of a matrix statement established, for the report."""

    compared: int
    raw: sp.MatrixExpr  # SymPy's matrix-calculus result, denominator layout
    converted: sp.MatrixExpr  # the same in numerator layout
    raw_mismatches: int  # entries where the unconverted result differs from Matrix.jacobian


def check_matrix(
    statement: sp.Eq,
    expected_lhs: sp.Basic,
    case: MatrixCase,
    model: General,
    instance: Instance,
    pairs: Sequence[ActivationPair],
    layout: Layout = numerator_layout,
) -> MatrixEvidence:
    """Statements 3 to 5: explicit d via Matrix.jacobian, general d via matrix calculus plus the layout conversion."""
    label = case.label
    _fail_unless(label, statement.lhs == expected_lhs, f"left-hand side is {statement.lhs}, not {expected_lhs}")
    claim = statement.rhs
    _fail_unless(label, isinstance(claim, sp.MatrixExpr), f"right-hand side {claim} is not a matrix expression")
    compared = 0
    for pair in pairs:
        lhs = case.explicit(instance, pair)
        rhs = model.explicit(claim, instance, pair, spell=case.spelled)
        compared += _compare(label, f"{pair.label}, d = {instance.dim} via Matrix.jacobian", lhs, rhs)
    raw = case.calculus(model)
    converted = layout(raw)
    # The conversion itself, checked on the explicit instance against Matrix.jacobian:
    generic = model.generic
    jac = case.explicit(instance, generic)
    compared += _compare(label, "layout conversion of the matrix calculus", jac, model.explicit(converted, instance, generic, spell=case.spelled))
    raw_bad = len(mismatches(jac, model.explicit(raw, instance, generic, spell=case.spelled)))
    # General d: the converted matrix-calculus result is the claim, as an expression.
    spelled_claim = claim.subs(model.a_j, model.preactivation) if case.spelled else claim
    general_ok = canonical(converted.doit()) == canonical(spelled_claim)
    _fail_unless(label, general_ok, f"general d: matrix calculus gives {canonical(converted.doit())}, not {claim}")
    return MatrixEvidence(compared + 1, canonical(raw), canonical(converted), raw_bad)


def _cases(instance: Instance, pairs: Sequence[ActivationPair], lag: str) -> tuple[str, ...]:
    return tuple(f"d = {instance.dim}, {lag}, {pair.label}" for pair in pairs)


def _silent(message: str) -> None:
    """The default progress callback: say nothing."""


def chain_steps(st: Statements, instance: Instance, pairs: Sequence[ActivationPair], lag: int, progress: Callable[[str], None] = _silent) -> tuple[Step, ...]:
    """Statements 1 to 5, each checked now; a failed check raises CheckFailed naming the step."""
    m, n = st.model, st.model.notation
    t, k = st.idx.t, st.idx.k
    progress("checking statement 1 (bptt-sum): total derivative against the sum over k")
    bptt = check_bptt_sum(st.bptt_sum, st, instance, pairs, lag)
    progress("checking statement 2 (product): Jacobian of the unrolled map against the ordered product")
    product = check_product(st.product, st, instance, pairs, 1, 1 + lag)
    evidence = {}
    for number, name, attr in ((3, "diagonal", "diagonal"), (4, "weight", "weight"), (5, "per-step", "per_step")):
        progress(f"checking statement {number} ({name}): Matrix.jacobian and matrix calculus")
        evidence[name] = check_matrix(getattr(st, attr), getattr(st, attr).lhs, CASES[name], m, instance, pairs)
    a = instance.vector("preactivation", "j")
    explicit_diagonal = canonical(a.applyfunc(m.phi).jacobian(a))
    size = f"{instance.dim} x {instance.dim}"
    by_jacobian = (f"Matrix.jacobian of the map on explicit {size} matrices, compared exactly with the right-hand side; ",)

    def calculus(name: str) -> tuple[str | sp.Basic, ...]:
        ev = evidence[name]
        return (
            "in general ",
            m.d,
            ", SymPy's matrix calculus gives ",
            ev.raw,
            " in denominator layout; its transpose ",
            ev.converted,
            " is the statement, and the transpose was itself checked against Matrix.jacobian "
            f"(the untransposed result differs in {ev.raw_mismatches} of {instance.dim**2} entries).",
        )

    return (
        Step(
            1,
            "bptt-sum",
            "Backpropagation through time",
            st.bptt_sum,
            (
                "The weights ",
                m.W,
                " are shared by every step, so the total derivative of ",
                sp.Symbol(n.indexed("loss", t)),
                " collects one path per step k: through the state ",
                sp.Symbol(n.indexed("state", k)),
                " back to the immediate partial, in which the previous state is held fixed.",
            ),
            Status.SYMBOLIC,
            Check(
                (
                    "The total derivative of a general loss of the unrolled state in every entry of ",
                    m.W,
                    " equals the sum, every term computed independently by Matrix.jacobian.",
                ),
                _cases(instance, pairs, f"t = {lag}"),
                bptt,
            ),
        ),
        Step(
            2,
            "product",
            "The temporal Jacobian is a product",
            st.product,
            (
                "The chain rule along ",
                sp.Symbol(n.indexed("state", k)),
                " to ",
                sp.Symbol(n.indexed("state", t)),
                ", one factor per step, later steps on the left: ",
                difference(t, k),
                " factors.",
            ),
            Status.SYMBOLIC,
            Check(
                ("Matrix.jacobian of the unrolled map equals the product of the one-step Jacobians in this order.",),
                _cases(instance, pairs, f"t - k = {lag}"),
                product,
            ),
        ),
        Step(
            3,
            "diagonal",
            "An elementwise activation has a diagonal Jacobian",
            st.diagonal,
            (
                "Each entry of ",
                m.s_j,
                " depends on the same entry of ",
                m.a_j,
                " only, so every off-diagonal partial derivative is zero.",
            ),
            Status.SYMBOLIC,
            Check((*by_jacobian, *calculus("diagonal")), _cases(instance, pairs, "one step"), evidence["diagonal"].compared),
            displays=(Display((f"For d = {instance.dim}, Matrix.jacobian gives",), sp.Eq(st.diagonal.lhs, explicit_diagonal, evaluate=False)),),
        ),
        Step(
            4,
            "weight",
            "The pre-activation's Jacobian is W",
            st.weight,
            ("The input term ", m.U * m.x_j, " and the bias ", m.b, " do not depend on ", m.s_prev, "."),
            Status.SYMBOLIC,
            Check((*by_jacobian, *calculus("weight")), _cases(instance, pairs, "one step"), evidence["weight"].compared),
        ),
        Step(
            5,
            "per-step",
            "One step of the chain",
            st.per_step,
            ("The chain rule through ", m.a_j, ", from ", Ref("diagonal"), " and ", Ref("weight"), "."),
            Status.SYMBOLIC,
            Check((*by_jacobian, *calculus("per-step")), _cases(instance, pairs, "one step"), evidence["per-step"].compared),
        ),
    )

"""The checks of statements 1 to 5: they read the printed statement and compare it with the unrolled network.

Every Jacobian in a printed statement is evaluated on an explicit instance by a
small interpreter (``Trajectory.evaluate``) that knows what each kind means:
``ds_a/ds_b`` is the Jacobian of the unrolled map from s_b to s_a (zero when
a < b), ``dL_a/ds_a`` the gradient of a general loss l(s_a), ``d+ s_k/dW_pq``
the immediate partial (s_{k-1} held fixed) and ``ds_k/dW_pq`` the derivative
through the whole unrolled past. The summand of statement 1, the limits of its
sum, and the factors of statement 2 in their written order are all read from
the printed object; a statement is compared entry by entry, exactly, with the
left side computed from the same instance. Every check runs for a general
activation phi (an undefined function: the identity then holds on that instance
for every differentiable elementwise activation) and for each configured one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from .algebra import canonical, mismatches
from .checks import CheckContext, fail_unless
from .document import CheckResult
from .expressions import Jacobian, Ordered
from .model import ActivationPair, General, Instance

Layout = Callable[[sp.MatrixExpr], sp.MatrixExpr]


def numerator_layout(denominator_layout: sp.MatrixExpr) -> sp.MatrixExpr:
    """SymPy's ``MatrixExpr.diff`` returns du/dv in denominator layout; the report uses numerator layout."""
    return denominator_layout.T


def _at(expr: sp.MatrixBase, free: sp.MatrixBase, value: sp.MatrixBase) -> sp.ImmutableMatrix:
    """``expr`` with the free vector ``free`` replaced by ``value``, derivatives made canonical first."""
    return sp.ImmutableMatrix(canonical(sp.ImmutableMatrix(expr)).xreplace(dict(zip(free, value, strict=True))))


@dataclass
class Trajectory:
    """The network unrolled on an explicit instance from a free s_0, and the Jacobians a statement can name.

    ``label`` names the statement being checked (for errors); ``roles`` maps the notation's base names
    (state, loss, the weight matrix) to what they stand for. Results are cached per instance.
    """

    label: str
    instance: Instance
    pair: ActivationPair
    steps: int
    _cache: dict[tuple[object, ...], sp.ImmutableMatrix] = field(default_factory=dict)

    @cached_property
    def states(self) -> list[sp.ImmutableMatrix]:
        """s_0 (free) .. s_steps as explicit vectors."""
        return self.instance.unroll(self.instance.state(0), 1, self.steps, self.pair)

    @property
    def d(self) -> int:
        return self.instance.dim

    def _state(self, index: int) -> sp.ImmutableMatrix:
        fail_unless(self.label, 0 <= index <= self.steps, f"s_{index} is outside the instance's run s_0 .. s_{self.steps}")
        return self.states[index]

    def state_by_state(self, a: int, b: int) -> sp.ImmutableMatrix:
        """ds_a/ds_b of the unrolled map at the trajectory: the identity for a = b, zero for a < b."""
        self._state(a), self._state(b)
        if a < b:
            return sp.ImmutableMatrix(sp.zeros(self.d, self.d))
        if a == b:
            return sp.ImmutableMatrix(sp.eye(self.d))
        key = ("ss", a, b)
        if key not in self._cache:
            free = self.instance.state(f"free,{b}")
            end = self.instance.unroll(free, b + 1, a, self.pair)[-1]
            self._cache[key] = _at(end.jacobian(free), free, self.states[b])
        return self._cache[key]

    @cached_property
    def loss(self) -> sp.Function:
        return sp.Function(r"\ell")  # a general scalar loss, L_a = l(s_a)

    def loss_gradient(self, a: int) -> sp.ImmutableMatrix:
        """dL_a/ds_a: the row of partial derivatives of l at s_a."""
        key = ("grad", a)
        if key not in self._cache:
            free = self.instance.state("free,loss")
            row = sp.Matrix([[self.loss(*free).diff(y) for y in free]])
            self._cache[key] = _at(row, free, self._state(a))
        return self._cache[key]

    def immediate(self, k: int, p: int, q: int) -> sp.ImmutableMatrix:
        """d+ s_k / dW_pq: the step map phi(W s_{k-1} + U x_k + b) differentiated with s_{k-1} held fixed."""
        fail_unless(self.label, 1 <= k <= self.steps, f"the immediate partial of s_{k} needs 1 <= k <= {self.steps}")
        free = self.instance.state("free,prev")
        step = self.instance.preactivation(free, k).applyfunc(self.pair.phi)
        return _at(step.diff(self.instance.W[p, q]), free, self.states[k - 1])

    def through_past(self, k: int, p: int, q: int) -> sp.ImmutableMatrix:
        """ds_k / dW_pq through the whole unrolled past (every step uses W)."""
        return sp.ImmutableMatrix(canonical(sp.ImmutableMatrix(self._state(k).diff(self.instance.W[p, q]))))

    def total_loss(self, a: int, p: int, q: int) -> sp.ImmutableMatrix:
        """dL_a / dW_pq of the unrolled l(s_a)."""
        key = ("loss", a, p, q)
        if key not in self._cache:
            loss = self.loss(*self._state(a))
            self._cache[key] = sp.ImmutableMatrix([[canonical(sp.diff(loss, self.instance.W[p, q]))]])
        return self._cache[key]

    def evaluate(self, jacobian: Jacobian, bind: dict[sp.Symbol, int], roles: Roles) -> sp.ImmutableMatrix:
        """The explicit matrix a printed Jacobian stands for, its indices bound by ``bind``."""
        top, top_index = roles.read(jacobian.numerator, bind, self.label)
        bottom, bottom_index = roles.read(jacobian.denominator, bind, self.label)
        kind = jacobian.kind
        if (top, bottom) == ("state", "state"):
            fail_unless(self.label, kind == "partial", f"{jacobian}: a derivative of a state by a state is a partial derivative")
            return self.state_by_state(top_index[0], bottom_index[0])
        if (top, bottom) == ("loss", "state"):
            fail_unless(self.label, kind == "partial", f"{jacobian}: a derivative of the loss by a state is a partial derivative")
            return self.loss_gradient(top_index[0]) * self.state_by_state(top_index[0], bottom_index[0])
        if (top, bottom) == ("state", "weight"):
            (k,), (p, q) = top_index, bottom_index
            return self.immediate(k, p, q) if kind == "immediate" else self.through_past(k, p, q)
        if (top, bottom) == ("loss", "weight"):
            (a,), (p, q) = top_index, bottom_index
            return self.loss_gradient(a) * self.immediate(a, p, q) if kind == "immediate" else self.total_loss(a, p, q)
        fail_unless(self.label, False, f"{jacobian} is not a derivative this statement can contain")
        raise AssertionError  # unreachable


@dataclass(frozen=True)
class Roles:
    """The notation's names: which IndexedBase is the state, the loss, the weight entry; entries are 1-based in print."""

    state: str
    loss: str
    weight: str

    def read(self, item: sp.Basic, bind: dict[sp.Symbol, int], label: str) -> tuple[str, tuple[int, ...]]:
        fail_unless(label, isinstance(item, sp.Indexed), f"{item} is not an indexed state, loss or weight entry")
        name = str(item.base.label)
        roles = {self.state: "state", self.loss: "loss", self.weight: "weight"}
        fail_unless(label, name in roles, f"{item}: {name} is none of {sorted(roles)}")
        values, exact = [], {symbol: sp.Integer(v) for symbol, v in bind.items()}
        for index in item.indices:
            value = sp.sympify(index).xreplace(exact)
            fail_unless(label, value.is_Integer, f"the index {index} of {item} is not fixed by the statement")
            values.append(int(value))
        role = roles[name]
        fail_unless(label, len(values) == (2 if role == "weight" else 1), f"{item} has the wrong number of indices")
        if role == "weight":
            return role, (values[0] - 1, values[1] - 1)  # W_pq with p, q from 1 in print, 0-based here
        return role, tuple(values)


def _roles(context: CheckContext) -> Roles:
    n = context.model.notation
    return Roles(n.state, n.loss, n.recurrent_weight)


def _compare(label: str, what: str, lhs: sp.MatrixBase, rhs: sp.MatrixBase) -> int:
    """Compare two explicit matrices exactly; the number of entries compared, or CheckFailed."""
    fail_unless(label, lhs.shape == rhs.shape, f"{what}: the sides have shapes {lhs.shape} and {rhs.shape}")
    bad = mismatches(lhs, rhs)
    fail_unless(label, not bad, f"{what}: entries {bad[:4]} differ ({lhs.shape[0]}x{lhs.shape[1]} compared)")
    return lhs.shape[0] * lhs.shape[1]


def _factors(expr: sp.Basic, label: str) -> tuple[sp.Expr, list[Jacobian]]:
    """A printed product as (numeric coefficient, Jacobian factors in written order)."""
    args = expr.args if isinstance(expr, sp.Mul) else (expr,)
    coefficient, factors = sp.Integer(1), []
    for arg in args:
        if arg.is_number:
            coefficient *= arg
        else:
            fail_unless(label, isinstance(arg, Jacobian), f"{arg} is not a Jacobian")
            factors.append(arg)
    return coefficient, factors


def _product(trajectory: Trajectory, factors: Sequence[Jacobian], bind: dict[sp.Symbol, int], roles: Roles) -> sp.ImmutableMatrix:
    result = trajectory.evaluate(factors[0], bind, roles)
    for factor in factors[1:]:
        right = trajectory.evaluate(factor, bind, roles)
        fail_unless(trajectory.label, result.shape[1] == right.shape[0], f"the factors before {factor} and it do not multiply ({result.shape}, {right.shape})")
        result = result * right
    return sp.ImmutableMatrix(result)


def _index_symbol(item: sp.Basic, label: str) -> sp.Symbol:
    fail_unless(label, isinstance(item, sp.Indexed) and len(item.indices) == 1 and isinstance(item.indices[0], sp.Symbol), f"{item} is not indexed by a symbol")
    return item.indices[0]


def _instance_prose(context: CheckContext, *extra: sp.Basic | str) -> tuple[object, ...]:
    m = context.model
    names = ", ".join(pair.label for pair in context.pairs[1:])
    return (sp.Eq(m.d, context.instance.dim), *extra, ", a general activation ", m.phi, f" and {names}")


def check_bptt_sum(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 1: for every entry W_pq, the total derivative of l(s_t) equals the printed sum, term by term as printed."""
    label = "bptt-sum"
    fail_unless(label, isinstance(math, sp.Eq), "the statement is not an equation")
    lhs, rhs = math.lhs, math.rhs
    fail_unless(label, isinstance(lhs, Jacobian) and isinstance(lhs.denominator, sp.Indexed), f"the left side {lhs} is not a derivative by a weight entry")
    fail_unless(label, lhs.kind == "total", f"the left side is a {lhs.kind} derivative; the gradient the network trains on is the total one")
    t = _index_symbol(lhs.numerator, label)
    p, q = lhs.denominator.indices
    fail_unless(label, isinstance(rhs, sp.Sum) and len(rhs.limits) == 1, "the right side is not a single sum")
    (k, lower, upper), summand = rhs.limits[0], rhs.function
    coefficient, factors = _factors(summand, label)
    roles, lag = _roles(context), context.config.lag
    compared = 0
    for pair in context.pairs:
        trajectory = Trajectory(label, context.instance, pair, lag)
        context.progress(f"  bptt-sum: {pair.label}")
        for P in range(1, context.instance.dim + 1):
            for Q in range(1, context.instance.dim + 1):
                bind = {t: lag, p: P, q: Q}
                left = trajectory.evaluate(lhs, bind, roles)
                exact = {symbol: sp.Integer(v) for symbol, v in bind.items()}
                ks = range(int(lower.xreplace(exact)), int(upper.xreplace(exact)) + 1)
                right = sp.zeros(1, 1)
                for kk in ks:
                    right += coefficient * _product(trajectory, factors, {**bind, k: kk}, roles)
                compared += _compare(label, f"{pair.label}, entry W[{P},{Q}], t = {lag}", left, right)
    t_value = sp.Eq(t, lag)
    method = (
        "the total derivative of a general loss of the unrolled network in every entry of ",
        context.model.W,
        ", compared exactly with the printed sum, each factor of each term computed from the unrolled network",
    )
    return CheckResult(label, method, _instance_prose(context, ", ", t_value), compared)  # type: ignore[arg-type]


def check_product(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 2: the Jacobian of the unrolled map from s_k to s_t equals the printed product, factors in printed order."""
    label = "product"
    fail_unless(label, isinstance(math, sp.Eq), "the statement is not an equation")
    lhs, rhs = math.lhs, math.rhs
    fail_unless(label, isinstance(lhs, Jacobian), f"the left side {lhs} is not a Jacobian")
    fail_unless(label, isinstance(rhs, Ordered), f"the right side {rhs} is not an ordered product")
    t, k = _index_symbol(lhs.numerator, label), _index_symbol(lhs.denominator, label)
    roles, lag, first = _roles(context), context.config.lag, 1
    bind = {t: first + lag, k: first}
    compared = 0
    for pair in context.pairs:
        trajectory = Trajectory(label, context.instance, pair, first + lag + 1)  # one step beyond t, so a shifted factor is evaluated, not refused
        left = trajectory.evaluate(lhs, bind, roles)
        written = rhs.factors(bind)
        right = (
            _product(trajectory, [f for f in written if isinstance(f, Jacobian)], bind, roles) if written else sp.ImmutableMatrix(sp.eye(context.instance.dim))
        )
        fail_unless(label, all(isinstance(f, Jacobian) for f in written), f"a factor of {rhs} is not a Jacobian")
        compared += _compare(label, f"{pair.label}, t - k = {lag}, {len(written)} factors", left, right)
    method = ("the Jacobian of the unrolled map compared exactly with the printed product, its factors multiplied in the printed order",)
    return CheckResult(label, method, _instance_prose(context, ", ", sp.Eq(sp.Symbol("t - k"), lag)), compared)  # type: ignore[arg-type]


@dataclass(frozen=True)
class MatrixCase:
    """How to check one matrix statement (3, 4 or 5): its explicit left side and its matrix calculus."""

    label: str
    lhs: Callable[[General], Jacobian]
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
    "diagonal": MatrixCase("diagonal", lambda m: Jacobian(m.s_j, m.a_j), _diagonal_lhs, lambda m: m.elementwise(m.phi, m.a_j).diff(m.a_j), spelled=False),
    "weight": MatrixCase("weight", lambda m: Jacobian(m.a_j, m.s_prev), _weight_lhs, lambda m: m.preactivation.diff(m.s_prev), spelled=True),
    "per-step": MatrixCase(
        "per-step", lambda m: Jacobian(m.s_j, m.s_prev), _per_step_lhs, lambda m: m.elementwise(m.phi, m.preactivation).diff(m.s_prev), spelled=True
    ),
}


def check_matrix(math: sp.Basic, context: CheckContext, case: MatrixCase, layout: Layout = numerator_layout) -> CheckResult:
    """Statements 3 to 5: the explicit Jacobian of the map at d, and SymPy's matrix calculus in general d after the layout conversion."""
    label, model, instance = case.label, context.model, context.instance
    fail_unless(label, isinstance(math, sp.Eq), "the statement is not an equation")
    expected = case.lhs(model)
    fail_unless(label, math.lhs == expected, f"the left side is {math.lhs}, not the derivative {expected} this statement is about")
    claim = math.rhs
    fail_unless(label, isinstance(claim, sp.MatrixExpr), f"the right side {claim} is not a matrix expression")
    compared = 0
    for pair in context.pairs:
        explicit = case.explicit(instance, pair)
        compared += _compare(label, f"{pair.label}, d = {instance.dim}", explicit, model.explicit(claim, instance, pair, spell=case.spelled))
    raw = case.calculus(model)
    converted = layout(raw)
    generic = model.generic
    jacobian = case.explicit(instance, generic)
    compared += _compare(label, "layout conversion of the matrix calculus", jacobian, model.explicit(converted, instance, generic, spell=case.spelled))
    raw_bad = len(mismatches(jacobian, model.explicit(raw, instance, generic, spell=case.spelled)))
    spelled = claim.subs(model.a_j, model.preactivation) if case.spelled else claim
    general = canonical(converted.doit())
    fail_unless(label, general == canonical(spelled), f"general d: matrix calculus gives {general}, not {claim}")
    compared += 1
    method = (
        "the Jacobian of the map, entry by entry, compared exactly with the right side; and in general ",
        model.d,
        ", matrix calculus transposed from denominator to numerator layout",
    )
    log = (
        ("matrix calculus gives ", canonical(raw), " in denominator layout; its transpose ", canonical(converted), " is the statement"),
        (f"the untransposed result differs from the explicit Jacobian in {raw_bad} of {instance.dim**2} entries",),
    )
    return CheckResult(label, method, _instance_prose(context), compared, log)  # type: ignore[arg-type]


def check_diagonal(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 3: ds_j/da_j = diag(phi'(a_j))."""
    return check_matrix(math, context, CASES["diagonal"])


def check_weight(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 4: da_j/ds_{j-1} = W."""
    return check_matrix(math, context, CASES["weight"])


def check_per_step(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 5: ds_j/ds_{j-1} = diag(phi'(a_j)) W."""
    return check_matrix(math, context, CASES["per-step"])


CHECKS = {"bptt-sum": check_bptt_sum, "product": check_product, "diagonal": check_diagonal, "weight": check_weight, "per-step": check_per_step}

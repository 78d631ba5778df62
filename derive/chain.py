"""The checks of statements 1 to 5: the BPTT sum, the ordered product, the diagonal Jacobian, W, the one-step Jacobian.

Each check reads the printed equation (both sides; for 1 the sum's index, limits
and the summand's factors in their written order; for 2 the product's index,
limits, order and factor) and evaluates it on an explicit instance of the model
by a small interpreter: every Jacobian is computed from the unrolled recurrence
by its kind (partial, total or immediate), never taken from the statement. The
two sides are compared exactly, entry by entry (``derive.algebra.mismatches``).
Every check runs for the general activation phi (an undefined function: it
proves the identity on that instance for every differentiable elementwise
activation) and for each configured activation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from .activations import ACTIVATIONS
from .algebra import canonical, mismatches
from .checks import CheckContext, Checker, fail_unless
from .document import CheckResult, Prose
from .errors import CheckFailed
from .expressions import Jacobian, Ordered
from .graph_diff import GraphJacobian
from .model import ActivationPair, General, Instance, difference

Layout = Callable[[sp.MatrixExpr], sp.MatrixExpr]
Env = dict[sp.Symbol, int]

#: The general scalar loss of the state: L_t = ell(s_t).
ELL = sp.Function(r"\ell")


def numerator_layout(denominator_layout: sp.MatrixExpr) -> sp.MatrixExpr:
    """SymPy's ``MatrixExpr.diff`` returns du/dv in denominator layout (its transpose); the report uses numerator layout."""
    return denominator_layout.T


@dataclass
class Tally:
    """The exact entry comparisons a check makes, counted as they happen; a mismatch is a CheckFailed naming the label."""

    label: str
    count: int = 0

    def compare(self, what: str, lhs: sp.MatrixBase, rhs: sp.MatrixBase) -> None:
        fail_unless(self.label, lhs.shape == rhs.shape, f"{what}: the left side is {_shape(lhs)} but the right side {_shape(rhs)}")
        bad = mismatches(lhs, rhs)
        self.count += lhs.shape[0] * lhs.shape[1]
        fail_unless(self.label, not bad, f"{what}: entries {[(i + 1, j + 1) for i, j in bad[:4]]} differ ({_shape(lhs)} compared)")


def _shape(matrix: sp.MatrixBase) -> str:
    return f"{matrix.shape[0]}x{matrix.shape[1]}"


# -- reading a time-indexed quantity of the printed statements ------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """A quantity a printed Jacobian names, read on the instance: the loss L_tau, the state s_tau, or the weight entry W_pq."""

    role: str  # "loss", "state" or "weight"
    time: int = 0
    entry: tuple[int, int] = (0, 0)  # 0-based (p - 1, q - 1)


# -- the interpreter: the model unrolled on the explicit instance ---------------------------------------------------


@dataclass
class Unrolled:
    """The model on the instance for one activation: states s_first .. s_last, each entry a free symbol s_{j,i}.

    Each Jacobian is computed from the recurrence by its kind. Results are written with every state's entries as
    symbols ("folded"): an occurrence of s_j's formula phi(W s_{j-1} + U x_j + b) becomes s_j. Folding is a
    substitution applied to both sides alike, so two sides equal as expressions in independent symbols are equal
    once every s_j is unfolded again: sound, and it keeps the expressions small.
    """

    label: str
    instance: Instance
    pair: ActivationPair
    first: int
    last: int
    memo: dict[tuple[object, ...], sp.ImmutableMatrix] = field(default_factory=dict, repr=False)

    def state(self, j: int) -> sp.ImmutableMatrix:
        """s_j as a vector of free symbols."""
        key = ("state", j)
        if key not in self.memo:
            self.memo[key] = self.instance.plain(self.instance.state(j))
        return self.memo[key]

    @cached_property
    def W(self) -> sp.ImmutableMatrix:
        return self.instance.plain(self.instance.W)

    def definitions(self, first: int, last: int) -> dict[sp.Basic, sp.Basic]:
        """The unrolled recurrence from s_{first-1} to s_last as named nodes: each entry of s_j defined by step j in the symbols of s_{j-1}."""
        table: dict[sp.Basic, sp.Basic] = {}
        for j in range(first, last + 1):
            table.update(zip(self.state(j), self._step(j, self.state(j - 1), self.W), strict=True))
        return table

    @cached_property
    def folding(self) -> dict[sp.Basic, sp.Basic]:
        """Each entry of phi(W s_{j-1} + U x_j + b), in the symbols of s_{j-1}, mapped to the symbol of s_j."""
        return {formula: symbol for symbol, formula in self.definitions(self.first + 1, self.last).items()}

    def fold(self, matrix: sp.MatrixBase) -> sp.ImmutableMatrix:
        """``matrix`` canonical, with one-step formulas replaced by the states' symbols."""
        folded = canonical(sp.ImmutableMatrix(matrix))
        return sp.ImmutableMatrix(folded.xreplace(self.folding))

    @property
    def dim(self) -> int:
        return self.instance.dim

    def fail(self, reason: str) -> CheckFailed:
        return CheckFailed(self.label, reason)

    # reading

    def read(self, expr: sp.Basic, env: Env) -> Quantity:
        """L_tau, s_tau or W_pq from a printed Indexed, its indices evaluated at ``env`` and checked against the instance."""
        notation = self.instance.model.notation
        roles = {notation.loss: "loss", notation.state: "state", notation.recurrent_weight: "weight"}
        if not isinstance(expr, sp.Indexed) or str(expr.base.label) not in roles:
            raise self.fail(f"{expr} is not a loss, a state or an entry of the recurrent weights")
        role = roles[str(expr.base.label)]
        values = [sp.sympify(sp.sympify(i).xreplace(env)) for i in expr.indices]
        if not all(isinstance(v, sp.Integer) for v in values):
            raise self.fail(f"the index of {expr} is not fixed on the instance ({', '.join(map(str, values))})")
        numbers = [int(v) for v in values]
        if role == "weight":
            if len(numbers) != 2 or not all(1 <= n <= self.dim for n in numbers):
                raise self.fail(f"{expr} is not an entry of the {self.dim}x{self.dim} matrix {notation.recurrent_weight}")
            return Quantity(role, entry=(numbers[0] - 1, numbers[1] - 1))
        if len(numbers) != 1 or not self.first <= numbers[0] <= self.last:
            raise self.fail(f"{expr} at {numbers} lies outside the instance, steps {self.first} to {self.last}")
        return Quantity(role, time=numbers[0])

    def jacobian(self, expr: Jacobian, env: Env) -> sp.ImmutableMatrix:
        """The value of a printed Jacobian on the instance, by what it differentiates, by what, and its kind."""
        top, bottom = self.read(expr.numerator, env), self.read(expr.denominator, env)
        kind = expr.kind
        if bottom.role == "state" and kind in ("partial", "total") and top.role in ("state", "loss"):
            if top.time < bottom.time:
                raise self.fail(f"{expr}: {expr.numerator} does not depend on the later {expr.denominator}")
            if top.role == "state":
                return self.by_state(top.time, bottom.time)
            if top.role == "loss":
                return sp.ImmutableMatrix(self.gradient(top.time) * self.by_state(top.time, bottom.time))
        if bottom.role == "weight" and kind == "immediate" and top.role == "state":
            return self.immediate(top.time, *bottom.entry)
        if bottom.role == "weight" and kind == "total" and top.role in ("state", "loss"):
            return self.total(top, *bottom.entry)
        if bottom.role == "weight" and kind == "partial":
            raise self.fail(f"{expr}: a plain partial derivative by a weight entry is ambiguous; the statements use the total d or the immediate d+")
        raise self.fail(f"{expr}: no {kind} derivative of {top.role} by {bottom.role} is defined by the model")

    # the derivatives, each computed from the recurrence

    def by_state(self, tau: int, sigma: int) -> sp.ImmutableMatrix:
        """ds_tau/ds_sigma: the map from s_sigma to s_tau unrolled (each state a named node defined by its step) and differentiated on its graph."""
        key = ("by-state", tau, sigma)
        if key not in self.memo:
            graph = GraphJacobian(list(self.state(sigma)), self._fold_expression, self.definitions(sigma + 1, tau))
            self.memo[key] = graph.jacobian(list(self.state(tau)))
        return self.memo[key]

    def gradient(self, tau: int) -> sp.ImmutableMatrix:
        """dL_tau/ds_tau: the gradient (a row) of the general loss ell at s_tau."""
        s = self.state(tau)
        return self.fold(sp.Matrix([[ELL(*s).diff(y) for y in s]]))

    def _step(self, j: int, previous: sp.MatrixBase, weights: sp.MatrixBase) -> sp.ImmutableMatrix:
        """phi(W s_{j-1} + U x_j + b) for the given previous state and weights."""
        a = weights * previous + self.instance.plain(self.instance.U * self.instance.input(j) + self.instance.b)
        return sp.ImmutableMatrix(a.applyfunc(self.pair.phi))

    def _fold_expression(self, expr: sp.Basic) -> sp.Basic:
        """One-step formulas inside ``expr`` replaced by the states' symbols (``folding``)."""
        return expr.xreplace(self.folding)

    def immediate(self, sigma: int, p: int, q: int) -> sp.ImmutableMatrix:
        """d+s_sigma/dW_pq: the step sigma differentiated in W_pq with s_{sigma-1} held fixed (a free symbol)."""
        if sigma <= self.first:
            raise self.fail(f"s_{sigma} is the given start of the instance, not produced by a step: no immediate partial")
        key = ("immediate", sigma)
        if key not in self.memo:
            step = list(self._step(sigma, self.state(sigma - 1), self.W))
            self.memo[key] = GraphJacobian(list(self.W), self._fold_expression).jacobian(step)
        return sp.ImmutableMatrix(self.memo[key][:, p * self.dim + q])

    def total(self, top: Quantity, p: int, q: int) -> sp.ImmutableMatrix:
        """d s_tau/dW_pq or dL_tau/dW_pq through the whole unrolled past (s_first fixed): the unrolled expression differentiated in W_pq.

        The states s_{first+1} .. s_tau are unrolled from s_first (each a named node defined by its step), the loss as
        ell of the last; every W_pq is differentiated at once on the expression graph, each shared sub-expression once.
        """

        key = ("total", top.role, top.time)
        if key not in self.memo:
            last = self.state(top.time)
            outputs = list(last) if top.role == "state" else [ELL(*last)]
            graph = GraphJacobian(list(self.W), self._fold_expression, self.definitions(self.first + 1, top.time))
            self.memo[key] = graph.jacobian(outputs)
        return sp.ImmutableMatrix(self.memo[key][:, p * self.dim + q])

    # evaluation of printed right-hand sides

    def evaluate(self, expr: sp.Basic, env: Env) -> sp.ImmutableMatrix:
        """A printed expression on the instance: Jacobians, ordered products, sums and products of them, numbers."""
        if isinstance(expr, Jacobian):
            return self.jacobian(expr, env)
        if isinstance(expr, Ordered):
            return self.ordered(expr, env)
        if isinstance(expr, sp.Sum):
            return self.sum(expr, env)
        if isinstance(expr, sp.Mul):
            return self.product([self.evaluate(f, env) for f in expr.args], expr)
        if isinstance(expr, sp.Add):
            terms = [self.evaluate(a, env) for a in expr.args]
            if len({t.shape for t in terms}) != 1:
                raise self.fail(f"{expr} adds terms of shapes {[_shape(t) for t in terms]}")
            return sp.ImmutableMatrix(sum(terms[1:], terms[0]))
        if isinstance(expr, sp.Number):
            return sp.ImmutableMatrix([[expr]])
        raise self.fail(f"{expr} cannot be evaluated on the instance (not a Jacobian, product, sum or number)")

    def product(self, factors: list[sp.ImmutableMatrix], expr: sp.Basic) -> sp.ImmutableMatrix:
        """The factors multiplied in their written order; a 1x1 factor scales; a shape mismatch is a CheckFailed."""
        result = factors[0]
        for factor in factors[1:]:
            if result.shape == (1, 1) and factor.shape != (1, 1):
                result = sp.ImmutableMatrix(result[0, 0] * factor)
            elif factor.shape == (1, 1) and result.shape != (1, 1):
                result = sp.ImmutableMatrix(result * factor[0, 0])
            elif result.shape[1] != factor.shape[0]:
                raise self.fail(f"in {expr} a {_shape(result)} matrix is multiplied by a {_shape(factor)} one: the factors are out of order")
            else:
                result = sp.ImmutableMatrix(result * factor)
        return result

    def ordered(self, expr: Ordered, env: Env) -> sp.ImmutableMatrix:
        """An ordered product: its index runs over its limits in the order the object states (leftmost factor first)."""
        index = expr.limits[0]
        values = expr.indices(env)
        if not values:
            return sp.ImmutableMatrix(sp.eye(self.dim))
        return self.product([self.evaluate(expr.factor, {**env, index: j}) for j in values], expr)

    def sum(self, expr: sp.Sum, env: Env) -> sp.ImmutableMatrix:
        """A sum over one index, its limits evaluated at ``env``."""
        fail_unless(self.label, len(expr.limits) == 1, f"{expr} is not a sum over one index")
        index, lower, upper = expr.limits[0]
        bounds = [sp.sympify(sp.sympify(b).xreplace(env)) for b in (lower, upper)]
        if not all(isinstance(b, sp.Integer) for b in bounds):
            raise self.fail(f"the limits of {expr} are not fixed on the instance")
        terms = [self.evaluate(expr.function, {**env, index: kk}) for kk in range(int(bounds[0]), int(bounds[1]) + 1)]
        if not terms:
            raise self.fail(f"{expr} has no terms on the instance")
        return self.evaluate_sum(terms, expr)

    def evaluate_sum(self, terms: list[sp.ImmutableMatrix], expr: sp.Basic) -> sp.ImmutableMatrix:
        if len({t.shape for t in terms}) != 1:
            raise self.fail(f"the terms of {expr} have shapes {[_shape(t) for t in terms]}")
        return sp.ImmutableMatrix(sum(terms[1:], terms[0]))


# -- statement 1 ----------------------------------------------------------------------------------------------------


def _equation(label: str, math: sp.Basic) -> tuple[Jacobian, sp.Basic]:
    fail_unless(label, isinstance(math, sp.Eq) and isinstance(math.lhs, Jacobian), f"{math} is not an equation with a Jacobian on the left")
    return math.lhs, math.rhs


def _time_symbol(label: str, quantity: sp.Basic, what: str) -> sp.Symbol:
    """The one symbol in the index of the printed quantity (t in L_t), the time the statement is about."""
    symbols = sp.sympify(quantity.indices[0]).free_symbols if isinstance(quantity, sp.Indexed) and len(quantity.indices) == 1 else set()
    fail_unless(label, len(symbols) == 1, f"the {what} {quantity} is not indexed by one time symbol")
    (symbol,) = symbols
    assert isinstance(symbol, sp.Symbol)
    return symbol


def _entry_symbols(label: str, entry: sp.Basic) -> tuple[sp.Symbol, sp.Symbol]:
    ok = isinstance(entry, sp.Indexed) and len(entry.indices) == 2 and all(isinstance(i, sp.Symbol) for i in entry.indices)
    fail_unless(label, ok and entry.indices[0] != entry.indices[1], f"{entry} is not a general entry W_pq")
    p, q = entry.indices
    return p, q


def _entries(dim: int) -> Iterator[tuple[int, int]]:
    return ((p, q) for p in range(1, dim + 1) for q in range(1, dim + 1))


def check_bptt_sum(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 1: for every (p, q), the total derivative of the unrolled ell(s_t) in W_pq equals the printed sum, term by term."""
    label = "bptt-sum"
    lhs, rhs = _equation(label, math)
    fail_unless(label, lhs.kind == "total", f"the left side {lhs} is a {lhs.kind} derivative, not the total derivative of the loss")
    t = _time_symbol(label, lhs.numerator, "loss")
    p, q = _entry_symbols(label, lhs.denominator)
    fail_unless(label, isinstance(rhs, sp.Sum), f"the right side {rhs} is not a sum")
    lag, dim = context.config.lag, context.instance.dim
    tally = Tally(label)
    for pair in context.pairs:
        context.progress(f"{label}: {pair.label}")
        model = Unrolled(label, context.instance, pair, 0, lag)
        for pp, qq in _entries(dim):
            env = {t: lag, p: pp, q: qq}
            tally.compare(f"{pair.label}, entry ({pp}, {qq}), t = {lag}", model.jacobian(lhs, env), model.evaluate(rhs, env))
    st, m = context.statements, context.model
    k, w, s = st.idx.k, lhs.denominator, st.state
    return CheckResult(
        label,
        (
            "the left side is the total derivative of the unrolled loss ",
            sp.Eq(lhs.numerator, ELL(s(t)), evaluate=False),
            ", for a general ",
            ELL,
            ", in every entry ",
            w,
            " (the loss written out in ",
            s(0),
            " and ",
            m.W,
            ", and differentiated by the chain rule of its own operations, each shared sub-expression once)",
            "; the right side is the printed sum, its limits and the factors of its summand read from it and multiplied in their written order, ",
            "each factor computed from the model by its kind: the gradient of ",
            ELL,
            " at ",
            s(t),
            ", the Jacobian of the unrolled map from ",
            s(k),
            " to ",
            s(t),
            " entry by entry, the immediate partial with ",
            s(k - 1),
            " held fixed, or a total derivative through the whole unrolled past; compared exactly",
        ),
        _instance(context, sp.Eq(t, lag), sp.Eq(m.d, dim)),
        tally.count,
        ((f"{tally.count} exact comparisons: every entry ", w, f" for {len(context.pairs)} activations; the initial state ", s(0), " is free"),),
        summary=("exactly, against the derivative of the unrolled loss in every entry ", w, ", on ", sp.Eq(t, lag), ", ", sp.Eq(m.d, dim)),
    )


def _instance(context: CheckContext, *sizes: sp.Basic) -> Prose:
    """The instance in prose: the sizes, the general phi, the configured activations."""
    named = [sp.Symbol(ACTIVATIONS[name].symbol) for name in context.config.activations]
    listed: list[str | sp.Basic] = []
    for n, symbol in enumerate(named):
        listed += [", " if n else "", symbol]
    parts: list[str | sp.Basic] = []
    for n, size in enumerate(sizes):
        parts += [", " if n else "", size]
    return (*parts, ", ", context.model.phi, " general and ", *listed, ", every other quantity a free symbol")


# -- statement 2 ----------------------------------------------------------------------------------------------------


def check_product(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 2: the Jacobian of the unrolled map from s_k to s_t equals the printed product, multiplied in its stated order."""
    label = "product"
    lhs, rhs = _equation(label, math)
    fail_unless(label, isinstance(rhs, Ordered), f"the right side {rhs} is not an ordered product")
    assert isinstance(rhs, Ordered)
    t, k = _time_symbol(label, lhs.numerator, "state"), _time_symbol(label, lhs.denominator, "state")
    fail_unless(label, t != k, f"the left side {lhs} has one time index")
    lag, start = context.config.lag, 1
    env = {t: start + lag, k: start}
    tally = Tally(label)
    for pair in context.pairs:
        context.progress(f"{label}: {pair.label}")
        # s_0 free, one step beyond t so that a shifted factor is compared rather than out of range
        model = Unrolled(label, context.instance, pair, 0, start + lag + 1)
        written = rhs.indices(env)
        tally.compare(f"{pair.label}, t - k = {lag}, {len(written)} factors ({rhs.order})", model.jacobian(lhs, env), model.evaluate(rhs, env))
    m, j = context.model, rhs.limits[0]
    return CheckResult(
        label,
        (
            "the left side is the Jacobian of the unrolled map from ",
            lhs.denominator,
            " to ",
            lhs.numerator,
            ", entry by entry; the right side multiplies the printed factor ",
            rhs.factor,
            " for ",
            j,
            " from ",
            rhs.limits[1],
            " to ",
            rhs.limits[2],
            ", in the printed order (" + ("later steps on the left" if rhs.order == "later-left" else "earlier steps on the left") + "), ",
            "each factor the Jacobian of one step of the map; compared exactly",
        ),
        _instance(context, sp.Eq(difference(t, k), lag, evaluate=False), sp.Eq(k, start), sp.Eq(m.d, context.instance.dim)),
        tally.count,
        ((f"{tally.count} exact comparisons; the state ", context.statements.state(0), " is free and the factors are evaluated at the unrolled states"),),
        summary=(
            "exactly, against the Jacobian of the unrolled map, on ",
            sp.Eq(difference(t, k), lag, evaluate=False),
            ", ",
            sp.Eq(m.d, context.instance.dim),
        ),
    )


# -- statements 3 to 5 ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of the model as a chain s_{j-1} -> a_j -> s_j, in general d and on the explicit instance."""

    model: General
    instance: Instance

    @cached_property
    def order(self) -> tuple[sp.MatrixSymbol, ...]:
        return (self.model.s_prev, self.model.a_j, self.model.s_j)

    def position(self, label: str, vector: sp.Basic) -> int:
        fail_unless(label, vector in self.order, f"{vector} is not one of {', '.join(map(str, self.order))}")
        return self.order.index(vector)

    def general(self, label: str, top: sp.Basic, bottom: sp.Basic) -> sp.MatrixExpr:
        """``top`` as a matrix expression in ``bottom`` (general d), e.g. s_j = phi(W s_{j-1} + U x_j + b)."""
        m = self.model
        spelled: dict[int, sp.MatrixExpr] = {self.position(label, bottom): bottom}
        for n in range(self.position(label, bottom) + 1, 3):
            spelled[n] = m.W * spelled[n - 1] + m.U * m.x_j + m.b if n == 1 else m.elementwise(m.phi, spelled[n - 1])
        fail_unless(label, self.position(label, top) in spelled and top != bottom, f"{top} is not a function of {bottom} in one step of the model")
        return spelled[self.position(label, top)]

    def spell(self, label: str, expr: sp.Basic, bottom: sp.Basic) -> sp.Basic:
        """``expr`` with every vector downstream of ``bottom`` written out in terms of ``bottom`` (a_j = W s_{j-1} + U x_j + b)."""
        for n in (2, 1):
            if n > self.position(label, bottom):
                expr = expr.subs(self.order[n], self.general(label, self.order[n], bottom))
        return expr

    def explicit_jacobian(self, label: str, top: sp.Basic, bottom: sp.Basic, pair: ActivationPair) -> sp.ImmutableMatrix:
        """The Jacobian of the map from ``bottom`` to ``top`` on the instance, entry by entry."""
        free = self.explicit(bottom, pair)
        return sp.ImmutableMatrix(self.explicit(self.general(label, top, bottom), pair).jacobian(free))

    def explicit(self, expr: sp.Basic, pair: ActivationPair) -> sp.ImmutableMatrix:
        return self.instance.plain(self.model.explicit(expr, self.instance, pair, spell=False))


def check_matrix(label: str, math: sp.Basic, context: CheckContext, layout: Layout = numerator_layout) -> CheckResult:
    """Statements 3 to 5: the explicit Jacobian against the printed right side; in general d, matrix calculus after the layout conversion."""
    lhs, claim = _equation(label, math)
    fail_unless(label, lhs.kind == "partial", f"the left side {lhs} is not a partial derivative")
    fail_unless(label, isinstance(claim, sp.MatrixExpr), f"the right side {claim} is not a matrix expression")
    step, m = Step(context.model, context.instance), context.model
    top, bottom = lhs.numerator, lhs.denominator
    written = step.spell(label, claim, bottom)
    tally = Tally(label)
    for pair in context.pairs:
        tally.compare(f"{pair.label}, d = {context.instance.dim}", step.explicit_jacobian(label, top, bottom, pair), step.explicit(written, pair))
    raw = step.general(label, top, bottom).diff(bottom)
    converted = layout(raw)
    explicit = step.explicit_jacobian(label, top, bottom, m.generic)
    tally.compare("the layout conversion of SymPy's matrix calculus, against the explicit Jacobian", explicit, step.explicit(converted, m.generic))
    raw_bad = len(mismatches(explicit, step.explicit(raw, m.generic)))
    general, printed = canonical(converted.doit()), canonical(written.doit())
    tally.count += 1
    fail_unless(label, general == printed, f"general d: matrix calculus gives {general}, not {printed}")
    entries = context.instance.dim**2
    return CheckResult(
        label,
        (
            "on the instance, the Jacobian of the map from ",
            bottom,
            " to ",
            top,
            ", entry by entry, compared exactly with the right side; in general ",
            m.d,
            ", SymPy's matrix calculus (denominator layout) transposed to numerator layout equals the right side, ",
            "the transposition itself checked against the explicit Jacobian",
            *((" with ", m.W, " a matrix of independent symbols (general, in particular not symmetric)") if claim.has(m.W) else ()),
        ),
        _instance(context, sp.Eq(m.d, context.instance.dim)),
        tally.count,
        (
            ("matrix calculus, denominator layout: ", canonical(raw)),
            ("its transpose, numerator layout: ", general),
            (f"the untransposed result differs from the explicit Jacobian in {raw_bad} of {entries} entries",),
        ),
        summary=(
            "exactly, against the explicit Jacobian on ",
            sp.Eq(m.d, context.instance.dim),
            ", and by matrix calculus in general ",
            m.d,
        ),
    )


def matrix_check(label: str, layout: Layout = numerator_layout) -> Checker:
    """The check of statement 3, 4 or 5 under ``label``, with the given layout conversion (the identity leaves it out)."""

    def check(math: sp.Basic, context: CheckContext) -> CheckResult:
        return check_matrix(label, math, context, layout)

    check.__doc__ = f"Statement {label}: explicit Jacobian and matrix calculus, read from the printed equation."
    return check


check_diagonal = matrix_check("diagonal")
check_weight = matrix_check("weight")
check_per_step = matrix_check("per-step")

CHECKS: dict[str, Checker] = {
    "bptt-sum": check_bptt_sum,
    "product": check_product,
    "diagonal": check_diagonal,
    "weight": check_weight,
    "per-step": check_per_step,
}

"""A deep feed-forward network: the same chain with a weight of its own per layer (seeds 001 and 002).

s^{(j)} = phi(a^{(j)}), a^{(j)} = W^{(j)} s^{(j-1)} + b^{(j)}, j = 1 .. L, with W^{(j)} an n_j x n_{j-1}
matrix (the seeds write it w^{(j)T}). Statements 15 and 16 (one layer's Jacobian; the chain over layers)
are checked here, exactly, on explicit layers of unequal widths; statement 17 (the bound) in ball
arithmetic by verify (``verify.feedforward.check_ff_bound``).
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy.core.function import AppliedUndef

from ..algebra import mismatches
from ..checks import CheckContext, Tally, fail_unless, run_check
from ..config import Config
from ..document import CheckResult, Paragraph, Section, Statement
from ..errors import CheckFailed
from ..expressions import Chain, Jacobian, Layer, Norm, Ordered
from ..model import ActivationPair
from ..statements import Statements
from . import BuildContext
from .bound import GOLUB_VAN_LOAN

KEY = "feedforward"
#: (n_{j-1}, n_j) of the explicit layers statement 15 is checked on: square, wider and narrower.
LAYER_WIDTHS = ((1, 1), (2, 3), (3, 2))
#: The widths n_k, ..., n_L of the explicit networks statement 16 is checked on (L - k = 1, 2, 3 layers); the deepest
#: with the general phi only (each activation's case follows from it, and its nested formulas cost most of the check).
CHAIN_WIDTHS = ((2, 3), (3, 1, 2), (2, 3, 1, 2))
GENERAL_ONLY = (2, 3, 1, 2)

Env = Mapping[sp.Basic, sp.ImmutableMatrix]


EXACT = ("ff-layer", "ff-chain")


def prepare(config: Config) -> dict[str, tuple[str, CheckResult]]:
    """Statements 15 and 16 (as their srepr) with their exact checks, run where the build's preparations run (a forked
    worker when it can: half a second the main process's checks then cover)."""
    context = CheckContext(config)
    return {label: (sp.srepr(context.statements[label]), run_check(CHECKS, label, context.statements[label], context)) for label in EXACT}


def build(context: BuildContext) -> Section:
    st, m = context.statements, context.model
    n = m.notation
    j, k, L = st.idx.j, st.idx.k, st.layers
    s, a, W, b = (st.layer(role, j) for role in ("state", "preactivation", "weight", "bias"))
    intro = Paragraph(
        (
            "A deep feed-forward network has the same chain, with a weight matrix of its own per layer and no time: ",
            sp.Eq(s, m.phi(a), evaluate=False),
            " with ",
            sp.Eq(a, sp.Add(sp.Mul(W, st.layer("state", j - 1), evaluate=False), b, evaluate=False), evaluate=False),
            " for ",
            sp.Symbol(f"j = 1, \\dots, {L}"),
            ", where ",
            W,
            " maps the ",
            sp.Symbol(r"n_{j-1}"),
            " units of one layer to the ",
            sp.Symbol(r"n_j"),
            " of the next (some texts store the transpose, ",
            sp.Eq(sp.Symbol(r"w^{(j)}"), sp.Symbol(r"W^{(j)\top}"), evaluate=False),
            ", and write ",
            sp.Symbol(rf"{n.preactivation}^{{(j)}} = w^{{(j)\top}} {n.state}^{{(j-1)}} + b^{{(j)}}"),
            "). The layers' widths may differ, so the Jacobians are rectangular.",
        )
    )
    layer_math, layer_result = context.established(KEY, prepare, "ff-layer")
    layer = Statement(
        "ff-layer",
        "One layer's Jacobian",
        layer_math,
        (
            "Entry ",
            sp.Symbol("(p, q)"),
            " is ",
            sp.Eq(
                sp.Symbol(rf"\partial {n.state}^{{(j)}}_p / \partial {n.state}^{{(j-1)}}_q"),
                sp.Symbol(rf"{n.activation}'({n.preactivation}^{{(j)}}_p) W^{{(j)}}_{{pq}}"),
                evaluate=False,
            ),
            " by the chain rule through ",
            sp.Symbol(rf"{n.preactivation}^{{(j)}}_p"),
            ", as for the recurrent step ",
            context.ref("per-step"),
            ".",
        ),
        (layer_result,),
    )
    chain_math, chain_result = context.established(KEY, prepare, "ff-chain")
    chain = Statement(
        "ff-chain",
        "The chain over the layers",
        chain_math,
        (
            st.layer("state", L),
            " depends on ",
            st.layer("state", k),
            " only through the layers in between; the chain rule multiplies their Jacobians, later layers on the left, as ",
            context.ref("product"),
            " multiplies the steps. There are ",
            sp.Add(L, -k, evaluate=False),
            " factors, each of its own shape.",
        ),
        (chain_result,),
    )
    bound_math, bound_result = context.establish("ff-bound")
    one = Norm(st.layer_step)
    bound = Statement(
        "ff-bound",
        "The bound with a weight per layer",
        bound_math,
        (
            "By ",
            context.ref("ff-layer"),
            ", ",
            context.ref("diagonal-norm"),
            " and ",
            context.ref("submultiplicative"),
            " each factor satisfies ",
            Chain(one, "<=", sp.Mul(st.gamma, Norm(W), evaluate=False)),
            ": ",
            context.ref("diagonal-norm"),
            " holds whatever the length of ",
            a,
            ", and ",
            context.ref("submultiplicative"),
            " for rectangular matrices too. ",
            context.ref("submultiplicative"),
            " then multiplies the factors of ",
            context.ref("ff-chain"),
            ". If every ",
            sp.Le(Norm(W), st.lam),
            ", the right side is at most ",
            sp.Pow(st.gamma * st.lam, sp.Symbol(f"{L} - {k}"), evaluate=False),
            ": ",
            context.ref("bound"),
            ", with layers in place of steps.",
        ),
        (bound_result, GOLUB_VAN_LOAN),
    )
    r = sp.Symbol("r")
    scaled = sp.Mul(st.gamma, Norm(W), evaluate=False)
    after = Paragraph(
        (
            "So the same bound governs a deep network: if every ",
            sp.Le(scaled, r),
            " with ",
            sp.Lt(r, 1),
            ", the Jacobian vanishes geometrically with depth, and growth needs some ",
            sp.Gt(scaled, 1),
            " (necessary, not sufficient, as for ",
            context.ref("regimes"),
            "). With the sigmoid, ",
            sp.Eq(st.gamma, sp.Rational(1, 4)),
            ", so layers with ",
            sp.Le(Norm(W), st.lam),
            " for a ",
            sp.Lt(st.lam, 4),
            " make the bound shrink at least like ",
            sp.Pow(st.lam / 4, sp.Symbol(f"{L} - {k}"), evaluate=False),
            ". What differs from the recurrent case is that each layer's weight may be scaled on its own. Glorot's and He's "
            "initialisations choose the variance of the entries so that the variance of activations and gradients stays roughly "
            "constant from layer to layer; that is an average-case criterion, and the 2-norm of such a matrix is about ",
            sp.Integer(2),
            " or more, so this bound alone does not explain why they work. Orthogonal initialisation, with every singular value ",
            sp.Integer(1),
            ", is the one that sets ",
            sp.Eq(Norm(W), 1, evaluate=False),
            ".",
        )
    )
    return Section(KEY, "Deep feed-forward networks", (intro, layer, chain, bound, after))


# -- the checks ----------------------------------------------------------------------------------------------------


def _layer_index(label: str, expr: sp.Basic, base: str) -> sp.Expr:
    fail_unless(label, isinstance(expr, Layer) and str(expr.base) == base, f"{expr} is not {base} at a layer")
    assert isinstance(expr, Layer)
    return expr.index


def _vector(name: str, n: int) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(n, 1, lambda i, _: sp.Symbol(f"{name}_{i + 1}"))


def _matrix(name: str, rows: int, cols: int) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(rows, cols, lambda i, q: sp.Symbol(f"{name}_{i + 1}{q + 1}"))


def _layer_env(st: Statements, pair: ActivationPair, index: sp.Expr, previous: sp.ImmutableMatrix, n: int, tag: str) -> dict[sp.Basic, sp.ImmutableMatrix]:
    """Layer ``index`` of an explicit network from the explicit state ``previous``: its weight, bias, pre-activation and state."""
    W, b = _matrix(f"W{tag}", n, previous.shape[0]), _vector(f"b{tag}", n)
    a = sp.ImmutableMatrix(W * previous + b)
    layer = st.layer
    return {
        layer("weight", index): W,
        layer("bias", index): b,
        layer("preactivation", index): a,
        layer("state", index): a.applyfunc(pair.phi),
    }


def evaluate(expr: sp.Basic, env: Env, pair: ActivationPair, label: str) -> sp.ImmutableMatrix:
    """The printed right side as an explicit matrix: layers looked up in ``env``, diag(phi'(v)) built entry by entry with the
    pair's phi', a product multiplied in its written order, a Jacobian of two layers' states differentiated, an Ordered product
    expanded for its index's values."""
    if isinstance(expr, Layer):
        fail_unless(label, expr in env, f"{expr} is no layer of the explicit network")
        return env[expr]
    if isinstance(expr, sp.Mul):
        scale = sp.Mul(*(factor for factor in expr.args if factor.is_number))  # numbers are scalars wherever they stand
        matrices = [evaluate(factor, env, pair, label) for factor in expr.args if not factor.is_number]
        fail_unless(label, matrices != [], f"{expr} is a number, not a matrix")
        return sp.ImmutableMatrix(_multiply(matrices, label, expr) * scale)
    if isinstance(expr, AppliedUndef) and expr.func.__name__ == r"\operatorname{diag}":
        (inner,) = expr.args
        fail_unless(label, isinstance(inner, AppliedUndef) and len(inner.args) == 1, f"diag of {inner}, not of a slope at a vector")
        vector = evaluate(inner.args[0], env, pair, label)
        fail_unless(label, vector.shape[1] == 1, f"{inner.args[0]} is not a vector")
        fail_unless(label, inner.func.__name__.endswith("'"), f"diag of {inner}: not a slope")
        return sp.ImmutableMatrix(sp.diag(*[pair.phi_prime(v) for v in vector]))
    if isinstance(expr, Jacobian):
        top, bottom = evaluate(expr.numerator, env, pair, label), evaluate(expr.denominator, env, pair, label)
        fail_unless(label, all(v.is_Symbol for v in bottom), f"{expr.denominator} is not a free layer of the explicit network")
        return sp.ImmutableMatrix(top.jacobian(bottom))
    raise CheckFailed(label, f"{expr} ({type(expr).__name__}) is not something the explicit network gives a value to")


def _multiply(factors: list[sp.ImmutableMatrix], label: str, expr: sp.Basic) -> sp.ImmutableMatrix:
    result = factors[0]
    for value in factors[1:]:
        fail_unless(label, result.shape[1] == value.shape[0], f"the factors of {expr} do not conform ({result.shape} then {value.shape})")
        result = sp.ImmutableMatrix(result * value)
    return result


def check_ff_layer(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 15: the Jacobian of one explicit layer s = phi(W s_prev + b) against the printed right side, entry by entry,
    for the general phi and each configured activation, on layers of widths LAYER_WIDTHS (square, wider, narrower)."""
    label = "ff-layer"
    fail_unless(label, isinstance(math, sp.Eq) and isinstance(math.lhs, Jacobian), f"{math} is not a Jacobian set equal to a matrix")
    st, n = context.statements, context.model.notation
    j = _layer_index(label, math.lhs.numerator, n.state)
    previous_index = _layer_index(label, math.lhs.denominator, n.state)
    fail_unless(label, sp.simplify(j - previous_index - 1) == 0, f"{math.lhs} is not a layer's Jacobian by the layer before it")
    tally = _Compare(label)
    for widths in LAYER_WIDTHS:
        previous = _vector("s", widths[0])
        for pair in context.pairs:
            env = {st.layer("state", previous_index): previous, **_layer_env(st, pair, j, previous, widths[1], "")}
            lhs = sp.ImmutableMatrix(env[st.layer("state", j)].jacobian(previous))
            tally.compare(f"{pair.label}, n = {widths}", lhs, evaluate(math.rhs, env, pair, label))
    return CheckResult(
        label,
        (
            "the left side is the Jacobian of one explicit layer ",
            sp.Eq(sp.Symbol(n.state), sp.Symbol(rf"{n.activation}(W {n.state}' + b)"), evaluate=False),
            ", entry by entry; the right side is evaluated from the printed factors; compared exactly, for the general ",
            context.model.phi,
            " and each activation",
        ),
        (sp.Symbol(", ".join(f"({p}, {q})" for p, q in LAYER_WIDTHS)), " as the widths ", sp.Symbol("(n_{j-1}, n_j)")),
        tally.count,
        summary=("exactly, against the Jacobian of an explicit layer, on layers ", *_widths_text(LAYER_WIDTHS)),
    )


def _widths_text(widths: tuple[tuple[int, ...], ...]) -> tuple[str | sp.Basic, ...]:
    return ("of widths ", sp.Symbol(", ".join("(" + ", ".join(str(w) for w in ws) + ")" for ws in widths)))


def check_ff_chain(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 16: the Jacobian of an explicit network from layer k to layer L against the printed ordered product of the
    layers' Jacobians, multiplied in its stated order; widths CHAIN_WIDTHS (rectangular factors: a wrong order does not conform)."""
    label = "ff-chain"
    fail_unless(label, isinstance(math, sp.Eq) and isinstance(math.lhs, Jacobian), f"{math} is not a Jacobian set equal to a product")
    fail_unless(label, isinstance(math.rhs, Ordered), f"the right side {math.rhs} is not an ordered product")
    st, n = context.statements, context.model.notation
    top = _layer_index(label, math.lhs.numerator, n.state)
    bottom = _layer_index(label, math.lhs.denominator, n.state)
    fail_unless(label, top.free_symbols and bottom.free_symbols and top != bottom, f"{math.lhs} is not between two general layers")
    tally = _Compare(label)
    start = 1
    for widths in CHAIN_WIDTHS:
        count = len(widths) - 1
        values = {bottom: start, top: start + count}
        fail_unless(label, len(values) == 2, f"{math.lhs}: one index for both ends")
        for pair in context.pairs if widths != GENERAL_ONLY else context.pairs[:1]:
            state = _vector("s", widths[0])
            env: dict[sp.Basic, sp.ImmutableMatrix] = {st.layer("state", start): state}
            for layer, n_out in enumerate(widths[1:], start=start + 1):
                env.update(_layer_env(st, pair, layer, env[st.layer("state", layer - 1)], n_out, str(layer)))
            lhs = sp.ImmutableMatrix(env[st.layer("state", start + count)].jacobian(state))
            rhs = _ordered_value(math.rhs.xreplace(values), st, pair, widths, start, label)
            tally.compare(f"{pair.label}, widths {widths}", lhs, rhs)
    return CheckResult(
        label,
        (
            "the left side is the Jacobian of an explicit network from layer ",
            bottom,
            " to layer ",
            top,
            ", entry by entry; the right side multiplies the printed factor ",
            math.rhs.factor,
            " for each layer in between, in the printed order (",
            "later layers on the left" if math.rhs.order == "later-left" else "earlier layers on the left",
            "), each the Jacobian of its own layer at the network's states; compared exactly",
        ),
        (
            "networks ",
            *_widths_text(CHAIN_WIDTHS),
            ": one to three layers, for the general ",
            context.model.phi,
            " and (on the first two) each activation",
        ),
        tally.count,
        summary=("exactly, against the Jacobian of an explicit network, on networks ", *_widths_text(CHAIN_WIDTHS)),
    )


def _ordered_value(product: Ordered, st: Statements, pair: ActivationPair, widths: tuple[int, ...], start: int, label: str) -> sp.ImmutableMatrix:
    """The printed ordered product at concrete ends: each factor d s^(j)/d s^(j-1) the Jacobian of layer j by a free copy of
    layer j-1's state, then evaluated at the network's states (so the product is the chain rule's, factor by factor)."""
    index, lower, upper = product.limits
    fail_unless(label, lower.is_Integer and upper.is_Integer, f"{product} does not have concrete ends")
    states: dict[int, sp.ImmutableMatrix] = {start: _vector("s", widths[0])}
    free: dict[int, sp.ImmutableMatrix] = {start: states[start]}
    envs: dict[int, dict[sp.Basic, sp.ImmutableMatrix]] = {}
    layer = st.layer
    for j, n_out in enumerate(widths[1:], start=start + 1):
        free[j - 1] = free.get(j - 1, _vector(f"f{j - 1}", widths[j - 1 - start]))
        envs[j] = {layer("state", j - 1): free[j - 1], **_layer_env(st, pair, j, free[j - 1], n_out, str(j))}
        states[j] = sp.ImmutableMatrix(envs[j][layer("state", j)].xreplace(dict(zip(free[j - 1], states[j - 1], strict=True))))
    factors = []
    for v in product.indices({}):
        j = int(v)
        fail_unless(label, j in envs, f"the factor at {index} = {j} is outside the network's layers {start + 1} .. {start + len(widths) - 1}")
        value = evaluate(product.factor.xreplace({index: j}), envs[j], pair, label)
        factors.append(sp.ImmutableMatrix(value.xreplace(dict(zip(free[j - 1], states[j - 1], strict=True)))))
    fail_unless(label, factors != [], f"{product} has no factors")
    return _multiply(factors, label, product)


class _Compare(Tally):
    def compare(self, what: str, lhs: sp.ImmutableMatrix, rhs: sp.ImmutableMatrix) -> None:
        fail_unless(
            self.label, lhs.shape == rhs.shape, f"{what}: the left side is {lhs.shape[0]}x{lhs.shape[1]} but the right side {rhs.shape[0]}x{rhs.shape[1]}"
        )
        bad = mismatches(lhs, rhs)
        self.count += lhs.shape[0] * lhs.shape[1]
        fail_unless(self.label, not bad, f"{what}: entries {[(i + 1, q + 1) for i, q in bad[:4]]} differ")


CHECKS = {"ff-layer": check_ff_layer, "ff-chain": check_ff_chain}

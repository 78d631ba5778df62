"""The check of the feed-forward bound (statement 17), ||ds^{(L)}/ds^{(k)}||_2 <= prod_{j=k+1}^{L} gamma ||W^{(j)}||_2, in ball arithmetic.

The printed statement is read: its left side must be the 2-norm of the Jacobian between two general layers,
its right side a product over a layer index, which is evaluated as printed (gamma, the norms of the layers'
weights, any factor the product holds) at every k of each network. Each network is run in balls (python-flint,
``BITS`` bits): its pre-activations, the layers' Jacobians diag(phi'(a^{(j)})) W^{(j)}, their products and
the 2-norms of those (``verify.enclose.norm_enclosure``). The relation is proved where the left side's upper
end is below the right side's lower end. On the witnesses (square layers W^{(j)} = lambda_j Q_j, Q_j
orthogonal, every pre-activation held at the argmax of |phi'|) it must also hold with equality to ATTAINED:
a bound with a factor too many or too few fails there.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from flint import arb, arb_mat

from derive.activations import derive_gamma
from derive.checks import CheckContext, fail_unless
from derive.document import CheckResult
from derive.errors import CheckFailed
from derive.expressions import Chain, Jacobian, Layer, Norm
from derive.interval import compile_ball

from .enclose import BITS, ball_activation, ball_matrix, diagonal, norm_enclosure, precision
from .numeric_checks import ATTAINED, decide, equal

LABEL = "ff-bound"
SEED = 17
#: Random networks per activation: 1 to 5 layers, each 1 to 5 units wide, Gaussian weights of norm 0.3 to 4.
RANDOM_NETWORKS = 10
#: The witnesses' layer norms lambda_j (square layers of width 3): their products run from below 1 to above.
WITNESS_NORMS = ((0.5, 3.0, 1.5), (4.0, 0.8), (2.0, 2.0, 2.0, 2.0))


class _Network:
    """One deep network in balls: its weights, the layers' Jacobians J_1 .. J_L, and their products' 2-norm enclosures."""

    def __init__(self, name: str, weights: list[np.ndarray], biases: list[np.ndarray], s0: np.ndarray) -> None:  # noqa: D107
        act = ball_activation(name)
        self.weights = [ball_matrix(W) for W in weights]
        self.jacobians: list[arb_mat] = []
        s = ball_matrix(s0)
        for W, b in zip(self.weights, biases, strict=True):
            a = W * s + ball_matrix(b)
            values = [a[i, 0] for i in range(a.nrows())]
            self.jacobians.append(diagonal([act.slope(v) for v in values]) * W)
            s = arb_mat([[act.phi(v)] for v in values])

    @property
    def layers(self) -> int:
        return len(self.weights)

    def product_norm(self, k: int) -> tuple[arb, arb]:
        """(lo, hi) around ||J_L ... J_{k+1}||_2 (layers counted from 1)."""
        P = self.jacobians[-1]
        for J in reversed(self.jacobians[k:-1]):
            P = P * J
        return norm_enclosure(P)


def _read(math: sp.Basic, context: CheckContext) -> tuple[sp.Expr, sp.Expr, sp.Product]:
    """(L, k, the printed right side) from Norm(d s^(L) / d s^(k)) <= prod."""
    fail_unless(LABEL, isinstance(math, Chain) and len(math.args) == 3 and str(math.args[1]) == "<=", f"{math} is not one inequality")
    left, _, right = math.args
    fail_unless(LABEL, isinstance(left, Norm) and left.args[1] == 2 and isinstance(left.args[0], Jacobian), f"{left} is not the 2-norm of a Jacobian")
    jacobian = left.args[0]
    state = context.model.notation.state
    for end in (jacobian.numerator, jacobian.denominator):
        fail_unless(LABEL, isinstance(end, Layer) and str(end.base) == state, f"{end} is not a layer's state")
    top, bottom = jacobian.numerator.index, jacobian.denominator.index
    fail_unless(LABEL, top != bottom and top.free_symbols and bottom.free_symbols, f"{jacobian} is not between two general layers")
    fail_unless(LABEL, isinstance(right, sp.Product), f"the right side {right} is not a product over the layers")
    return top, bottom, right


def _value(expr: sp.Basic, network: _Network, gamma: tuple[sp.Symbol, arb], weight: str) -> arb:
    """The printed right side's factor as a ball: numbers exactly, gamma, the norm of a layer's weight (its enclosure, both
    ends), and products of those; anything else (a power, a sum, a function) is not the bound's and is refused."""
    if expr == gamma[0]:
        return gamma[1]
    if expr.is_Number:
        return compile_ball(expr, sp.Dummy())(arb(0))
    if isinstance(expr, Norm):
        inner, p = expr.args
        fail_unless(LABEL, p == 2 and isinstance(inner, Layer) and str(inner.base) == weight, f"{expr} is not the 2-norm of a layer's weight")
        j = inner.index
        fail_unless(LABEL, j.is_Integer and 1 <= int(j) <= network.layers, f"{expr}: layer {j} is not one of the network's 1 .. {network.layers}")
        lo, hi = norm_enclosure(network.weights[int(j) - 1])
        return lo.union(hi)
    if isinstance(expr, sp.Mul):
        result = arb(1)
        for part in expr.args:
            result *= _value(part, network, gamma, weight)
        return result
    raise CheckFailed(LABEL, f"{expr} is not a number, gamma or a layer's weight norm")


def _product(right: sp.Product, network: _Network, gamma: tuple[sp.Symbol, arb], weight: str, ends: dict[sp.Expr, int]) -> arb:
    """The printed product over its index, at concrete ends, in balls."""
    body, (index, lower, upper) = right.args[0], right.args[1]
    low, high = sp.sympify(lower).subs(ends), sp.sympify(upper).subs(ends)
    fail_unless(LABEL, low.is_Integer and high.is_Integer, f"the product's range {lower} .. {upper} is not concrete at {ends}")
    result = arb(1)
    for j in range(int(low), int(high) + 1):
        factor = body.xreplace({index: j})
        result *= _value(factor, network, gamma, weight)
    return result


def _networks(name: str) -> list[tuple[_Network, bool]]:
    """Random networks of unequal widths, and the witnesses (square, every pre-activation at the argmax) of ``name``."""
    rng = np.random.default_rng(SEED)
    found = []
    for _ in range(RANDOM_NETWORKS):
        layers = int(rng.integers(1, 6))
        widths = [int(w) for w in rng.integers(1, 6, size=layers + 1)]
        weights: list[np.ndarray] = []
        for n_in, n_out in zip(widths, widths[1:], strict=False):
            G = rng.standard_normal((n_out, n_in))
            weights.append(G / np.linalg.norm(G, 2) * float(rng.uniform(0.3, 4.0)))
        biases: list[np.ndarray] = [np.asarray(rng.standard_normal(W.shape[0])) for W in weights]
        found.append((_Network(name, weights, biases, rng.standard_normal(widths[0])), False))
    argmax = derive_gamma(name).argmax
    assert argmax is not None
    z = float(argmax)
    held = float(ball_activation(name).phi(arb(z)).mid())  # phi(z*): 1/2 for the sigmoid, 0 for tanh, exact in floats
    for norms in WITNESS_NORMS:
        weights = [lam * np.linalg.qr(rng.standard_normal((3, 3)))[0] for lam in norms]
        biases = [z - W @ np.full(3, held) for W in weights]
        found.append((_Network(name, weights, biases, np.full(3, held)), True))
    return found


def check_ff_bound(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 17 read and proved at every k of random deep networks of unequal widths, and attained on the witnesses."""
    top, bottom, right = _read(math, context)
    st = context.statements
    weight = st.LAYER_WEIGHT
    proved = held = attained = networks = 0
    with precision(BITS):
        for name in context.config.activations:
            gamma = (st.gamma, compile_ball(derive_gamma(name).gamma, sp.Dummy())(arb(0)))
            for network, witness in _networks(name):
                networks += 1
                for k in range(network.layers):
                    lo, hi = network.product_norm(k)
                    bound = _product(right, network, gamma, weight, {top: network.layers, bottom: k})
                    where = f"{name}, {'a witness' if witness else 'a random network'} of {network.layers} layers, k = {k}"
                    outcome = decide(lo.union(hi), "<=", bound)
                    if outcome is None:
                        raise CheckFailed(LABEL, f"the bound fails on {where}: the norm is up to {hi.str(10)}, the printed product {bound.str(10)}")
                    proved += outcome == "proved"
                    held += outcome == "equal"
                    if witness:
                        if not equal(lo.union(hi), bound, ATTAINED):
                            raise CheckFailed(
                                LABEL,
                                f"the bound is not attained on {where}: norm {lo.union(hi).str(10)}, product {bound.str(10)}; it is weaker than the sharp one",
                            )
                        attained += 1
    count = sp.Integer(networks)
    return CheckResult(
        LABEL,
        (
            "the printed product evaluated as written at every ",
            st.idx.k,
            " of each network, in ball arithmetic (",
            sp.Integer(BITS),
            "-bit balls: the forward run, the layers' Jacobians, their products and the 2-norms enclosed), the norm's upper end "
            "below the product's lower end; on the witnesses, square layers ",
            sp.Symbol(r"W^{(j)} = \lambda_j Q_j"),
            " with every pre-activation at the argmax of the slope, equal to a relative ",
            sp.Float(ATTAINED, 2),
        ),
        (
            count,
            " networks: random ones of ",
            sp.Integer(1),
            " to ",
            sp.Integer(5),
            " layers, each ",
            sp.Integer(1),
            " to ",
            sp.Integer(5),
            " units wide, and ",
            sp.Integer(len(WITNESS_NORMS)),
            " witnesses per activation",
        ),
        proved + held + attained,
        ((f"{proved} inequalities proved in strict ball order, {held} held with equality to the balls' width, {attained} attained on witnesses",),),
        summary=(
            "in ball arithmetic, at every ",
            st.idx.k,
            " of ",
            sp.Integer(networks // max(len(context.config.activations), 1)),
            " networks per activation, among them square witnesses that attain it",
        ),
    )


CHECKS = {LABEL: check_ff_bound}

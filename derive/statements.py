"""Every statement the report prints, as a SymPy object, in the notation of the model.

This is the one place a statement is written. The report prints these objects,
and each check reads the object it is given (``derive.check_statement``), so a
statement changed here is a statement checked differently, never one that is
printed one way and checked another.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import sympy as sp

from .activations import ACTIVATIONS, derive_gamma
from .expressions import Chain, Conjunction, Extremum, Jacobian, Layer, Norm, Ordered
from .model import General, difference

#: The labels of the statements, in the order the report prints them.
LABELS = (
    "bptt-sum",
    "product",
    "diagonal",
    "weight",
    "per-step",
    "gamma",
    "diagonal-norm",
    "submultiplicative",
    "bound",
    "regimes",
    "sharper",
    "linear-power",
    "diagonalised",
    "gelfand",
    "ff-layer",
    "ff-chain",
    "ff-bound",
    "truncation",
    "clipping",
    "lstm",
    "gru",
)


@dataclass(frozen=True)
class Indices:
    """The time indices t, k, j and the weight-entry indices p, q of the statements."""

    t: sp.Symbol = sp.Symbol("t", integer=True, positive=True)
    k: sp.Symbol = sp.Symbol("k", integer=True, positive=True)
    j: sp.Symbol = sp.Symbol("j", integer=True, positive=True)
    p: sp.Symbol = sp.Symbol("p", integer=True, positive=True)
    q: sp.Symbol = sp.Symbol("q", integer=True, positive=True)
    i: sp.Symbol = sp.Symbol("i", integer=True, positive=True)


@dataclass(frozen=True)
class Statements:
    """The statements as the report prints them, for the model's notation and the configured activations."""

    model: General
    activations: tuple[str, ...] = ("sigmoid", "tanh")
    idx: Indices = Indices()

    def name(self, role: str, index: object) -> sp.Indexed:
        """A role at an index, e.g. ``name("state", t)`` is s_t: an Indexed, so substituting t = 4 gives s_4."""
        return sp.Indexed(sp.IndexedBase(getattr(self.model.notation, role)), sp.sympify(index))

    def state(self, index: object) -> sp.Indexed:
        return self.name("state", index)

    @cached_property
    def gamma(self) -> sp.Symbol:
        return sp.Symbol(self.model.notation.gamma)

    @cached_property
    def lam(self) -> sp.Symbol:
        return sp.Symbol(self.model.notation.lam)

    @cached_property
    def weight_entry(self) -> sp.Expr:
        """W_pq, one entry of the recurrent weights."""
        return sp.Indexed(sp.IndexedBase(self.model.notation.recurrent_weight), self.idx.p, self.idx.q)

    # 1-5: the chain

    @cached_property
    def bptt_sum(self) -> sp.Eq:
        """dL_t/dW_pq = sum_{k=1}^t dL_t/ds_t ds_t/ds_k d+s_k/dW_pq, for every entry (p, q); the left side a total derivative."""
        t, k = self.idx.t, self.idx.k
        loss, s_t, s_k, w = self.name("loss", t), self.state(t), self.state(k), self.weight_entry
        summand = Jacobian(loss, s_t) * Jacobian(s_t, s_k) * Jacobian(s_k, w, "immediate")
        return sp.Eq(Jacobian(loss, w, "total"), sp.Sum(summand, (k, 1, t)), evaluate=False)

    @cached_property
    def one_step(self) -> Jacobian:
        """ds_j/ds_{j-1}."""
        j = self.idx.j
        return Jacobian(self.state(j), self.state(j - 1))

    @cached_property
    def product(self) -> sp.Eq:
        """ds_t/ds_k = ds_t/ds_{t-1} ds_{t-1}/ds_{t-2} ... ds_{k+1}/ds_k: j = k+1 .. t, later steps on the left."""
        t, k, j = self.idx.t, self.idx.k, self.idx.j
        product = Ordered(self.one_step, j, k + 1, t, "later-left")
        return sp.Eq(Jacobian(self.state(t), self.state(k)), product, evaluate=False)

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
        return sp.Eq(Jacobian(m.s_j, m.s_prev), sp.DiagMatrix(m.elementwise(m.phi_prime, m.a_j)) * m.W, evaluate=False)

    # 6-10: the bound

    def gamma_of(self, name: str) -> sp.Symbol:
        """gamma with the activation's symbol as subscript, e.g. gamma_sigma."""
        return sp.Symbol(f"{self.model.notation.gamma}_{{{ACTIVATIONS[name].symbol}}}")

    def slope_of(self, name: str, z: sp.Symbol) -> sp.Expr:
        """The slope of a registered activation, printed as its symbol primed, e.g. sigma'(z)."""
        return sp.Function(ACTIVATIONS[name].symbol + "'")(z)

    @cached_property
    def gamma_statement(self) -> Conjunction:
        """gamma_phi = sup_z |phi'(z)| = value, one equation per configured activation."""
        z = sp.Symbol(self.model.notation.variable, real=True)
        return Conjunction(
            *(Chain(self.gamma_of(name), "=", Extremum(sp.Abs(self.slope_of(name, z)), z), "=", derive_gamma(name, str(z)).gamma) for name in self.activations)
        )

    @cached_property
    def diagonal_norm(self) -> Chain:
        """||diag(phi'(a_j))||_2 = max_i |phi'(a_{j,i})| <= gamma."""
        m, i = self.model, self.idx.i
        entry = sp.Symbol(m.notation.indexed("preactivation", "j,i"))
        return Chain(Norm(sp.DiagMatrix(m.elementwise(m.phi_prime, m.a_j))), "=", Extremum(sp.Abs(m.phi_prime(entry)), i, "max"), "<=", self.gamma)

    @cached_property
    def submultiplicative(self) -> sp.Le:
        d = self.model.d
        A, B = sp.MatrixSymbol("A", d, d), sp.MatrixSymbol("B", d, d)
        return sp.Le(Norm(A * B), Norm(A) * Norm(B), evaluate=False)

    @cached_property
    def bound(self) -> Chain:
        """||ds_t/ds_k||_2 <= (gamma lambda)^(t-k)."""
        t, k = self.idx.t, self.idx.k
        return Chain(Norm(Jacobian(self.state(t), self.state(k))), "<=", sp.Pow(self.gamma * self.lam, difference(t, k), evaluate=False))

    @cached_property
    def regimes(self) -> Conjunction:
        """gamma lambda < 1 implies the norm, below the bound, tends to 0 as t grows; unbounded norms imply gamma lambda > 1."""
        t, k = self.idx.t, self.idx.k
        rate = self.gamma * self.lam
        lag = difference(t, k)
        norm = Norm(Jacobian(self.state(t), self.state(k)))
        vanishing = Chain(sp.Lt(rate, 1), "=>", sp.Limit(norm, t, sp.oo), "<=", sp.Limit(sp.Pow(rate, lag, evaluate=False), t, sp.oo), "=", sp.S.Zero)
        exploding = Chain(sp.Eq(sp.Limit(norm, t, sp.oo, "+"), sp.oo, evaluate=False), "=>", sp.Gt(rate, 1))
        return Conjunction(vanishing, exploding)

    @cached_property
    def sharper(self) -> Chain:
        """||ds_t/ds_k||_2 <= lambda^(t-k) prod_{j=k+1}^{t} max_i |phi'(a_{j,i})| <= (gamma lambda)^(t-k): the slopes reached, not their supremum."""
        m, t, k, j, i = self.model, self.idx.t, self.idx.k, self.idx.j, self.idx.i
        entry = sp.Symbol(m.notation.indexed("preactivation", "j,i"))
        reached = Extremum(sp.Abs(m.phi_prime(entry)), i, "max")
        norm = Norm(Jacobian(self.state(t), self.state(k)))
        product = sp.Mul(sp.Pow(self.lam, difference(t, k), evaluate=False), sp.Product(reached, (j, k + 1, t)), evaluate=False)
        return Chain(norm, "<=", product, "<=", sp.Pow(self.gamma * self.lam, difference(t, k), evaluate=False))

    @cached_property
    def linear_power(self) -> sp.Eq:
        """With the identity for phi (a linear RNN), ds_t/ds_k = W^(t-k)."""
        t, k = self.idx.t, self.idx.k
        return sp.Eq(Jacobian(self.state(t), self.state(k)), sp.MatPow(self.model.W, difference(t, k)), evaluate=False)

    @cached_property
    def diagonalised(self) -> Chain:
        """W = Q Lambda Q^-1 implies W^n = Q Lambda^n Q^-1."""
        d, W, n = self.model.d, self.model.W, sp.Symbol("n", integer=True, positive=True)
        Q, L = sp.MatrixSymbol("Q", d, d), sp.MatrixSymbol(r"\Lambda", d, d)
        return Chain(sp.Eq(W, Q * L * Q.I, evaluate=False), "=>", sp.Eq(sp.MatPow(W, n), Q * sp.MatPow(L, n) * Q.I, evaluate=False))

    @cached_property
    def gelfand(self) -> Chain:
        """rho(W) <= ||W^n||_2^(1/n) <= ||W||_2: the spectral radius below every power's rate, the largest singular value above."""
        W, n = self.model.W, sp.Symbol("n", integer=True, positive=True)
        rho = sp.Symbol(rf"\rho({self.model.notation.recurrent_weight})")
        return Chain(rho, "<=", sp.Pow(Norm(sp.MatPow(W, n)), 1 / n, evaluate=False), "<=", Norm(W))

    # -- a deep feed-forward network: s^{(j)} = phi(a^{(j)}), a^{(j)} = W^{(j)} s^{(j-1)} + b^{(j)}, j = 1 .. L ----------

    #: The layer count L and the layer weights' and biases' letters (the seeds' w^{(j)T} is W^{(j)} here).
    layers: ClassVar[sp.Symbol] = sp.Symbol("L", integer=True, positive=True)
    LAYER_WEIGHT = "W"
    LAYER_BIAS = "b"

    def layer(self, role: str, index: object) -> Layer:
        """A layer's state, pre-activation (the notation's letters), weight or bias (``LAYER_WEIGHT``, ``LAYER_BIAS``) at ``index``."""
        base = {"weight": self.LAYER_WEIGHT, "bias": self.LAYER_BIAS}.get(role) or getattr(self.model.notation, role)
        return Layer(base, index)

    @cached_property
    def layer_step(self) -> Jacobian:
        j = self.idx.j
        return Jacobian(self.layer("state", j), self.layer("state", j - 1))

    @cached_property
    def ff_layer(self) -> sp.Eq:
        """One layer's Jacobian: ds^{(j)}/ds^{(j-1)} = diag(phi'(a^{(j)})) W^{(j)}, an n_j x n_{j-1} matrix."""
        j = self.idx.j
        diag = sp.Function(r"\operatorname{diag}")(self.model.phi_prime(self.layer("preactivation", j)))
        return sp.Eq(self.layer_step, sp.Mul(diag, self.layer("weight", j), evaluate=False), evaluate=False)

    @cached_property
    def ff_chain(self) -> sp.Eq:
        """ds^{(L)}/ds^{(k)} = the layers' Jacobians from k+1 to L, later layers on the left."""
        k, j, L = self.idx.k, self.idx.j, self.layers
        return sp.Eq(Jacobian(self.layer("state", L), self.layer("state", k)), Ordered(self.layer_step, j, k + 1, L, "later-left"), evaluate=False)

    @cached_property
    def ff_bound(self) -> Chain:
        """||ds^{(L)}/ds^{(k)}||_2 <= prod_{j=k+1}^{L} gamma ||W^{(j)}||_2: statement 9 with a weight of its own per layer."""
        k, j, L = self.idx.k, self.idx.j, self.layers
        norm = Norm(Jacobian(self.layer("state", L), self.layer("state", k)))
        return Chain(norm, "<=", sp.Product(self.gamma * Norm(self.layer("weight", j)), (j, k + 1, L)))

    @cached_property
    def truncation(self) -> Chain:
        """gamma lambda < 1 => the terms of statement 1 with t - k >= tau, dropped by truncated BPTT, sum to at most
        ||dL_t/ds_t||_2 max_k ||d+s_k/dW_pq||_2 (gamma lambda)^tau / (1 - gamma lambda)."""
        k, t = self.idx.k, self.idx.t
        tau = sp.Symbol(r"\tau", integer=True, positive=True)
        rate = self.gamma * self.lam
        summand = self.bptt_sum.rhs.function
        loss, _, immediate = summand.args
        dropped = sp.Abs(sp.Sum(summand, (k, 1, t - tau)))
        bound = sp.Mul(Norm(loss), Extremum(Norm(immediate), k, "max"), sp.Pow(rate, tau), sp.Pow(1 - rate, -1), evaluate=False)
        return Chain(sp.Lt(rate, 1), "=>", dropped, "<=", bound)

    @cached_property
    def clipping(self) -> Conjunction:
        """Clipping by the norm: g~ = g min(1, c/||g||_2) has norm min(||g||_2, c) and g's direction, and is g below c."""
        d = self.model.d
        g, clipped = sp.MatrixSymbol("g", d, 1), sp.MatrixSymbol(r"\tilde{g}", d, 1)
        c = sp.Symbol("c", positive=True)
        return Conjunction(
            sp.Eq(clipped, g * sp.Min(1, c / Norm(g)), evaluate=False),
            sp.Eq(Norm(clipped), sp.Min(Norm(g), c), evaluate=False),
            sp.Eq(clipped / Norm(clipped), g / Norm(g), evaluate=False),
            Chain(sp.Le(Norm(g), c), "=>", sp.Eq(clipped, g, evaluate=False)),
        )

    @cached_property
    def lstm(self) -> Conjunction:
        """The LSTM's one-step Jacobian on the pair (c, h), its four blocks, in numerator layout (gates f, i, o sigmoid, the
        candidate g tanh; c_t = f_t o c_{t-1} + i_t o g_t, h_t = o_t o tanh(c_t))."""
        d = self.model.d
        v = {name: sp.MatrixSymbol(name, d, 1) for name in ("f_t", "i_t", "o_t", "g_t", "c_{t-1}", "c_t", "h_{t-1}", "h_t")}
        W = {gate: sp.MatrixSymbol(f"W_{gate}", d, d) for gate in "fiog"}
        one = sp.OneMatrix(d, 1)

        def had(*factors: sp.MatrixExpr) -> sp.MatrixExpr:
            return sp.HadamardProduct(*factors)

        def slope(gate: str) -> tuple[sp.MatrixExpr, ...]:  # sigma' = sigma (1 - sigma) for the gates, tanh' = 1 - tanh^2 for g
            x = v[f"{gate}_t"]
            return (x, one - x) if gate != "g" else (one - had(x, x),)

        tanh_c = sp.MatrixSymbol(r"\tanh(c_t)", d, 1)
        cell_h = sp.MatAdd(
            sp.DiagMatrix(had(v["c_{t-1}"], *slope("f"))) * W["f"],
            sp.DiagMatrix(had(v["g_t"], *slope("i"))) * W["i"],
            sp.DiagMatrix(had(v["i_t"], *slope("g"))) * W["g"],
            evaluate=False,
        )
        cell_h_symbol = sp.MatrixSymbol(r"\frac{\partial c_t}{\partial h_{t-1}}", d, d)  # the second block, by name
        c_t, c_prev, h_t, h_prev = v["c_t"], v["c_{t-1}"], v["h_t"], v["h_{t-1}"]
        return Conjunction(
            sp.Eq(Jacobian(c_t, c_prev), sp.DiagMatrix(v["f_t"]), evaluate=False),
            sp.Eq(Jacobian(c_t, h_prev), cell_h, evaluate=False),
            sp.Eq(Jacobian(h_t, c_prev), sp.DiagMatrix(had(v["o_t"], one - had(tanh_c, tanh_c), v["f_t"])), evaluate=False),
            sp.Eq(
                Jacobian(h_t, h_prev),
                sp.MatAdd(
                    sp.DiagMatrix(had(tanh_c, *slope("o"))) * W["o"], sp.DiagMatrix(had(v["o_t"], one - had(tanh_c, tanh_c))) * cell_h_symbol, evaluate=False
                ),
                evaluate=False,
            ),
        )

    @cached_property
    def gru(self) -> Conjunction:
        """The GRU's one-step Jacobian (update gate z, reset gate r sigmoid, candidate u tanh; h_t = (1 - z_t) o h_{t-1}
        + z_t o u_t, u_t = tanh(W_u (r_t o h_{t-1}) + U_u x_t + b_u)), in numerator layout."""
        d = self.model.d
        v = {name: sp.MatrixSymbol(name, d, 1) for name in ("z_t", "r_t", "u_t", "h_{t-1}", "h_t")}
        W = {gate: sp.MatrixSymbol(f"W_{gate}", d, d) for gate in "zru"}
        one = sp.OneMatrix(d, 1)
        z, r, u, h = v["z_t"], v["r_t"], v["u_t"], v["h_{t-1}"]
        had = sp.HadamardProduct
        through_reset = sp.MatAdd(sp.DiagMatrix(r), sp.DiagMatrix(had(h, r, one - r)) * W["r"], evaluate=False)
        rhs = sp.MatAdd(
            sp.DiagMatrix(one - z),
            sp.DiagMatrix(had(sp.MatAdd(u, -h), z, one - z)) * W["z"],
            sp.DiagMatrix(had(z, one - had(u, u))) * W["u"] * through_reset,
            evaluate=False,
        )
        return Conjunction(sp.Eq(Jacobian(v["h_t"], h), rhs, evaluate=False))

    def __getitem__(self, label: str) -> sp.Basic:
        """The statement with this label, as the report prints it."""
        if label not in LABELS:
            raise KeyError(label)
        attribute = {"gamma": "gamma_statement"}.get(label, label.replace("-", "_"))
        return getattr(self, attribute)

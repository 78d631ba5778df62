"""An LSTM beside the plain network, in numbers: how the chain over a lag decays along each, enclosed in ball arithmetic.

The LSTM (statement 19's: gates f, i, o sigmoid, candidate g tanh, c_t = f_t o c_{t-1} + i_t o g_t, h_t = o_t o tanh(c_t))
is run in balls, and its one-step Jacobian on the pair (c, h) is formed by the chain rule through the explicit step:
each gate's pre-activation W h_{t-1} + U x_t + b depends on h_{t-1} through W, each gate's slope is sigma (1 - sigma)
or 1 - tanh^2 at the enclosed values. It does not read the printed statement (whose check is exact, elsewhere): the two
meet in the test, which holds these products to central differences of the step itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flint import arb, arb_mat

from .enclose import BITS, ball_activation, ball_matrix, diagonal, norm_enclosure, precision

#: The sizes: d units, the lags of the table, the seed of the weights and inputs.
DIM, LAGS, SEED = 4, (1, 10, 50, 100), 19
#: The forget gate's bias: sigma(4) = 0.982, the "remember by default" initialisation; the plain network's gamma lambda.
FORGET_BIAS, RATE = 4.0, 0.9


def _sig(x: arb) -> arb:
    return 1 / (1 + (-x).exp())


@dataclass(frozen=True)
class LSTM:
    """Seeded weights: W_* (d x d), U_* (d x 1), b_* per gate f, i, o, g; inputs x_1 .. x_T (one per step)."""

    W: dict[str, np.ndarray]
    U: dict[str, np.ndarray]
    b: dict[str, np.ndarray]
    xs: np.ndarray

    @staticmethod
    def seeded(d: int = DIM, T: int = max(LAGS), forget_bias: float = FORGET_BIAS, seed: int = SEED) -> LSTM:
        rng = np.random.default_rng(seed)
        W = {gate: rng.standard_normal((d, d)) * 0.5 / np.sqrt(d) for gate in "fiog"}
        U = {gate: rng.standard_normal((d, 1)) * 0.5 for gate in "fiog"}
        b = {gate: np.full(d, forget_bias if gate == "f" else 0.0) for gate in "fiog"}
        return LSTM(W, U, b, rng.standard_normal((T, 1)))

    def step(self, c: np.ndarray, h: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One step in floats (for the test's central differences)."""

        def pre(gate: str) -> np.ndarray:
            return np.asarray(self.W[gate] @ h + self.U[gate] @ x + self.b[gate])

        sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
        f, i, o, g = sig(pre("f")), sig(pre("i")), sig(pre("o")), np.tanh(pre("g"))
        c_new = f * c + i * g
        return c_new, o * np.tanh(c_new)


def _column(values: list[arb]) -> arb_mat:
    return arb_mat([[v] for v in values])


def lstm_jacobians(net: LSTM, T: int) -> tuple[list[arb_mat], list[list[arb]]]:
    """The one-step Jacobians d(c_t, h_t)/d(c_{t-1}, h_{t-1}) for t = 1 .. T (2d x 2d ball matrices, c first), from
    c_0 = h_0 = 0, by the chain rule through the explicit step; and each step's forget gate values."""
    d = net.W["f"].shape[0]
    W = {gate: ball_matrix(net.W[gate]) for gate in "fiog"}
    U = {gate: ball_matrix(net.U[gate]) for gate in "fiog"}
    b = {gate: ball_matrix(net.b[gate]) for gate in "fiog"}
    tanh = ball_activation("tanh")
    c, h = [arb(0)] * d, [arb(0)] * d
    jacobians, forgets = [], []
    for t in range(T):
        x = ball_matrix(net.xs[t])
        hv = _column(h)
        a = {gate: W[gate] * hv + U[gate] * x + b[gate] for gate in "fiog"}
        f, i, o = ([_sig(a[gate][r, 0]) for r in range(d)] for gate in "fio")
        g = [a["g"][r, 0].tanh() for r in range(d)]
        c_new = [f[r] * c[r] + i[r] * g[r] for r in range(d)]
        tc = [v.tanh() for v in c_new]
        # d c_t / d h_{t-1} = diag(c_{t-1} f (1-f)) W_f + diag(g i (1-i)) W_i + diag(i (1-g^2)) W_g, through each gate
        dc_dh = (
            diagonal([c[r] * f[r] * (1 - f[r]) for r in range(d)]) * W["f"]
            + diagonal([g[r] * i[r] * (1 - i[r]) for r in range(d)]) * W["i"]
            + diagonal([i[r] * tanh.slope(a["g"][r, 0]) for r in range(d)]) * W["g"]
        )
        dc_dc = diagonal(f)
        # h_t = o tanh(c_t): through o (W_o) and through c_t (both blocks above)
        through_c = diagonal([o[r] * (1 - tc[r] * tc[r]) for r in range(d)])
        dh_dh = diagonal([tc[r] * o[r] * (1 - o[r]) for r in range(d)]) * W["o"] + through_c * dc_dh
        dh_dc = through_c * dc_dc
        J = arb_mat(2 * d, 2 * d)
        for r in range(d):
            for q in range(d):
                J[r, q], J[r, d + q] = dc_dc[r, q], dc_dh[r, q]
                J[d + r, q], J[d + r, d + q] = dh_dc[r, q], dh_dh[r, q]
        jacobians.append(J)
        forgets.append(f)
        c, h = c_new, [o[r] * tc[r] for r in range(d)]
    return jacobians, forgets


@dataclass(frozen=True)
class Row:
    """One lag of the table: (lo, hi) enclosures of the plain network's norm, the LSTM's cell block and its cell path alone."""

    lag: int
    plain: tuple[float, float]
    cell: tuple[float, float]
    path: tuple[float, float]


def _bounds(lo: arb, hi: arb) -> tuple[float, float]:
    return float(lo.lower().mid()), float(hi.upper().mid())


def compare(lags: tuple[int, ...] = LAGS) -> list[Row]:
    """At each lag t - k (t = max(lags)), enclosures of ||ds_t/ds_k||_2 for a plain tanh network with gamma lambda = RATE
    (W = RATE Q, Q orthogonal, a witness of statement 9 held at 0, so the bound is attained), of the LSTM's
    ||dc_t/dc_k||_2 (the c block of the product of its (c, h) Jacobians) and of the cell path alone, ||prod diag(f_j)||_2."""
    T, d = max(lags), DIM
    with precision(BITS):
        jacobians, forgets = lstm_jacobians(LSTM.seeded(), T)
        Q = np.linalg.qr(np.random.default_rng(SEED).standard_normal((d, d)))[0]
        plain = ball_matrix(RATE * Q)  # tanh held at a = 0: each step's Jacobian is diag(1) (RATE Q)
        rows, P, R, path = [], None, None, [arb(1)] * d
        for lag in range(1, T + 1):
            t = T - lag  # the step whose Jacobian joins on the right: J_T ... J_{T-lag+1}
            P = jacobians[t] if P is None else P * jacobians[t]
            R = plain if R is None else R * plain
            path = [path[r] * forgets[t][r] for r in range(d)]
            if lag in lags:
                cell = arb_mat([[P[r, q] for q in range(d)] for r in range(d)])
                top = path[0]
                for v in path[1:]:
                    top = top.max(v)
                rows.append(Row(lag, _bounds(*norm_enclosure(R)), _bounds(*norm_enclosure(cell)), _bounds(top, top)))
    return rows

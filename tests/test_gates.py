"""The LSTM beside the plain network (the gates section): the LSTM's one-step Jacobians, formed by the chain rule in
ball arithmetic, against central differences of its explicit step; the table's columns against their definitions."""

from __future__ import annotations

import numpy as np
import pytest

from verify.enclose import precision
from verify.gates import LAGS, LSTM, RATE, compare, lstm_jacobians


def _trajectory(net: LSTM, T: int) -> list[tuple[np.ndarray, np.ndarray]]:
    d = net.W["f"].shape[0]
    states = [(np.zeros(d), np.zeros(d))]
    for t in range(T):
        states.append(net.step(*states[-1], net.xs[t]))
    return states


def _product_and_differences(lag: int) -> tuple[np.ndarray, np.ndarray]:
    net, T = LSTM.seeded(T=12), 12
    d = net.W["f"].shape[0]
    states = _trajectory(net, T)
    with precision(128):
        jacobians, _ = lstm_jacobians(net, T)
        P = jacobians[T - 1]
        for t in range(T - 2, T - lag - 1, -1):
            P = P * jacobians[t]
        product = np.array([[float(P[r, q].mid()) for q in range(2 * d)] for r in range(2 * d)])

    def run(z: np.ndarray) -> np.ndarray:
        c, h = z[:d], z[d:]
        for t in range(T - lag, T):
            c, h = net.step(c, h, net.xs[t])
        return np.concatenate([c, h])

    z0, eps = np.concatenate(states[T - lag]), 1e-6
    numeric = np.column_stack([(run(z0 + eps * e) - run(z0 - eps * e)) / (2 * eps) for e in np.eye(2 * d)])
    return product, numeric


def _agree(product: np.ndarray, numeric: np.ndarray) -> bool:
    return bool(np.allclose(product, numeric, rtol=0, atol=1e-7 * np.max(np.abs(numeric))))


@pytest.mark.parametrize("lag", [1, 2, 5])
def test_the_lstm_chain_is_the_derivative_of_its_unrolled_step(lag: int) -> None:
    """d(c_T, h_T)/d(c_{T-lag}, h_{T-lag}) as the product of the ball Jacobians against central differences (h = 1e-6) of the
    explicit step composed lag times, in floats: agreement to 1e-7 relative to the largest entry."""
    assert _agree(*_product_and_differences(lag))


TAMPERED = {
    "the cell block without the paths through h": lambda P: np.block([[P[:4, :4], 0 * P[:4, 4:]], [P[4:, :4], P[4:, 4:]]]),
    "the product transposed": lambda P: P.T,
    "c and h swapped": lambda P: np.block([[P[4:, 4:], P[4:, :4]], [P[:4, 4:], P[:4, :4]]]),
    "a forget gate off by 1 %": lambda P: P * np.where(np.eye(8) > 0, 1.01, 1.0),
}


@pytest.mark.parametrize("tamper", sorted(TAMPERED))
def test_a_tampered_chain_is_caught_by_the_differences(tamper: str) -> None:
    product, numeric = _product_and_differences(2)
    assert not _agree(TAMPERED[tamper](product), numeric)


def test_the_table_s_columns_are_what_they_say() -> None:
    """The plain column is RATE^lag (the witness attains the bound); the cell path is the largest product of forget gates,
    recomputed in floats; the LSTM's cell block does not vanish where the plain chain does."""
    rows = compare(LAGS)
    net = LSTM.seeded()
    T = max(LAGS)
    forgets = []
    c, h = np.zeros(4), np.zeros(4)
    for t in range(T):
        f = 1 / (1 + np.exp(-(net.W["f"] @ h + net.U["f"] @ net.xs[t] + net.b["f"])))
        forgets.append(f)
        c, h = net.step(c, h, net.xs[t])
    for row in rows:
        assert row.plain[0] <= RATE**row.lag * (1 + 1e-12) and RATE**row.lag <= row.plain[1] * (1 + 1e-12)
        path = float(np.max(np.prod(forgets[T - row.lag :], axis=0)))
        assert row.path[0] * (1 - 1e-9) <= path <= row.path[1] * (1 + 1e-9)
        assert row.cell[0] <= row.cell[1] and row.cell[1] - row.cell[0] < 1e-9 * row.cell[1]
    assert rows[-1].plain[1] < 1e-4 < 0.1 < rows[-1].cell[0]

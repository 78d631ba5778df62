"""The fast engine against the plain reference, against finite differences, and at the extremes."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import derive
from derive.activations import derive_gamma
from verify import NUMERIC, chain_log_norms, chain_norms, chain_norms_reference, numeric, run

ORDS = [2, 1, np.inf, "fro"]


def _rnn(seed: int, d: int, T: int, m: int = 3, scale: float = 1.0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return (
        scale * rng.standard_normal((d, d)) / np.sqrt(d),
        rng.standard_normal((d, m)),
        0.3 * rng.standard_normal(d),
        rng.standard_normal((T, m)),
        0.5 * rng.standard_normal(d),
    )


def test_registry_matches_the_symbolic_one() -> None:
    assert set(NUMERIC) == set(derive.ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_numeric_forms_match_sympy(name: str) -> None:
    g = derive_gamma(name)
    a = np.linspace(-30, 30, 241)
    with mpmath.workdps(60):  # SymPy's formulas evaluated exactly enough to judge the float forms
        phi = np.array([float(g.phi.subs(g.variable, sp.Float(v, 60)).evalf(60)) for v in a])
        slope = np.array([float(g.first.subs(g.variable, sp.Float(v, 60)).evalf(60)) for v in a])
    act = numeric(name)
    np.testing.assert_allclose(act.phi(a), phi, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(act.slope(a), slope, rtol=1e-12)
    assert act.gamma == float(g.gamma)
    assert np.max(act.slope(a)) <= act.gamma


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_log_slope_is_finite_and_accurate_when_saturated(name: str) -> None:
    act = numeric(name)
    a = np.array([40.0, -40.0, 400.0, -1e4])
    logs = act.log_slope(a)
    assert np.all(np.isfinite(logs))
    # exact asymptotics: log sech^2 a = log 4 - 2|a| + O(e^{-2|a|}), log sigma(a)sigma(-a) = -|a| + O(e^{-|a|})
    expected = (np.log(4) - 2 * np.abs(a)) if name == "tanh" else -np.abs(a)
    np.testing.assert_allclose(logs, expected, rtol=1e-15, atol=1e-14)


@pytest.mark.parametrize("name", sorted(NUMERIC))
@pytest.mark.parametrize("ord", ORDS, ids=str)
def test_fast_engine_agrees_with_reference(name: str, ord: float | str) -> None:
    for seed, d, T in [(0, 1, 5), (1, 3, 12), (2, 8, 40), (3, 16, 30)]:
        W, U, b, xs, s0 = _rnn(seed, d, T, scale=1.5)
        fast = chain_norms(W, U, b, xs, s0, name, ord)
        ref = chain_norms_reference(W, U, b, xs, s0, name, ord)
        np.testing.assert_allclose(fast, ref, rtol=1e-10)
        assert fast.shape == (T,)


def test_two_norm_is_certified_from_above() -> None:
    W, U, b, xs, s0 = _rnn(7, 32, 80, scale=2.0)
    fast = chain_norms(W, U, b, xs, s0)
    ref = chain_norms_reference(W, U, b, xs, s0)
    assert np.all(fast >= ref * (1 - 1e-12))  # never below the truth beyond rounding
    assert np.all(fast <= ref * (1 + 1e-10))


def _map(W, U, b, xs, s_k, k, activation):  # noqa: ANN001, ANN202
    phi = numeric(activation).phi
    s = s_k
    for j in range(k, xs.shape[0]):
        s = phi(W @ s + U @ xs[j] + b)
    return s


@pytest.mark.parametrize("name", sorted(NUMERIC))
@pytest.mark.parametrize("ord", ORDS, ids=str)
def test_chain_agrees_with_finite_differences(name: str, ord: float | str) -> None:
    """The Jacobian of the actual RNN map by central differences, from every s_k, has the engine's norms."""
    W, U, b, xs, s0 = _rnn(11, 4, 6, scale=1.3)
    pre = run(W, U, b, xs, s0, name)
    phi = numeric(name).phi
    states = [s0, *(phi(a) for a in pre)]
    h = 1e-6
    norms = chain_norms(W, U, b, xs, s0, name, ord)
    for k in range(xs.shape[0]):
        columns = [(_map(W, U, b, xs, states[k] + h * e, k, name) - _map(W, U, b, xs, states[k] - h * e, k, name)) / (2 * h) for e in np.eye(4)]
        jac = np.column_stack(columns)
        assert np.linalg.norm(jac, ord) == pytest.approx(norms[k], rel=1e-6, abs=1e-9)


def test_one_step_jacobian_matches_finite_differences() -> None:
    W, U, b, xs, s0 = _rnn(5, 5, 1, scale=1.0)
    a = run(W, U, b, xs, s0)[0]
    fd = np.column_stack([(np.tanh(W @ (s0 + 1e-6 * e) + U @ xs[0] + b) - np.tanh(W @ (s0 - 1e-6 * e) + U @ xs[0] + b)) / 2e-6 for e in np.eye(5)])
    np.testing.assert_allclose(np.diag(numeric("tanh").slope(a)) @ W, fd, rtol=1e-7, atol=1e-9)


def test_long_chain_contractive_w_is_finite_and_bounded() -> None:
    d, T = 16, 5000
    rng = np.random.default_rng(3)
    W = rng.standard_normal((d, d))
    W *= 0.9 / np.linalg.norm(W, 2)  # lambda = 0.9, tanh: gamma lambda = 0.9
    U, b, xs = rng.standard_normal((d, 2)), np.zeros(d), rng.standard_normal((T, 2))
    logs = chain_log_norms(W, U, b, xs)
    assert np.all(np.isfinite(logs))
    lags = T - np.arange(T)
    assert np.all(logs <= lags * np.log(0.9) + 1e-9 * lags)
    assert logs[0] < -500  # the norm itself underflows a float here
    assert chain_norms(W, U, b, xs)[0] == 0.0


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_saturated_units_give_finite_accurate_logs(name: str) -> None:
    """All units at |a| = 40: phi' underflows nowhere fatal, and the log norm is exact: sum of log slopes + log ||W^(t-k)||."""
    d, T = 3, 30
    W = np.diag([1.0, 2.0, 3.0])  # with s_0 = 0 and huge inputs the states saturate
    bias = np.full(d, 40.0)
    U, xs = np.zeros((d, 1)), np.zeros((T, 1))
    logs = chain_log_norms(W, U, bias, xs, np.zeros(d), name)
    assert np.all(np.isfinite(logs))
    pre = run(W, U, bias, xs, np.zeros(d), name)
    log_slopes = numeric(name).log_slope(pre)  # T x d, pre-activations 40 + W s
    lags = T - np.arange(T)
    # diagonal W: ds_T/ds_k is diagonal; its 2-norm is the largest diagonal entry
    expected = [np.max(np.sum(log_slopes[k:], axis=0) + lag * np.log(np.diag(W))) for k, lag in zip(range(T), lags, strict=True)]
    np.testing.assert_allclose(logs, expected, rtol=1e-12)
    assert logs[0] < -1000


def test_bad_shapes_and_names_are_rejected() -> None:
    W, U, b, xs, s0 = _rnn(0, 3, 4)
    with pytest.raises(ValueError, match="square"):
        chain_norms(W[:2], U, b, xs)
    with pytest.raises(ValueError, match="ord"):
        chain_norms(W, U, b, xs, ord=3)
    with pytest.raises(derive.ConfigError, match="relu"):
        chain_norms(W, U, b, xs, activation="relu")

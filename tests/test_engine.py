"""The fast engine against exact products (mpmath, 50 digits), the plain reference, finite differences, and at the extremes.

"Exact" means: the Jacobians diag(phi'(a_j)) W at the engine's own float pre-activations a_j, with phi' from
the SymPy expression evaluated by mpmath at 50 digits, multiplied and normed at 50 digits. The engine's
stated bound (verify/engine.py) is |e^{returned log} - ||P||| <= E || |J_T| ... |J_{k+1}| ||, E = error_bound(...).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest
import sympy as sp

import derive
from derive.activations import ACTIVATIONS
from derive.errors import InputError
from verify import NUMERIC, chain_log_norms, chain_log_norms_batched, chain_norms, chain_norms_reference, numeric, run
from verify.activations import UNIT_ROUNDOFF, Array, symbolic_forms
from verify.engine import (  # noqa: I001
    GAP,
    RELATIVE,
    Ord,
    chain_bounds_batched,
    check_ord,
    cholesky_certifies,
    cholesky_error,
    error_bound,
    evaluation_error,
    krylov_kato_temple,
    lanczos_theta,
    log_norm_2,
    slope_error,
    svd_error,
)

ORDS: list[Ord] = [2, 1, np.inf, "fro"]
u = UNIT_ROUNDOFF
#: The inputs W, U, b, xs, s0 of one RNN.
Five = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _rnn(seed: int, d: int, T: int, m: int = 3, scale: float = 1.0) -> Five:
    rng = np.random.default_rng(seed)
    return (
        scale * rng.standard_normal((d, d)) / np.sqrt(d),
        rng.standard_normal((d, m)),
        0.3 * rng.standard_normal(d),
        rng.standard_normal((T, m)),
        0.5 * rng.standard_normal(d),
    )


# ---------------------------------------------------------------- exact products


def _exact_slope(activation: str) -> Callable[[mpmath.mpf], mpmath.mpf]:
    """phi' with its sign (SymPy's derivative of the formula, max and min as a Piecewise), for mpmath."""
    z, phi, _ = symbolic_forms(ACTIVATIONS[activation])
    return sp.lambdify(z, sp.diff(derive.activations.piecewise_form(phi), z), "mpmath")


def _mp_norm(A: mpmath.matrix, ord: Ord) -> mpmath.mpf:
    if ord == 2:
        return max(mpmath.svd_r(A, compute_uv=False))
    return mpmath.mnorm(A, "f" if ord == "fro" else ord)


def _exact_chain(W: np.ndarray, pre: np.ndarray, activation: str, ks: list[int], ord: Ord = 2) -> dict[int, tuple[mpmath.mpf, ...]]:
    """{k: (||J_T ... J_{k+1}||, || |J_T| ... |J_{k+1}| ||, prod_j ||J_j||)} at 50 digits, for the requested k."""
    slope = _exact_slope(activation)
    T, d = pre.shape
    with mpmath.workdps(50):
        Wm = mpmath.matrix(W.tolist())
        Wa = mpmath.matrix(np.abs(W).tolist())
        P, A, norms, found = mpmath.eye(d), mpmath.eye(d), mpmath.mpf(1), {}
        for k in range(T - 1, -1, -1):
            slopes = [slope(mpmath.mpf(float(a))) for a in pre[k]]
            D = mpmath.diag(slopes)
            P, A = P * D * Wm, A * mpmath.diag([abs(x) for x in slopes]) * Wa
            norms *= _mp_norm(D * Wm, ord)
            if k in ks:
                found[k] = (_mp_norm(P, ord), _mp_norm(A, ord), norms)
    return found


def _check_bound(W, U, b, xs, s0, activation: str, ord: Ord = 2, every: int = 1) -> float:  # noqa: ANN001
    """Assert |e^{log} - N| <= E M at the sampled k; return the largest error relative to the exact norm N."""
    act = numeric(activation)
    logs = chain_log_norms(W, U, b, xs, s0, activation, ord)
    pre = run(W, U, b, xs, s0, activation)
    T, d = pre.shape
    ks = sorted({0, T - 1, *range(0, T, every)})
    eps = slope_error(act, act.log_slope(pre))
    worst = 0.0
    with mpmath.workdps(50):
        for k, (N, M, product) in _exact_chain(W, pre, activation, ks, ord).items():
            E = float(error_bound(d, T - k, eps, ord, logs[k]))
            E_b = float(error_bound(d, T - k, eps, ord, logs[k], relative_to="product"))
            error = abs(mpmath.exp(mpmath.mpf(float(logs[k]))) - N)
            assert error <= E * M, (activation, ord, k, float(error / N), E, float(M / N))
            assert error <= E_b * product, (activation, ord, k, float(error / N) if N else error, E_b, float(product / N) if N else product)
            worst = max(worst, float(error / N) if N else float(error))  # N = 0 (a ReLU chain switched off): the error must be 0
    return worst


def _rank_one(d: int = 3, sigma: float = 51.0, trace: float = 0.05) -> np.ndarray:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(d), rng.standard_normal(d)
    x /= np.linalg.norm(x)
    y -= (y @ x) * x
    y /= np.linalg.norm(y)
    c = trace / sigma
    return sigma * np.outer(x, c * x + np.sqrt(1 - c * c) * y)


def _held_at_zero(W: np.ndarray, T: int) -> Five:
    d = W.shape[0]
    return W, np.zeros((d, 1)), np.zeros(d), np.zeros((T, 1)), np.zeros(d)


def test_reproduction_long_diagonal_chain_is_within_the_bound_and_not_below_it() -> None:
    """W = diag(2, 1, 2/3) at a = 0, T = 1000: exactly ||ds_T/ds_k|| = 2^(T-k) and M = N; the error was 1.3e-11 below."""
    W, U, b, xs, s0 = _held_at_zero(np.diag([2.0, 1.0, 2.0 / 3.0]), 1000)
    worst = _check_bound(W, U, b, xs, s0, "tanh", every=97)
    logs = chain_log_norms(W, U, b, xs, s0)
    lags = 1000 - np.arange(1000)
    with mpmath.workdps(50):
        below = [float(mpmath.mpf(float(logs[k])) - lags[k] * mpmath.log(2)) for k in range(1000)]
    assert min(below) >= -4 * u * np.max(logs)  # the output rounding of one log, not T of them
    assert worst <= float(error_bound(3, 1000, slope_error(numeric("tanh"), np.zeros(1)), 2, np.max(logs)))


def test_reproduction_rank_one_is_within_the_bound() -> None:
    W = _rank_one()
    assert np.linalg.norm(W, 2) == pytest.approx(51.0) and np.trace(W) == pytest.approx(0.05)
    _check_bound(*_held_at_zero(W, 79), "tanh")


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_random_chains_are_within_the_bound(name: str) -> None:
    W, U, b, xs, s0 = _rnn(1, 4, 25, scale=1.5)
    worst = _check_bound(W, U, b, xs, s0, name)
    assert worst < 1e-11  # the error is rounding (with the identity's W^n some cancellation), far below the bound's scale


@pytest.mark.parametrize("ord", ORDS, ids=str)
def test_every_norm_is_within_the_bound(ord: Ord) -> None:
    _check_bound(*_rnn(2, 3, 12, scale=1.3), "sigmoid", ord)


def test_non_normal_and_saturated_chains_are_within_the_bound() -> None:
    W = np.array([[1.0, 0.0], [1.0, 1.0]])
    s0 = numeric("sigmoid").phi(np.zeros(2))
    _check_bound(W, np.zeros((2, 1)), -W @ s0, np.zeros((40, 1)), s0, "sigmoid")
    d, T = 3, 30
    W = np.diag([1.0, 2.0, 3.0]) + 0.1
    _check_bound(W, np.zeros((d, 1)), np.array([40.0, 0.0, -25.0]), np.zeros((T, 1)), np.zeros(d), "tanh", every=7)


def test_mixed_saturation_beyond_the_exponent_range_is_within_the_bound() -> None:
    """Log slopes 0 and about -800 in one step: e^{L - m log 2} must be scaled from the largest slope, or it overflows."""
    d, T = 3, 12
    W = np.diag([1.0, 2.0, 3.0]) + 0.1
    _check_bound(W, np.zeros((d, 1)), np.array([400.0, 0.0, -1.0]), np.zeros((T, 1)), np.zeros(d), "tanh", every=3)
    _check_bound(W, np.zeros((d, 1)), np.array([800.0, 0.0, -1.0]), np.zeros((T, 1)), np.zeros(d), "sigmoid", every=3)


@pytest.mark.parametrize("scale", [1e300, 1e-300, 3e200])
@pytest.mark.parametrize("ord", [1, np.inf])
def test_huge_and_tiny_w_are_within_the_bound(scale: float, ord: Ord) -> None:
    """Logs near +-690 after one or two steps: the rounding of the returned log itself must be in the bound."""
    rng = np.random.default_rng(int(np.log10(scale)) + 400)
    for T in (1, 2):
        W = scale * np.diag(rng.uniform(0.5, 2.0, 3))
        _check_bound(*_held_at_zero(W, T), "tanh", ord)


def test_error_bound_grows_with_the_lag_and_the_slope_error() -> None:
    E = error_bound(4, np.arange(1, 50), 1e-15)
    assert np.all(np.diff(E) > 0)
    assert error_bound(4, 10, 1e-13) > error_bound(4, 10, 1e-15)
    # at least n (d u + eps), the first-order size of the product's rounding (gamma_d per dot product, eps per slope)
    assert error_bound(4, 100, 1e-15, 1) >= 100 * (4 * u + 1e-15)
    # the normwise bound (b) pays || |A| ||_2 <= sqrt(d) ||A||_2 twice: at least n d (d u + eps)
    assert error_bound(4, 10**4, 1e-15, 2, relative_to="product") >= 10**4 * 4 * (4 * u + 1e-15)
    assert evaluation_error(4, 2) >= RELATIVE
    assert evaluation_error(4) == evaluation_error(4, 2)
    assert 16 * u <= evaluation_error(4, "fro") <= 4 * 16 * u  # a sum of d^2 squares
    assert 4 * u <= evaluation_error(4, 1) < 2 * 4 * u and 4 * u <= evaluation_error(4, np.inf) < 2 * 4 * u  # gamma_d >= d u


def test_the_assumed_svd_error_covers_lapacks_measured_error() -> None:
    """svd_error(d) is an assumption (module docstring); it must at least cover what LAPACK does on random and graded matrices."""
    rng = np.random.default_rng(17)
    for d in (2, 4, 8):
        worst = 0.0
        for i in range(10):
            A = rng.standard_normal((d, d)) * np.logspace(0, -6 * (i % 2), d)
            with mpmath.workdps(50):
                exact = _exact_sigma(A)
                worst = max(worst, float(abs(mpmath.mpf(float(np.linalg.svd(A, compute_uv=False)[0])) / exact - 1)))
        assert worst <= svd_error(d)


@pytest.mark.parametrize("ord", ORDS, ids=str)
@pytest.mark.parametrize("relative_to", ["magnitude", "product"])
def test_error_bound_is_within_twice_its_first_order_size(ord: Ord, relative_to: str) -> None:
    """Not vacuous: E <= 1.5 (n c theta_1 + eps_eval + 3 u (|L| + log d + 1)), theta_1 = eps + (d + 1) u, c = d only for (b) in the 2-norm."""
    d, n, eps, L = 4, 50, 1e-14, 30.0
    c = d if (relative_to == "product" and ord == 2) else 1
    first_order = n * c * (eps + (d + 1) * u) + evaluation_error(d, ord) + 3 * u * (L + np.log(d) + 1)
    E = float(error_bound(d, n, eps, ord, L, relative_to))
    assert first_order <= E <= 1.5 * first_order
    assert error_bound(4, 10**4, 1e-15, 2, relative_to="product") > error_bound(4, 10**4, 1e-15, 1, relative_to="product")


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_slope_error_covers_the_stated_log_slope_error(name: str) -> None:
    """eps includes the activation's stated log-slope accuracy, and grows with the saturation (|L|)."""
    act = numeric(name)
    for largest in (0.0, 30.0, 2000.0):
        L = np.array([-largest, 0.0])
        assert slope_error(act, L) >= act.log_slope_error(L)
    assert slope_error(act, np.array([-2000.0])) > 100 * slope_error(act, np.array([-1.0]))
    # and the rounding of m log 2 with |m log 2| ~ |max L|: at least u |L| beyond the log slope's own error
    L = np.array([-2000.0])
    assert slope_error(act, L) >= act.log_slope_error(L) + 2000 * u
    assert slope_error(act, L) <= 1.5 * (act.log_slope_error(L) + u * (3.5 * 2000 + 3) + 2 * u)
    with pytest.raises(InputError, match="^relative_to: 'norm' is not 'magnitude' or 'product'$"):
        error_bound(4, 10, 1e-15, relative_to="norm")


# ---------------------------------------------------------------- the Kato-Temple certificate


def _with_spectrum(seed: int, singular: list[float]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    d = len(singular)
    q1, _ = np.linalg.qr(rng.standard_normal((d, d)))
    q2, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (q1 * singular) @ q2.T


def _exact_sigma(P: np.ndarray) -> mpmath.mpf:
    with mpmath.workdps(50):
        return max(mpmath.svd_r(mpmath.matrix(P.tolist()), compute_uv=False))


@pytest.mark.parametrize("scale", [1.0, 0.5])
@pytest.mark.parametrize("seed", range(8))
def test_certificate_is_an_upper_bound_on_the_computed_products_norm(seed: int, scale: float) -> None:
    """Top singular values 1 and 0.8 (times scale): power iteration is slow; the certificate must stay above the norm.

    The Rayleigh value sqrt(theta) is below the norm, and the certificate within RELATIVE of it (module docstring).
    """
    P = _with_spectrum(seed, [scale, 0.8 * scale, 0.3 * scale, 0.1 * scale])
    estimate = log_norm_2(P, np.full(4, 0.5))
    assert estimate.certified is True
    rounding = 8 * 4**1.5 * u
    with mpmath.workdps(50):
        sigma = _exact_sigma(P)
        ratio = float(mpmath.exp(mpmath.mpf(estimate.log_norm)) / sigma)
        assert float(mpmath.exp(mpmath.mpf(estimate.log_rayleigh)) / sigma) <= 1 + rounding
    assert 1 - rounding <= ratio <= 1 + RELATIVE + rounding
    assert 0 <= estimate.log_norm - estimate.log_rayleigh <= RELATIVE / 2 + rounding


def test_power_iteration_alone_would_be_below_the_norm() -> None:
    """The same matrices without the residual term: sqrt(theta) falls short, by more than rounding, for some seed."""
    shortfalls = []
    for seed in range(12):
        P = _with_spectrum(seed, [1.0, 0.8, 0.3, 0.1])
        x = P.T @ np.full(4, 0.5)
        for _ in range(3):
            x = P.T @ (P @ x)
            x /= np.linalg.norm(x)
        shortfalls.append(1 - np.linalg.norm(P @ x) / float(_exact_sigma(P)))
    assert max(shortfalls) > 1e-6


def test_without_a_gap_the_cholesky_test_certifies() -> None:
    """Equal singular values (an orthogonal matrix): no Kato-Temple bound, so theta settles and c^2 I - P^T P is factored."""
    P = _with_spectrum(3, [0.75, 0.75, 0.75])
    estimate = log_norm_2(P, np.full(3, 3**-0.5))
    assert estimate.certified is True and estimate.route == "cholesky"
    assert 0 <= estimate.log_norm - np.log(0.75) <= cholesky_error(3)
    assert not cholesky_certifies(P, 0.75**2 * (1 - 1e-9), 1e-12)  # below the norm the factorization fails
    assert cholesky_certifies(P, 0.75**2, 1e-12) and not cholesky_certifies(P, 0.0)
    assert estimate.log_rayleigh == pytest.approx(estimate.log_norm, abs=cholesky_error(3))  # every unit x has ||P x|| = 0.75


def test_a_gap_below_GAP_is_not_certified() -> None:
    """theta - alpha = GAP / 2 theta: even from the exact top singular vector (residual 0), no certificate; 4 GAP theta is enough."""
    P = _with_spectrum(4, [0.5, 0.5 * np.sqrt(1.0 - GAP / 2)])
    assert log_norm_2(P, np.linalg.svd(P)[0][:, 0]).route == "cholesky"
    wider = _with_spectrum(4, [0.5, 0.5 * np.sqrt(1.0 - 4 * GAP)])
    assert log_norm_2(wider, np.linalg.svd(wider)[0][:, 0]).route == "kato-temple"


def test_zero_matrix_and_a_start_in_the_null_space() -> None:
    start = np.array([0.0, 1.0])
    zero = log_norm_2(np.zeros((2, 2)), start)
    assert zero.log_norm == -np.inf and zero.log_rayleigh == -np.inf and zero.certified is False and zero.vector is start
    P = np.array([[0.75, 0.0], [0.0, 0.0]])  # P^T start = 0: the iteration must restart from another vector
    estimate = log_norm_2(P, start)
    assert estimate.certified is True
    assert estimate.log_norm == pytest.approx(np.log(0.75), abs=1e-15)


def test_every_2_norm_of_a_chain_with_a_gap_is_certified(monkeypatch: pytest.MonkeyPatch) -> None:
    """The certificate, not LAPACK, gives the 2-norms of a chain whose products have a clear spectral gap: one per k."""
    import verify.engine as engine

    calls: list[bool] = []

    def spy(P: np.ndarray, start: np.ndarray, *rest: object, **named: object) -> object:
        estimate = log_norm_2(P, start, *rest, **named)  # type: ignore[arg-type]
        calls.append(estimate.certified)
        return estimate

    monkeypatch.setattr(engine, "log_norm_2", spy)
    W = _with_spectrum(5, [1.2, 0.5, 0.2])
    chain_log_norms(*_held_at_zero(W, 20))
    assert len(calls) == 20 and all(calls)


@pytest.mark.parametrize(("activation", "scale"), [("tanh", 0.5), ("identity", 3.0)], ids=["decaying", "growing"])
def test_the_row_a_chain_carries_is_the_warm_start_times_the_product(activation: str, scale: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first vector each lag tests is P^T u for the u it was warm-started with, through the rescalings by 2^-e (the
    chain runs 2^32 past the unscaled range several times): the carried row is u^T P, not a stale or unscaled one."""
    import verify.engine as engine

    seen: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def spy(P: np.ndarray, start: np.ndarray, *rest: object, right: np.ndarray | None = None) -> object:
        assert right is not None
        seen.append((P.copy(), start.copy(), right.copy()))
        return log_norm_2(P, start, *rest, right=right)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "log_norm_2", spy)
    W, U, b, xs, s0 = _rnn(4, 6, 300, scale=scale)
    logs = chain_log_norms(W, U, b, xs, s0, activation)
    assert len(seen) == 300 and np.ptp(logs) > 3 * 32 * np.log(2)  # far past 2^32 in norm: rescaled more than once
    for P, u, right in seen:
        expected = u @ P
        assert np.linalg.norm(right - expected) <= 1e-9 * np.linalg.norm(P, 2)


def test_the_first_vector_tested_is_the_one_given() -> None:
    """log_norm_2 tests ``right`` first: the top right singular vector certifies at once (the Kato-Temple route, with
    P^T of its left image returned for the next lag); a poor one (0, or nearly the bottom singular vector) still ends in a
    certified value that agrees with the SVD (the bottom singular vector, tilted: exactly on it no power step leaves it)."""
    P = _with_spectrum(7, [3.0, 1.0, 0.5, 0.1])
    _, sigma, vt = np.linalg.svd(P)
    best = log_norm_2(P, np.full(4, 0.5), right=vt[0] * sigma[0])
    assert best.route == "kato-temple" and best.certified and best.right is not None
    assert np.allclose(best.right, best.left @ P, rtol=1e-12, atol=1e-12)
    for poor in (np.zeros(4), vt[-1] + 1e-3 * vt[0]):
        estimate = log_norm_2(P, np.full(4, 0.5), right=poor)
        assert estimate.certified and abs(estimate.log_norm - np.log(sigma[0])) < 1e-10


@pytest.mark.parametrize("d", [1, 7, 90, 91, 128, 257])
def test_the_sum_of_squares_is_the_frobenius_norm_squared(d: int) -> None:
    """Every entry counted once, and the chain's carried row (P is the first d rows of the block) not at all: exact on
    integers, to rounding on floats."""
    from verify.engine import _sum_of_squares

    rng = np.random.default_rng(d)
    block = rng.integers(-9, 10, size=(d + 1, d)).astype(np.float64)
    integers = block[:d]
    assert _sum_of_squares(integers) == float(np.sum(integers.astype(np.int64) ** 2))
    P = rng.standard_normal((d, d))
    assert _sum_of_squares(P) == pytest.approx(float(mpmath.fsum(mpmath.mpf(x) ** 2 for x in P.reshape(-1))), rel=d * d * 2.0**-52)


# ---------------------------------------------------------------- against the plain reference and finite differences


@pytest.mark.parametrize("name", sorted(NUMERIC))
@pytest.mark.parametrize("ord", ORDS, ids=str)
def test_fast_engine_agrees_with_reference(name: str, ord: Ord) -> None:
    for seed, d, T in [(0, 1, 5), (1, 3, 12), (3, 16, 30)]:
        W, U, b, xs, s0 = _rnn(seed, d, T, scale=1.5)
        fast = chain_norms(W, U, b, xs, s0, name, ord)
        ref = chain_norms_reference(W, U, b, xs, s0, name, ord)
        np.testing.assert_allclose(fast, ref, rtol=1e-10)
        assert fast.shape == (T,)


def test_batched_agrees_with_single_and_carries_its_bound_inputs() -> None:
    rng = np.random.default_rng(9)
    B, d, T = 5, 3, 15
    W, U = 1.4 * rng.standard_normal((B, d, d)), rng.standard_normal((B, d, 2))
    b, xs, s0 = rng.standard_normal((B, d)), rng.standard_normal((B, T, 2)), rng.standard_normal((B, d))
    for name in NUMERIC:
        for ord in ORDS:
            batched = chain_log_norms_batched(W, U, b, xs, s0, name, ord)
            # Two certified 2-norms of one product may differ by what each may differ from the norm; the others to rounding.
            # (These products do not cancel; where one does, the two products' own rounding differs by bound (a), relative
            # to the magnitude, and so may their norms.)
            close = 2 * evaluation_error(d) if ord == 2 else 1e-12
            for i in range(B):
                np.testing.assert_allclose(batched[i], chain_log_norms(W[i], U[i], b[i], xs[i], s0[i], name, ord), rtol=1e-12, atol=close)
    bounds = chain_bounds_batched(W, U, b, xs, s0)  # tanh by default
    np.testing.assert_array_equal(bounds.log_norms, chain_log_norms_batched(W, U, b, xs, s0, "tanh"))
    act = numeric("tanh")
    for i in range(B):
        pre = run(W[i], U[i], b[i], xs[i], s0[i])
        assert bounds.slope_errors[i] == pytest.approx(slope_error(act, act.log_slope(pre)), rel=1e-12)
        exact = _exact_chain(W[i], pre, "tanh", list(range(T)), "fro")
        with mpmath.workdps(50):
            for k, (_, M, _) in exact.items():
                E = float(error_bound(d, T - k, bounds.slope_errors[i], "fro", bounds.log_magnitudes[i, k]))
                assert abs(mpmath.exp(mpmath.mpf(float(bounds.log_magnitudes[i, k]))) - M) <= E * M


def _map(W, U, b, xs, s_k, k, activation):  # noqa: ANN001, ANN202
    phi = numeric(activation).phi
    s = s_k
    for j in range(k, xs.shape[0]):
        s = phi(W @ s + U @ xs[j] + b)
    return s


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_chain_agrees_with_finite_differences(name: str) -> None:
    """The Jacobian of the actual RNN map by central differences, from every s_k, has the engine's norms."""
    W, U, b, xs, s0 = _rnn(11, 4, 6, scale=1.3)
    pre = run(W, U, b, xs, s0, name)
    phi = numeric(name).phi
    states = [s0, *(phi(a) for a in pre)]
    h = 1e-6
    for ord in ORDS:
        norms = chain_norms(W, U, b, xs, s0, name, ord)
        for k in range(xs.shape[0]):
            columns = [(_map(W, U, b, xs, states[k] + h * e, k, name) - _map(W, U, b, xs, states[k] - h * e, k, name)) / (2 * h) for e in np.eye(4)]
            assert np.linalg.norm(np.column_stack(columns), ord) == pytest.approx(norms[k], rel=1e-6, abs=1e-9)


# ---------------------------------------------------------------- extremes


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


def test_overflowing_norms_have_exact_logs() -> None:
    """W = 4 I at a = 0 for T = 600: the norm 4^600 overflows a float, its log 1200 log 2 does not."""
    logs = chain_log_norms(*_held_at_zero(4.0 * np.eye(2), 600))
    lags = 600 - np.arange(600)
    np.testing.assert_allclose(logs, 2 * lags * np.log(2.0), rtol=4 * u, atol=20 * 2**2 * u)  # the Cholesky route: log c within 16 d^2 u of log ||P||
    assert np.isinf(chain_norms(*_held_at_zero(4.0 * np.eye(2), 600))[0])


SATURATING = sorted(n for n in NUMERIC if derive.derive_gamma(n).limits[1] == 0 and not derive.derive_gamma(n).kinks)


def test_the_saturating_activations_are_the_smooth_bounded_ones() -> None:
    assert SATURATING == ["sigmoid", "softsign", "tanh"]


@pytest.mark.parametrize("name", SATURATING)
@pytest.mark.parametrize("level", [40.0, 1000.0])
def test_saturated_units_give_finite_accurate_logs(name: str, level: float) -> None:
    """All units at |a| = level or more (phi' -> 0 there, smoothly): the log norm is exact: sum of log slopes + log ||W^(t-k)|| (W diagonal)."""
    d, T = 3, 30
    W = np.diag([1.0, 2.0, 3.0])
    bias = np.full(d, level)
    U, xs = np.zeros((d, 1)), np.zeros((T, 1))
    logs = chain_log_norms(W, U, bias, xs, np.zeros(d), name)
    assert np.all(np.isfinite(logs))
    pre = run(W, U, bias, xs, np.zeros(d), name)
    log_slopes = numeric(name).log_slope(pre)
    lags = T - np.arange(T)
    expected = [np.max(np.sum(log_slopes[k:], axis=0) + lag * np.log(np.diag(W))) for k, lag in zip(range(T), lags, strict=True)]
    np.testing.assert_allclose(logs, expected, rtol=1e-11)  # the Cholesky route: within 16 d^2 u + 3 d^2 u of the norm
    if name != "softsign":  # softsign's slope falls only like 1 / a^2: its chain stays inside the float range
        assert logs[0] < -1000
    batched = chain_log_norms_batched(W[None], U[None], bias[None], xs[None], np.zeros((1, d)), name)
    np.testing.assert_allclose(batched[0], expected, rtol=1e-12)


def test_a_product_whose_largest_entry_is_exactly_one() -> None:
    """W = ones (d = 4) at a = 0: W^n = 4^(n-1) W, ||W^n||_2 = 4^n; after scaling, the second product's entries are exactly 1."""
    W, U, b, xs, s0 = _held_at_zero(np.ones((4, 4)), 12)
    expected = (12 - np.arange(12)) * np.log(4.0)
    np.testing.assert_allclose(chain_log_norms(W, U, b, xs, s0), expected, rtol=4 * u)
    np.testing.assert_allclose(chain_log_norms_batched(W[None], U[None], b[None], xs[None], s0[None])[0], expected, rtol=4 * u)


def test_products_with_no_positive_entry() -> None:
    """W = -2 I: every odd-length product is -2^n I, whose largest entry is 0; the scale must come from |P|."""
    logs = chain_log_norms(*_held_at_zero(-2.0 * np.eye(2), 40))
    np.testing.assert_allclose(logs, (40 - np.arange(40)) * np.log(2.0), atol=20 * 2**2 * u)  # the Cholesky route's tight c
    for ord in ORDS:
        W, U, b, xs, s0 = _held_at_zero(np.array([[-3.0, -1.0], [0.0, -0.5]]), 9)
        np.testing.assert_allclose(chain_norms(W, U, b, xs, s0, "tanh", ord), chain_norms_reference(W, U, b, xs, s0, "tanh", ord), rtol=1e-12)


def test_zero_w_and_a_product_that_vanishes() -> None:
    assert np.all(chain_log_norms(*_held_at_zero(np.zeros((2, 2)), 4)) == -np.inf)
    nilpotent = np.array([[0.0, 10.0], [0.0, 0.0]])
    logs = chain_log_norms(*_held_at_zero(nilpotent, 4))
    np.testing.assert_allclose(logs[3], np.log(10.0), rtol=1e-15)
    assert np.all(logs[:3] == -np.inf)
    W, U, b, xs, s0 = _held_at_zero(nilpotent, 4)
    batched = chain_log_norms_batched(W[None], U[None], b[None], xs[None], s0[None])
    np.testing.assert_array_equal(batched[0], logs)
    assert np.all(chain_log_norms_batched(np.zeros((2, 2, 2)), np.zeros((2, 2, 1)), np.zeros((2, 2)), np.zeros((2, 3, 1))) == -np.inf)


# ---------------------------------------------------------------- inputs


ARGUMENTS = ("W", "U", "b", "xs", "s0")


def _inputs() -> dict[str, np.ndarray]:
    W, U, b, xs, s0 = _rnn(0, 3, 4)
    return {"W": W, "U": U, "b": b, "xs": xs, "s0": s0}


def _call(function: Callable[..., object], inputs: dict[str, np.ndarray], *rest: object, batched: bool = False) -> object:
    """function(W, U, b, xs, s0, *rest), each input given a batch axis of one when ``batched``."""
    return function(*(value[None] if batched else value for value in inputs.values()), *rest)


@pytest.mark.parametrize("argument", ARGUMENTS)
@pytest.mark.parametrize(("bad", "word"), [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "-inf")])
@pytest.mark.parametrize("ord", ORDS, ids=str)
def test_non_finite_values_are_named(argument: str, bad: float, word: str, ord: Ord) -> None:
    inputs = _inputs()
    where = (0, 1) if inputs[argument].ndim == 2 else (1,)
    inputs[argument][where] = bad
    expected = f"{argument}: contains {word} at {list(where)}"
    for function in (chain_log_norms, chain_norms_reference):
        with pytest.raises(InputError, match=expected.replace("[", r"\[").replace("]", r"\]")) as caught:
            _call(function, inputs, "tanh", ord)
        assert caught.value.argument == argument
    with pytest.raises(InputError, match=f"^{argument}: contains {word}"):
        _call(chain_log_norms_batched, inputs, "tanh", ord, batched=True)


@pytest.mark.parametrize("argument", ARGUMENTS)
def test_complex_values_are_refused_not_truncated(argument: str) -> None:
    inputs = _inputs()
    inputs[argument] = inputs[argument] + 0j
    for function in (chain_log_norms, chain_norms_reference):
        with pytest.raises(InputError, match=f"^{argument}: complex"):
            _call(function, inputs)
    with pytest.raises(InputError, match=f"^{argument}: complex"):
        _call(chain_log_norms_batched, inputs, batched=True)


@pytest.mark.parametrize(
    ("argument", "replace", "message"),
    [
        ("W", np.zeros((2, 3)), "W: must be a square"),
        ("W", np.zeros(3), "W: must have 2 dimensions"),
        ("U", np.zeros((3, 2)), r"U: must have shape \(d, m\) = \(3, 3\)"),
        ("b", np.zeros(2), r"b: must have shape \(d,\) = \(3,\)"),
        ("s0", np.zeros(4), r"s0: must have shape \(d,\)"),
        ("xs", np.zeros((0, 3)), "xs: has T = 0 steps"),
        ("W", np.array([["a"]]), "W: must hold real numbers"),
    ],
)
def test_bad_shapes_are_named(argument: str, replace: np.ndarray, message: str) -> None:
    inputs = _inputs()
    inputs[argument] = replace
    for function in (chain_log_norms, chain_norms_reference):
        with pytest.raises(InputError, match=f"^{message}"):
            _call(function, inputs)


def test_bad_batched_shapes_are_named() -> None:
    inputs = {name: value[None] for name, value in _inputs().items()}
    for argument, replace, message in [
        ("xs", np.zeros((2, 4, 3)), "xs: must have shape (B, T, m) with B = 1 and T >= 1, got (2, 4, 3)"),
        ("xs", np.zeros((1, 0, 3)), "xs: must have shape (B, T, m) with B = 1 and T >= 1, got (1, 0, 3)"),
        ("U", np.zeros((1, 3, 2)), "U: must have shape (B, d, m) = (1, 3, 3), got (1, 3, 2)"),
        ("b", np.zeros((1, 2)), "b: must have shape (B, d) = (1, 3), got (1, 2)"),
        ("W", np.zeros((1, 3, 2)), "W: must be B x d x d with d >= 1, got shape (1, 3, 2)"),
        ("s0", np.zeros((1, 2)), "s0: must have shape (B, d) = (1, 3), got (1, 2)"),
    ]:
        with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
            _call(chain_log_norms_batched, {**inputs, argument: replace})


def test_smallest_batched_shapes_and_default_s0_are_accepted() -> None:
    """d = 1, T = 1 and s0 omitted (zeros) are valid batched inputs, as for one network."""
    W, U, b, xs = np.full((1, 1, 1), 0.5), np.ones((1, 1, 1)), np.zeros((1, 1)), np.zeros((1, 1, 1))
    batched = chain_log_norms_batched(W, U, b, xs)
    np.testing.assert_allclose(batched[0], chain_log_norms(W[0], U[0], b[0], xs[0]), rtol=1e-15)
    np.testing.assert_allclose(batched[0], [np.log(0.5)], rtol=1e-15)


@pytest.mark.parametrize("ord", [3, -1, -np.inf, True, False, "nuc", None, 2.5])
def test_bad_ord_is_named(ord: object) -> None:
    inputs = _inputs()
    problem = "is a bool" if isinstance(ord, bool) else "is not a norm here"
    for function in (chain_log_norms, chain_norms_reference, chain_log_norms_batched):
        with pytest.raises(InputError, match=f"^ord: {re.escape(repr(ord))} {problem}; use one of 2, 1, inf, 'fro'$"):
            _call(function, inputs, "tanh", ord, batched=function is chain_log_norms_batched)


def test_good_ords_are_canonical() -> None:
    assert [repr(check_ord(o)) for o in (2, 2.0, np.int64(1), 1.0, np.inf, float("inf"), "fro")] == ["2", "2", "1", "1", "inf", "inf", "'fro'"]


def test_unknown_activation_is_a_config_error() -> None:
    inputs = _inputs()
    with pytest.raises(derive.ConfigError, match="swish2"):
        _call(chain_norms, inputs, "swish2")


def test_a_slow_power_iteration_is_finished_by_lanczos_and_certified_by_cholesky() -> None:
    """sigma_2 / sigma_1 = 0.999 (the residual does not fall in 40 steps): Lanczos certifies, by its Krylov space or Cholesky; never LAPACK."""
    P = _with_spectrum(5, [1.0, 0.999, 0.01, 0.001])
    estimate = log_norm_2(P, np.full(4, 0.5))
    assert estimate.route in ("krylov-kato-temple", "cholesky") and estimate.certified
    with mpmath.workdps(50):
        sigma = float(_exact_sigma(P))
    assert 0 <= estimate.log_norm - np.log(sigma) <= cholesky_error(4)
    power = P.T @ np.full(4, 0.5)
    for _ in range(40):
        power = P.T @ (P @ power)
        power /= np.linalg.norm(power)
    assert np.linalg.norm(P @ power) ** 2 < sigma**2 * (1 - 1e-9)  # power iteration alone was far from it
    assert lanczos_theta(P, power) >= sigma**2 * (1 - 1e-14)


def test_when_no_certificate_applies_lapack_gives_the_norm(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the Cholesky test failing, the value is LAPACK's, flagged uncertified, with the Rayleigh value below it."""
    import verify.engine as engine

    P = _with_spectrum(3, [0.75, 0.75, 0.75])
    monkeypatch.setattr(engine, "cholesky_certifies", lambda *args, **kwargs: False)
    estimate = engine.log_norm_2(P, np.full(3, 3**-0.5))
    assert estimate.route == "lapack" and estimate.certified is False
    assert estimate.log_norm == pytest.approx(np.log(0.75), abs=svd_error(3))
    assert estimate.log_rayleigh <= estimate.log_norm + 1e-15


def test_lanczos_is_the_rayleigh_quotient_after_one_step_and_exact_on_the_whole_space() -> None:
    P = np.diag([3.0, 2.0, 1.0, 0.5])
    x = np.array([1.0, 2.0, 3.0, 4.0])
    unit = x / np.linalg.norm(x)
    assert lanczos_theta(P, x, steps=1) == pytest.approx(unit @ (P.T @ P) @ unit, rel=1e-15)
    assert lanczos_theta(P, x) == pytest.approx(9.0, rel=1e-14)
    assert lanczos_theta(P, x, steps=2) < 9.0  # a Ritz value: below the top eigenvalue until the space is large enough
    invariant = np.array([0.0, 1.0, 0.0, 0.0])  # an eigenvector: the Krylov space stops at dimension 1
    assert lanczos_theta(P, invariant) == pytest.approx(4.0, rel=1e-15)


def test_the_cholesky_test_fails_below_the_norm_and_for_a_non_positive_candidate() -> None:
    P = _with_spectrum(6, [2.0, 1.0, 0.5])
    sigma2 = 4.0
    assert cholesky_certifies(P, sigma2 * (1 + 1e-9), 1e-12)
    assert not cholesky_certifies(P, sigma2 * (1 - 1e-9), 1e-12)
    assert cholesky_certifies(P, sigma2 * (1 - 1e-13), 1e-11)  # the margin lifts a candidate just below
    assert not cholesky_certifies(P, -1.0, 10.0) and not cholesky_certifies(P, 0.0, 10.0)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_a_d64_chain_agrees_with_the_reference_at_every_lag(activation: str) -> None:
    """The benchmark's d = 64, T = 200 network, where a Lanczos Ritz value once came out above the norm (a 64 % error)."""
    rng = np.random.default_rng(0)
    d, T = 64, 200
    W = 1.2 * rng.standard_normal((d, d)) / np.sqrt(d)
    U, b, xs = rng.standard_normal((d, 8)), 0.1 * rng.standard_normal(d), rng.standard_normal((T, 8))
    fast, ref = chain_norms(W, U, b, xs, activation=activation), chain_norms_reference(W, U, b, xs, activation=activation)
    normal = ref > 1e-150
    assert np.max(np.abs(fast[normal] / ref[normal] - 1)) <= 2 * evaluation_error(d, 2)


@pytest.mark.parametrize("d", [2, 5, 8])
def test_the_batched_2_norms_are_within_the_stated_error_of_the_reference(d: int) -> None:
    """Many random chains at once: every batched 2-norm within evaluation_error of the plain reference (tight, not 1e-9)."""
    rng = np.random.default_rng(d)
    B, T = 120, 20
    W = rng.uniform(0.5, 1.5, (B, 1, 1)) * rng.standard_normal((B, d, d)) / np.sqrt(d)
    U, b, xs = rng.standard_normal((B, d, 2)), rng.standard_normal((B, d)), rng.standard_normal((B, T, 2))
    logs = chain_log_norms_batched(W, U, b, xs)
    for i in range(B):
        ref = chain_norms_reference(W[i], U[i], b[i], xs[i])
        assert np.max(np.abs(np.exp(logs[i]) / ref - 1)) <= 2 * evaluation_error(d, 2) + 1e-13, i


def test_the_batched_path_certifies_chains_with_a_gap_without_lapack(monkeypatch: pytest.MonkeyPatch) -> None:
    """W = diag(1, 0.3) rotated, held at a = 0: a clear gap at every lag, so the power iteration certifies every case."""
    cases: list[int] = []
    svd = np.linalg.svd

    def counting(a: Array, *args: Any, **kwargs: Any) -> Any:
        cases.append(int(np.prod(np.shape(a)[:-2])))
        return svd(a, *args, **kwargs)

    monkeypatch.setattr(np.linalg, "svd", counting)
    Q = np.linalg.qr(np.random.default_rng(7).standard_normal((2, 2)))[0]
    W = np.stack([Q @ np.diag([1.0, 0.3]) @ Q.T * s for s in (0.5, 1.0, 2.0)])
    B = W.shape[0]
    logs = chain_log_norms_batched(W, np.zeros((B, 2, 1)), np.zeros((B, 2)), np.zeros((B, 12, 1)))
    assert sum(cases) == 0
    for i in range(B):
        np.testing.assert_allclose(logs[i], (12 - np.arange(12)) * np.log(np.linalg.norm(W[i], 2)), rtol=1e-10, atol=1e-12)


def test_the_compiled_certificate_is_an_upper_bound_within_the_stated_error() -> None:
    """kernels.certify_2_norms, case by case against the exact norm (50 digits). Every certified value is at or above it
    (to the rounding of theta) and within RELATIVE + 8 d^1.5 u; its left vector is the top left singular vector. A zero
    product gives 0; the cases with no gap (a flat spectrum) or too slow an iteration are returned, and only those."""
    from verify.engine import GAP, HOPELESS, SETTLED
    from verify.kernels import certify_2_norms

    d = 6
    spectra = {
        "gap": [1.0, 0.5, 0.4, 0.3, 0.2, 0.1],
        "near": [1.0, 0.8, 0.3, 0.2, 0.1, 0.05],
        "large": [3e5, 2e5, 1e5, 1.0, 0.5, 0.1],
        "small": [1e-3, 8e-4, 3e-4, 2e-4, 1e-4, 5e-5],  # theta = 1e-6: the gap test is relative to theta
        "rank one": [2.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        "flat": [1.0, 0.95, 0.9, 0.85, 0.8, 0.75],
        "slow": [1.0, 0.9999, 0.2, 0.1, 0.1, 0.1],
    }
    P = np.stack([_with_spectrum(seed, values) for seed, values in enumerate(spectra.values())] + [np.zeros((d, d))])
    rng = np.random.default_rng(3)
    left = rng.standard_normal((P.shape[0], d))
    left /= np.linalg.norm(left, axis=1)[:, None]
    left[0] = 0.0  # no warm start at all: the constant vector instead
    frob2 = np.einsum("bij,bij->b", P, P)
    norms, lefts = np.full(P.shape[0], np.nan), np.full((P.shape[0], d), np.nan)
    fails = certify_2_norms(P, left, frob2, 64, RELATIVE, GAP, SETTLED, HOPELESS, norms, lefts)
    names = [*spectra, "zero"]
    assert [names[i] for i in fails] == ["flat", "slow"]
    assert norms[-1] == 0.0 and np.all(lefts[-1] == d**-0.5)
    for i, name in enumerate(names[:-1]):
        assert np.linalg.norm(lefts[i]) == pytest.approx(1.0, rel=1e-14), name
        if i in fails:
            continue
        with mpmath.workdps(50):
            sigma = _exact_sigma(P[i])
            excess = float(mpmath.log(norms[i]) - mpmath.log(sigma))
        assert -4 * d * u <= excess <= RELATIVE + 8 * d**1.5 * u, name
        top = np.linalg.svd(P[i])[0][:, 0]
        assert abs(float(lefts[i] @ top)) == pytest.approx(1.0, abs=1e-9), name
    slow = np.linalg.svd(P[names.index("slow")])[0][:, :2]  # 64 steps leave the slow case's vector in the top two
    assert np.linalg.norm(slow.T @ lefts[names.index("slow")]) == pytest.approx(1.0, abs=1e-6)
    none = certify_2_norms(P, left, frob2, 0, RELATIVE, GAP, SETTLED, HOPELESS, norms, lefts)  # no step: nothing certified
    assert list(none) == list(range(len(spectra)))
    # The warm start is P^T left, normalized: from the exact left singular vector one step certifies (sigma_1 = 0.5)
    Q = 0.5 * P[:1]
    exact = np.linalg.svd(Q[0])[0][:, 0][None]
    assert certify_2_norms(Q, exact, frob2[:1] / 4, 1, RELATIVE, GAP, SETTLED, HOPELESS, norms, lefts).size == 0
    assert certify_2_norms(Q, left[1:2], frob2[:1] / 4, 1, RELATIVE, GAP, SETTLED, HOPELESS, norms, lefts).size == 1
    # P^T left = 0 and P x = 0 (W = [[1, -1], [-1, 1]] under the identity): no certificate, and the constant vector next
    R = np.array([[[1.0, -1.0], [-1.0, 1.0]]])
    flat = np.full((1, 2), 0.5**0.5)
    assert list(certify_2_norms(R, flat, np.array([4.0]), 64, RELATIVE, GAP, SETTLED, HOPELESS, norms[:1], lefts[:1, :2])) == [0]
    assert np.all(lefts[0, :2] == 0.5**0.5)


def test_the_compiled_certificate_works_where_no_cache_can_be_written() -> None:
    """A read-only install without a writable cache directory: Numba has nowhere to cache the machine code, and the
    kernel is compiled in the process instead of failing at import (a fresh interpreter with Numba's places removed)."""
    import subprocess
    import sys

    script = (
        "import numba.core.caching as caching; caching.CacheImpl._locator_classes = []\n"
        "import numpy as np; from verify.engine import _batched_norm_2\n"
        "print(_batched_norm_2(3.0 * np.eye(2)[None], np.full((1, 2), 0.5 ** 0.5))[0][0])\n"
    )
    root = Path(derive.__file__).parent.parent
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=root)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) == pytest.approx(3.0, rel=1e-11)
    # Any other error of Numba's is not taken for that one; and where a place exists, the code is cached there
    other = (
        "import numba\nreal = numba.njit\n"
        "def refuse(*a, **k):\n    if k.get('cache'):\n        raise RuntimeError('something else')\n    return real(*a, **k)\n"
        "numba.njit = refuse\nimport verify.kernels\n"
    )
    refused = subprocess.run([sys.executable, "-c", other], capture_output=True, text=True, timeout=300, cwd=root)
    assert refused.returncode != 0 and "something else" in refused.stderr
    from verify.kernels import certify_2_norms

    assert certify_2_norms.stats.cache_path is not None


def test_a_flat_spectrum_is_certified_by_the_krylov_space() -> None:
    """Singular values 1, 0.9, ..., 0.3 (d = 8): sigma_1^2 is far below ||P||_F^2 / 2, so the one-vector alpha never gives a gap.

    The power iteration gives up after a few steps (HOPELESS); Lanczos's Krylov space bounds lambda_2 instead, and the
    Kato-Temple bound holds: within RELATIVE + 8 d^1.5 u above the exact norm, never below it.
    """
    P = _with_spectrum(7, [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3])
    estimate = log_norm_2(P, np.full(8, 8**-0.5), work=np.empty((8, 8)))
    assert estimate.route == "krylov-kato-temple" and estimate.certified
    with mpmath.workdps(50):
        sigma = float(_exact_sigma(P))
    assert -4 * u <= estimate.log_norm - np.log(sigma) <= RELATIVE + 8 * 8**1.5 * u
    assert np.linalg.norm(estimate.left) == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("seed", range(40))
def test_the_krylov_bound_is_never_below_the_norm(seed: int) -> None:
    """Near-converged subspaces (the top k right singular vectors, perturbed by 1e-7): whenever certified, the value is an
    upper bound on the exact norm (to rounding) and within the stated error above it. An alpha below lambda_2 breaks this."""
    rng = np.random.default_rng(seed)
    d = int(rng.integers(5, 12))
    k = int(rng.integers(3, d))
    top = 1.0 - rng.uniform(1e-3, 0.05)  # sigma_2 near sigma_1 = 1: the residual's term decides, and an unsound alpha shows
    P = _with_spectrum(seed, sorted([1.0, top, *rng.uniform(0.0, top, d - 2)], reverse=True))
    _, _, Vt = np.linalg.svd(P)
    X, _ = np.linalg.qr((Vt[:k] + 10.0 ** rng.uniform(-6, -4) * rng.standard_normal((k, d))).T)
    estimate = krylov_kato_temple(P, X.T, float(np.sum(P * P)))
    with mpmath.workdps(50):
        log_sigma = float(mpmath.log(_exact_sigma(P)))
    assert estimate.log_rayleigh <= log_sigma + 4 * d * u
    if estimate.certified:
        assert -4 * d * u <= estimate.log_norm - log_sigma <= RELATIVE + 8 * d**1.5 * u


def test_the_krylov_bound_needs_a_gap_and_a_small_residual() -> None:
    """The whole space as X gives the exact top pair; a random 2-dimensional X leaves a residual: no certificate."""
    P = _with_spectrum(3, [1.0, 0.6, 0.5, 0.4, 0.3])
    exact = krylov_kato_temple(P, np.eye(5), float(np.sum(P * P)))
    assert exact.certified and exact.route == "krylov-kato-temple"
    rough = krylov_kato_temple(P, np.linalg.qr(np.random.default_rng(0).standard_normal((5, 2)))[0].T, float(np.sum(P * P)))
    assert not rough.certified and rough.route == "none"


def test_the_cholesky_test_with_a_buffer_decides_as_without() -> None:
    P = _with_spectrum(2, [1.0, 0.6, 0.2])
    sigma2 = float(_exact_sigma(P)) ** 2
    work = np.empty((3, 3))
    for theta, margin in ((sigma2 * (1 + 1e-9), 1e-12), (sigma2 * (1 - 1e-9), 1e-12), (sigma2 * (1 - 1e-13), 1e-11)):
        assert cholesky_certifies(P, theta, margin, work) == cholesky_certifies(P, theta, margin)


def test_lanczos_stops_early_once_the_ritz_value_has_settled() -> None:
    """Top eigenvalue well separated: the Ritz value settles in a few steps, and the result is the top eigenvalue."""
    import verify.engine as engine

    calls = []

    class Counting(np.ndarray):
        def __matmul__(self, other: object) -> np.ndarray:
            calls.append(1)
            return np.asarray(self) @ other  # type: ignore[operator,no-any-return]

    P = np.diag(np.concatenate([[4.0], np.linspace(1.0, 0.1, 63)])).view(Counting)
    theta = lanczos_theta(P, np.ones(64))
    assert theta == pytest.approx(16.0, rel=1e-14)
    assert len(calls) < 2 * engine.LANCZOS_STEPS  # two products a step (P and its transpose), one at the end: stopped early


@pytest.mark.parametrize("scale", [2.0**40, 2.0**-40])
def test_orthogonal_times_a_huge_or_tiny_scale_has_exact_logs(scale: float) -> None:
    """W = scale Q (Q orthogonal) at a = 0: ||W^n||_2 = scale^n and ||W^n||_F = sqrt(3) scale^n, far past the float range."""
    Q = _with_spectrum(9, [1.0, 1.0, 1.0])
    lags = 60 - np.arange(60)
    np.testing.assert_allclose(chain_log_norms(*_held_at_zero(scale * Q, 60)), lags * np.log(scale), rtol=1e-12)
    fro = chain_log_norms(*_held_at_zero(scale * Q, 60), ord="fro")
    np.testing.assert_allclose(fro, lags * np.log(scale) + 0.5 * np.log(3.0), rtol=1e-12)


def test_within_the_loose_range_the_product_is_not_rescaled(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chain whose norms stay at 1 never rescales; one whose scaled product halves every step rescales every 16 steps."""
    import verify.engine as engine

    calls: list[int] = []
    real = np.ldexp

    def counting_ldexp(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(engine.np, "ldexp", counting_ldexp)
    W = _with_spectrum(4, [1.0, 0.5, 0.25])
    W, U, b, xs, s0 = _held_at_zero(W, 12)  # ||W^n|| = 1 for all n: the norms stay at 1
    before = len(calls)
    logs = chain_log_norms(W, U, b, xs, s0)
    gentle = len(calls) - before  # the one scaling of W before the steps
    np.testing.assert_allclose(np.exp(logs), chain_norms_reference(W, U, b, xs, s0), rtol=1e-12)
    steep = _held_at_zero(np.diag([1.0, 2.0**-30, 2.0**-30]), 40)  # W scaled to 1/2 I: ||P||_F^2 falls by 4 a step
    before = len(calls)
    np.testing.assert_allclose(chain_log_norms(*steep), 0.0, atol=1e-15)
    assert gentle == 1 and len(calls) - before == 1 + 2  # W, then twice in 40 steps: after 17 and after 33 (2^-32 crossed)


@pytest.mark.parametrize("scale", [2.0**-20, 1.0, 2.0**20])
def test_the_krylov_bound_with_the_residual_along_the_second_direction_is_above_the_norm(scale: float) -> None:
    """X = (cos e v1 + sin e v2, v3, ..., v6): the Ritz vector's error lies along v2 (sigma_2 = 0.995), the one direction X
    leaves out, so the bound is tight only with alpha >= lambda_2; certified, it stays above the exact norm. An alpha
    lowered by 1e-3 ||P||_F^2 falls short by about e^2 1e-3 ||P||_F^2, far more than rounding."""
    sigma = np.array([1.0, 0.995, 0.01, 0.005, 0.002, 0.001])  # X holds v3: alpha = lambda_2 + lambda_3 + ..., nearly tight
    P = scale * _with_spectrum(11, list(sigma))  # scaled by a power of two: every test of the certificate is homogeneous
    _, _, Vt = np.linalg.svd(P)
    e = 2e-5
    X = np.vstack([np.cos(e) * Vt[0] + np.sin(e) * Vt[1], Vt[2:]])
    estimate = krylov_kato_temple(P, X, float(np.sum(P * P)))
    assert estimate.certified
    with mpmath.workdps(50):
        log_sigma = float(mpmath.log(_exact_sigma(P)))
    assert estimate.log_rayleigh < log_sigma - 1e-12  # the Rayleigh value alone falls short: the residual term is needed
    assert -8 * u <= estimate.log_norm - log_sigma <= RELATIVE + 8 * 6**1.5 * u


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_one_network_at_a_time_gives_what_the_batch_gives(activation: str) -> None:
    """chain_bounds (one network) and chain_bounds_batched agree: the slope errors exactly, the magnitudes to a few ulps,
    the 2-norms within the stated error; and both forward passes give the same pre-activations."""
    from verify.engine import _batched_pre, _forward, chain_bounds, chain_bounds_batched, numeric

    rng = np.random.default_rng(5)
    B, d, T = 6, 5, 30
    W = rng.standard_normal((B, d, d)) / np.sqrt(d)
    U, b, xs = rng.standard_normal((B, d, 2)), rng.standard_normal((B, d)), rng.standard_normal((B, T, 2))
    batched = chain_bounds_batched(W, U, b, xs, None, activation)
    act = numeric(activation)
    pre = _batched_pre(act, W, U, b, xs, np.zeros((B, d)))
    for i in range(B):
        one = chain_bounds(W[i], U[i], b[i], xs[i], None, activation)
        assert one.slope_errors[0] == batched.slope_errors[i]
        np.testing.assert_allclose(one.log_magnitudes[0], batched.log_magnitudes[i], rtol=0, atol=64 * u * (1 + float(np.max(np.abs(one.log_magnitudes[0])))))
        np.testing.assert_allclose(np.exp(one.log_norms[0] - batched.log_norms[i]), 1.0, rtol=0, atol=2 * evaluation_error(d))
        np.testing.assert_allclose(_forward(W[i], U[i], b[i], xs[i], np.zeros(d), act.phi), pre[i], rtol=4 * u, atol=0)

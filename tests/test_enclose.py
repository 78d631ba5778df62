"""The ball enclosures of ||ds_T/ds_k||_2 against an independent 50-digit mpmath computation."""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import numpy as np
import pytest
import sympy as sp
from flint import arb, arb_mat

from derive.activations import derive_gamma
from derive.errors import InputError
from verify.claims import LOG_TOLERANCE
from verify.enclose import (
    BITS,
    ball_activation,
    ball_chain,
    enclose_chain_log_norms,
    enclose_chain_norms,
    float_down,
    float_up,
    norm_enclosure,
    precision,
)
from verify.engine import chain_log_norms

Array = np.ndarray
DPS = 50
WIDTH = 1e-9  # hi/lo - 1 asked of a well-conditioned case


# -- the independent reference: mpmath at 50 digits, SymPy's own derivative, no rewriting -------------------


def _mp_function(expr: sp.Expr, z: sp.Symbol) -> Callable[[mpmath.mpf], mpmath.mpf]:
    function: Callable[[mpmath.mpf], mpmath.mpf] = sp.lambdify(z, expr, modules="mpmath")
    return function


def reference_log_norms(W: Array, U: Array, b: Array, xs: Array, s0: Array | None, activation: str, wrong: str = "") -> list[mpmath.mpf]:
    """log ||ds_T/ds_k||_2 for k = 0..T-1 in mpmath: the recurrence, the products J_T ... J_{k+1}, sqrt(max eig(P^T P)).

    The slope is SymPy's derivative of the formula as it is (1 - tanh^2 for tanh), evaluated with enough extra
    digits to survive its cancellation at saturated pre-activations.
    """
    derivation = derive_gamma(activation)
    phi, slope = _mp_function(derivation.phi, derivation.variable), _mp_function(derivation.first, derivation.variable)
    d, T = W.shape[0], xs.shape[0]
    with mpmath.workdps(DPS):
        Wm, Um, bm = mpmath.matrix(W.tolist()), mpmath.matrix(U.tolist()), mpmath.matrix(b.tolist())
        s = mpmath.matrix((np.zeros(d) if s0 is None else s0).tolist())
        steps = []
        for x in xs:
            a = Wm * s + Um * mpmath.matrix(x.tolist()) + bm
            extra = int(max(abs(a[i]) for i in range(d))) + 10
            with mpmath.workdps(DPS + extra):
                slopes = [+slope(a[i]) for i in range(d)]
            steps.append(mpmath.diag(slopes) * Wm)
            s = mpmath.matrix([phi(a[i]) for i in range(d)])
        out = []
        P = mpmath.eye(d)
        for k in range(T - 1, -1, -1):
            P = steps[k] * P if wrong == "reversed" else P * steps[k]
            top = max(mpmath.eigsy(P.T * P, eigvals_only=True))
            out.append(mpmath.log(mpmath.sqrt(top)) if top > 0 else mpmath.mpf("-inf"))
        return out[::-1]


def assert_contains(lo: Array, hi: Array, logs: list[mpmath.mpf]) -> None:
    for k, value in enumerate(logs):
        if value == mpmath.mpf("-inf"):
            assert lo[k] == hi[k] == 0.0
            continue
        exact = mpmath.exp(value)
        assert mpmath.mpf(lo[k]) <= exact <= mpmath.mpf(hi[k]), (k, lo[k], exact, hi[k])


def assert_log_contains(lo: Array, hi: Array, logs: list[mpmath.mpf]) -> None:
    for k, value in enumerate(logs):
        assert mpmath.mpf(lo[k]) <= value <= mpmath.mpf(hi[k]), (k, lo[k], value, hi[k])


# -- the cases -------------------------------------------------------------------------------------------


def _orthogonal(rng: np.random.Generator, d: int) -> Array:
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return np.asarray(q * np.sign(np.diag(r)))


def network(kind: str, seed: int, d: int, T: int) -> tuple[Array, Array, Array, Array, Array]:
    """(W, U, b, xs, s0) of one kind: random, non-normal (Jordan-like), rank one, near-orthogonal."""
    rng = np.random.default_rng(seed)
    if kind == "random":
        W = rng.standard_normal((d, d)) * 1.3 / np.sqrt(d)
    elif kind == "jordan":
        W = 0.9 * np.eye(d) + 2.0 * np.eye(d, k=1)
    elif kind == "rank-one":
        W = np.outer(rng.standard_normal(d), rng.standard_normal(d))
    else:
        W = 1.1 * _orthogonal(rng, d)
    U = rng.standard_normal((d, 2))
    return W, U, rng.standard_normal(d) * 0.5, rng.standard_normal((T, 2)), rng.uniform(-1, 1, d)


CASES = [
    (kind, seed, d, T)
    for seed, (kind, d, T) in enumerate(
        [("random", 3, 12), ("random", 8, 50), ("jordan", 4, 20), ("rank-one", 5, 10), ("orthogonal", 6, 30), ("random", 1, 15), ("jordan", 2, 40)]
    )
]


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize(("kind", "seed", "d", "T"), CASES)
def test_enclosure_contains_the_50_digit_value_and_is_tight(kind: str, seed: int, d: int, T: int, activation: str) -> None:
    W, U, b, xs, s0 = network(kind, seed, d, T)
    lo, hi = enclose_chain_norms(W, U, b, xs, s0, activation)
    logs = reference_log_norms(W, U, b, xs, s0, activation)
    assert_contains(lo, hi, logs)
    positive = lo > 0
    assert np.all(hi[positive] / lo[positive] - 1 < WIDTH)
    assert np.all(lo <= hi)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_saturated_units_and_norms_far_below_the_double_range(activation: str) -> None:
    """|a| from 40 to 1000: norms near e^-30000 still get tight log enclosures; the float ones stay valid."""
    W = np.array([[2.0, 1.0, 0.0], [0.5, -1.0, 0.25], [0.0, 3.0, 1.0]])
    U = np.diag([40.0, -1000.0, 200.0])
    xs = np.ones((25, 3))
    xs[::3] *= -1
    b = np.array([1.0, 2.0, -3.0])
    logs = reference_log_norms(W, U, b, xs, None, activation)
    lo, hi = enclose_chain_log_norms(W, U, b, xs, None, activation)
    assert_log_contains(lo, hi, logs)
    assert min(logs) < -746  # below the double range: the case the log form exists for
    assert np.all(hi - lo < WIDTH * np.abs(lo))
    flo, fhi = enclose_chain_norms(W, U, b, xs, None, activation)
    tiny = np.array([value < -746 for value in logs])
    assert np.all(flo[tiny] == 0.0) and np.all(fhi[tiny] > 0.0)  # valid, no longer tight: documented
    assert_contains(flo, fhi, logs)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("lam", [0.75, 1.5, 3.0])
def test_orthogonal_witness_attains_the_bound(activation: str, lam: float) -> None:
    """W = lambda Q with every a_j at the activation's argmax z*: ||ds_T/ds_k||_2 = (gamma lambda)^(T-k)."""
    derivation = derive_gamma(activation)
    assert derivation.argmax is not None
    z_star, g = float(derivation.argmax), float(derivation.gamma)
    d, T = 4, 30
    for Q in (_orthogonal(np.random.default_rng(7), d), np.eye(d)[[2, 0, 3, 1]] * np.array([1, -1, 1, -1])):
        W = lam * Q
        s0 = np.full(d, float(derivation.phi.subs(derivation.variable, derivation.argmax)))
        b = z_star - W @ s0
        xs = np.zeros((T, 1))
        lo, hi = enclose_chain_norms(W, np.zeros((d, 1)), b, xs, s0, activation)
        assert_contains(lo, hi, reference_log_norms(W, np.zeros((d, 1)), b, xs, s0, activation))
        with mpmath.workdps(DPS):
            for k in range(T):
                bound = (mpmath.mpf(g) * mpmath.mpf(lam)) ** (T - k)
                assert abs(mpmath.mpf(hi[k]) / bound - 1) < 1e-12 and abs(mpmath.mpf(lo[k]) / bound - 1) < 1e-12


def test_exact_cases() -> None:
    """d = 1 with a_j = 0 gives exact powers; a nilpotent W gives exact zeros; zero W gives (0, 0)."""
    lo, hi = enclose_chain_norms(np.array([[0.5]]), np.zeros((1, 1)), np.zeros(1), np.zeros((4, 1)))
    assert list(lo) == [0.0625, 0.125, 0.25, 0.5] and np.all(hi / lo - 1 < 1e-12)  # hi: the Cholesky candidate, a margin above
    lo, hi = enclose_chain_norms(np.array([[0.0, 10.0], [0.0, 0.0]]), np.zeros((2, 1)), np.zeros(2), np.zeros((3, 1)))
    assert list(lo) == [0.0, 0.0, 10.0] and list(hi[:2]) == [0.0, 0.0] and hi[2] / 10 - 1 < 1e-12
    llo, lhi = enclose_chain_log_norms(np.zeros((2, 2)), np.zeros((2, 1)), np.zeros(2), np.zeros((2, 1)))
    assert list(llo) == list(lhi) == [-np.inf, -np.inf]


@pytest.mark.parametrize(("kind", "seed", "d", "T"), CASES)
def test_the_float_engine_lies_within_its_stated_error_of_the_enclosure(kind: str, seed: int, d: int, T: int) -> None:
    """verify.chain_log_norms is within the claims' tolerance (LOG_TOLERANCE per factor) of the rigorous enclosure."""
    W, U, b, xs, s0 = network(kind, seed, d, T)
    lo, hi = enclose_chain_log_norms(W, U, b, xs, s0, "tanh")
    engine = chain_log_norms(W, U, b, xs, s0, "tanh")
    allowance = LOG_TOLERANCE * (T - np.arange(T))
    assert np.all(engine >= lo - allowance) and np.all(engine <= hi + allowance)


# -- mutations: an enclosure of the wrong chain must miss the true value ----------------------------------------


def test_transposed_weights_are_caught() -> None:
    W, U, b, xs, s0 = network("jordan", 11, 3, 8)
    truth = reference_log_norms(W, U, b, xs, s0, "tanh")
    lo, hi = enclose_chain_norms(W.T, U, b, xs, s0, "tanh")
    with pytest.raises(AssertionError):
        assert_contains(lo, hi, truth)


def test_reversed_product_is_caught() -> None:
    """The enclosure of J_{k+1} ... J_T (earlier steps on the left) does not contain ||J_T ... J_{k+1}||_2."""
    W, U, b, xs, s0 = network("random", 12, 3, 8)
    truth = reference_log_norms(W, U, b, xs, s0, "tanh")
    with precision(BITS):
        chain = ball_chain(W, U, b, xs, s0, "tanh")
        product = chain.steps[0]
        for J in chain.steps[1:]:
            product = product * J  # the wrong order
        lo, hi = norm_enclosure(product)
        assert not (lo <= arb(mpmath.nstr(mpmath.exp(truth[0]), 40)) <= hi)
        assert lo > 0 and hi <= lo * arb(1 + WIDTH)  # a tight enclosure of the wrong thing
    # and the reference agrees that the orders differ (the test can tell them apart)
    assert abs(reference_log_norms(W, U, b, xs, s0, "tanh", wrong="reversed")[0] - truth[0]) > 1e-3


# -- pieces ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_ball_slope_matches_the_sympy_derivative(activation: str) -> None:
    """The ball phi' (a stable rewrite for tanh) contains SymPy's derivative evaluated to 60 digits, saturated points included."""
    derivation = derive_gamma(activation)
    act = ball_activation(activation)
    z = derivation.variable
    slope_mp, phi_mp = _mp_function(derivation.first, z), _mp_function(derivation.phi, z)
    for point in ("-1000", "-40.5", "-3", "0", "0.125", "2", "35", "700"):
        with mpmath.workdps(60 + abs(int(float(point)))):  # digits enough for 1 - tanh^2 to cancel harmlessly
            exact, phi_exact = slope_mp(mpmath.mpf(point)), phi_mp(mpmath.mpf(point))
        with precision(BITS):
            slope = act.slope(arb(point))
            assert slope.contains(arb(mpmath.nstr(exact, 55))) or slope.overlaps(arb(mpmath.nstr(exact, 55)))
            assert act.phi(arb(point)).overlaps(arb(mpmath.nstr(phi_exact, 55)))
            assert slope.rel_accuracy_bits() > 100


def test_norm_enclosure_of_a_ball_matrix() -> None:
    with precision(BITS):
        P = arb_mat([[3, 0], [4, 5]])  # singular values sqrt(45), sqrt(5)
        lo, hi = norm_enclosure(P)
        assert lo <= arb(45).sqrt() <= hi and hi <= lo * arb(1 + 1e-12)
        lo, hi = norm_enclosure(P * arb(2) ** -5000)
    with precision(4 * BITS):  # the exact value to more digits than the enclosure has
        exact = arb(45).sqrt() * arb(2) ** -5000
        assert lo <= exact <= hi and hi <= lo * arb(1 + 1e-12)


def test_outward_rounding() -> None:
    with precision(BITS):
        third = arb(1) / 3
        assert float_down(third) < 1 / 3 < float_up(third) or float_down(third) <= 1 / 3 <= float_up(third)
        assert arb(float_down(third)) <= third.lower() and arb(float_up(third)) >= third.upper()
        assert float_down(arb(2) ** -2000) == 0.0 and float_up(arb(2) ** -2000) == 5e-324
        assert float_up(arb(2) ** 2000) == np.inf and float_down(arb(2) ** 2000) == np.finfo(float).max


@pytest.mark.parametrize(
    ("change", "argument"),
    [
        ({"W": np.zeros((2, 3))}, "W"),
        ({"U": np.zeros((3, 2))}, "U"),
        ({"b": np.zeros(3)}, "b"),
        ({"xs": np.zeros((0, 1))}, "xs"),
        ({"s0": np.zeros(3)}, "s0"),
        ({"W": np.array([[np.nan, 0], [0, 0]])}, "W"),
        ({"b": np.array([np.inf, 0])}, "b"),
        ({"W": np.eye(2) * 1j}, "W"),
        ({"xs": np.zeros(4)}, "xs"),
    ],
)
def test_bad_inputs_are_named(change: dict[str, Array], argument: str) -> None:
    args = {"W": np.eye(2), "U": np.zeros((2, 1)), "b": np.zeros(2), "xs": np.zeros((3, 1)), "s0": np.zeros(2)} | change
    with pytest.raises(InputError) as error:
        enclose_chain_norms(**args)
    assert error.value.argument == argument

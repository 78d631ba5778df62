"""The claims of verify/claims.py on fixed, hand-checkable cases: the properties a mutation run showed were untested.

Every number a refutation prints is compared with this file's own recomputation (mpmath at 60 digits, slopes
sech^2 and 1 / (4 cosh^2(a/2)) written out here, norms from mpmath's SVD), on cases chosen so that each number
matters: a spectral radius other than 1, two steps, a unit deep in saturation, inputs that are not zero. The
tolerances are the stated ones (TOL_NORM of the product scale, TOL_EIGEN ||W||_2, the worst end for a power), and
the margins read each claim as stated. No Hypothesis search runs here, so every test takes well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import mpmath
import numpy as np
import pytest

import verify.claims
from derive.activations import derive_gamma
from derive.errors import InputError
from verify.claims import (
    DECAY,
    FALSE_CLAIMS,
    LOG_TOLERANCE,
    MARGIN,
    TOL_EIGEN,
    TOL_NORM,
    FalseClaim,
    diagonal_norm_bounded,
    exceeds,
    log_bound_margin,
    submultiplicative,
    tightness_case,
    tightness_ratio,
)
from verify.engine import ORDS, Ord
from verify.strategies import LAG, Case, LinearCase

DPS = 60
GAMMA = {"sigmoid": mpmath.mpf(1) / 4, "tanh": mpmath.mpf(1)}
NON_NORMAL = np.array([[1.0, 0.0], [1.0, 1.0]])  # DESIGN.md: sigma_max = golden ratio, rho = 1
SHIFT = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])  # W^2 = e_1 e_3^T: ||W^2||_2 = 1 exactly


# --- This file's own recomputation, in mpmath ---


def _slope(activation: str, a: Any) -> Any:
    return mpmath.sech(a) ** 2 if activation == "tanh" else 1 / (4 * mpmath.cosh(a / 2) ** 2)


def _phi(activation: str, a: Any) -> Any:
    return mpmath.tanh(a) if activation == "tanh" else 1 / (1 + mpmath.exp(-a))


def _matrix(A: np.ndarray) -> Any:
    return mpmath.matrix([[mpmath.mpf(float(x)) for x in row] for row in np.atleast_2d(A)])


def _norm(M: Any) -> Any:
    return mpmath.mpf(0) if all(x == 0 for x in M) else max(mpmath.svd_r(M, compute_uv=False))


def _rho(M: Any) -> Any:
    return abs(M[0, 0]) if M.rows == 1 else max(abs(e) for e in mpmath.eig(M, left=False, right=False))


def _jacobians(case: Case, transpose: bool = False) -> list[Any]:
    """diag(phi'(a_j)) W (or W^T) along s_j = phi(W s_{j-1} + U x_j + b), rerun from scratch with the inputs."""
    W, d = _matrix(case.W), case.dim
    s = [mpmath.mpf(float(v)) for v in case.s0]
    factors = []
    for x in case.xs:
        a = [
            sum((W[i, j] * s[j] for j in range(d)), mpmath.mpf(0))
            + sum(mpmath.mpf(float(u)) * float(v) for u, v in zip(case.U[i], x, strict=True))
            + float(case.b[i])
            for i in range(d)
        ]
        M = W.T if transpose else W
        factors.append(mpmath.matrix([[_slope(case.activation, a[i]) * M[i, j] for j in range(d)] for i in range(d)]))
        s = [_phi(case.activation, v) for v in a]
    return factors


def _chain(factors: list[Any]) -> Any:
    P = mpmath.eye(factors[0].rows)
    for f in factors:
        P = f * P
    return P


def _scale(factors: list[Any]) -> Any:
    """|| |J_T| ... |J_1| ||_2: the forward error scale of a float product of these factors."""
    return _norm(_chain([f.apply(abs) for f in factors]))


def _power(W: np.ndarray, k: int) -> Any:
    return _chain([_matrix(W)] * k)


def _agree(claim: FalseClaim[Any], case: Case | LinearCase, expected: Mapping[str, Any], tolerance: Mapping[str, Any]) -> None:
    """Each printed number: the float route within its tolerance of ``expected``, the tolerance the stated one, the 50-digit route to 1e-12."""
    floats, exact = claim.floats(case), claim.exact(case)
    assert list(floats) == list(exact) == list(expected), (list(floats), list(expected))
    for key, (value, tol) in floats.items():
        mine = float(expected[key])
        assert tol == pytest.approx(float(tolerance[key]), rel=1e-6, abs=1e-300), (key, tol, tolerance[key])
        assert abs(value - mine) <= tol + 1e-300, (key, value, mine, tol)
        assert exact[key] == pytest.approx(mine, rel=1e-12, abs=1e-300), (key, exact[key], mine)


def _worst_end(x: Any, err: Any, factor: Any, n: int) -> Any:
    """(factor (x + err))^n - (factor x)^n: the error of a power at the worst end of x +- err."""
    return (factor * (x + err)) ** n - (factor * x) ** n


# --- The spectral radius in place of sigma_max ---


@pytest.mark.parametrize(("scale", "steps"), [(1.0, 1), (1.0, 2), (2.0, 2)])
def test_spectral_radius_numbers_and_tolerances_are_the_stated_ones(scale: float, steps: int) -> None:
    """W = c [[1,0],[1,1]], every a_j at the sigmoid's argmax: lambda = c golden, rho = c, ||ds_T/ds_0|| against (gamma rho)^T."""
    claim = FALSE_CLAIMS["spectral-radius"]
    case = tightness_case("sigmoid", scale * NON_NORMAL, steps)
    with mpmath.workdps(DPS):
        W, gamma = _matrix(case.W), GAMMA["sigmoid"]
        factors = _jacobians(case)
        lam, rho, norm = _norm(W), _rho(W), _norm(_chain(factors))
        assert rho == scale and lam == pytest.approx(scale * (1 + 5**0.5) / 2)
        expected = {"lambda": lam, "spectral radius": rho, "norm": norm, "claimed bound": (gamma * rho) ** steps, "true bound": (gamma * lam) ** steps}
        tolerance = {
            "lambda": TOL_NORM * lam,
            "spectral radius": TOL_EIGEN * lam,
            "norm": TOL_NORM * max(norm, _scale(factors)),
            "claimed bound": _worst_end(rho, TOL_EIGEN * lam, gamma, steps),
            "true bound": _worst_end(lam, TOL_NORM * lam, gamma, steps),
        }
        _agree(claim, case, expected, tolerance)
        assert claim.margin(claim.exact(case)) == pytest.approx(float((norm - expected["claimed bound"]) / norm), rel=1e-9)
    assert not claim.holds(case)


@pytest.mark.parametrize("W", [np.array([[-3.0]]), np.zeros((2, 2))], ids=["1x1", "zero"])
def test_spectral_numbers_of_a_normal_w_agree_and_refute_nothing(W: np.ndarray) -> None:
    """For d = 1 lambda = rho = |w|; for W = 0 every number is 0 by both routes. Neither case refutes the claim."""
    claim = FALSE_CLAIMS["spectral-radius"]
    case = Case("tanh", W, np.zeros((W.shape[0], 1)), np.full(W.shape[0], 0.5), np.zeros((1, 1)), np.full(W.shape[0], -0.25))
    with mpmath.workdps(DPS):
        Wm, factors = _matrix(W), _jacobians(case)
        lam, rho, norm = _norm(Wm), _rho(Wm), _norm(_chain(factors))
        expected = {"lambda": lam, "spectral radius": rho, "norm": norm, "claimed bound": rho, "true bound": lam}
        tolerance = {
            "lambda": TOL_NORM * lam,
            "spectral radius": TOL_EIGEN * lam,
            "norm": TOL_NORM * max(norm, _scale(factors)),
            "claimed bound": _worst_end(rho, TOL_EIGEN * lam, 1, 1),
            "true bound": _worst_end(lam, TOL_NORM * lam, 1, 1),
        }
        _agree(claim, case, expected, tolerance)
    assert claim.holds(case)


# --- gamma lambda > 1 and yet the norms decay ---


def _explosion_expected(case: Case) -> tuple[dict[str, Any], dict[str, Any]]:
    factors = _jacobians(case)
    gl = GAMMA[case.activation] * _norm(_matrix(case.W))
    expected, tolerance = {"gamma lambda": gl}, {"gamma lambda": TOL_NORM * gl}
    for lag in (1, 2, 10, LAG):
        tail = factors[case.steps - lag :]
        expected[f"norm at t-k = {lag}"] = norm = _norm(_chain(tail))
        tolerance[f"norm at t-k = {lag}"] = TOL_NORM * max(norm, _scale(tail))
    return expected, tolerance


@pytest.mark.parametrize("b", [0.0, 30.0], ids=["moderate", "deep-saturation"])
def test_saturation_numbers_at_every_printed_lag(b: float) -> None:
    """tanh, W = [[1.5]], s_0 = 1: gamma lambda = 1.5 > 1 and yet ||ds_t/ds_k|| < DECAY at t-k = 50.

    With b = 30 every a_j is about 31.5, where 1 - tanh^2 cancels 27 digits: the 50-digit route must carry them.
    """
    claim = FALSE_CLAIMS["explosion-saturation"]
    case = Case("tanh", np.array([[1.5]]), np.zeros((1, 1)), np.array([b]), np.zeros((LAG, 1)), np.array([1.0]))
    with mpmath.workdps(DPS):
        expected, tolerance = _explosion_expected(case)
        _agree(claim, case, expected, tolerance)
        margin = min((expected["gamma lambda"] - 1) / expected["gamma lambda"], (DECAY - expected[f"norm at t-k = {LAG}"]) / DECAY)
    assert claim.margin(claim.exact(case)) == pytest.approx(float(margin), rel=1e-9)
    assert not claim.holds(case)


def test_a_saturating_case_does_not_refute_the_nilpotent_variant() -> None:
    """The nilpotent refutation's reason is the matrix: W = [[1.5]] is no nilpotent W, so that claim holds on it."""
    case = Case("tanh", np.array([[1.5]]), np.zeros((1, 1)), np.zeros(1), np.zeros((LAG, 1)), np.array([1.0]))
    assert not FALSE_CLAIMS["explosion-saturation"].holds(case)
    assert FALSE_CLAIMS["explosion-nilpotent"].holds(case)


@pytest.mark.parametrize(("activation", "w"), [("tanh", 10.0), ("sigmoid", 40.0)])
def test_nilpotent_numbers_are_exact_zeros_from_the_second_lag(activation: str, w: float) -> None:
    """W = [[0, w], [0, 0]] with every a_j at z*: gamma lambda = 10, ||J_T|| = 10, then 0 exactly (tolerance 0), and W^2 = 0."""
    claim = FALSE_CLAIMS["explosion-nilpotent"]
    case = tightness_case(activation, np.array([[0.0, w], [0.0, 0.0]]), LAG)
    with mpmath.workdps(DPS):
        expected, tolerance = _explosion_expected(case)
        expected["norm of W^2"], tolerance["norm of W^2"] = _norm(_power(case.W, 2)), 0
        _agree(claim, case, expected, tolerance)
    assert expected["gamma lambda"] == 10 and expected["norm at t-k = 1"] == 10 and expected["norm at t-k = 2"] == 0
    assert claim.margin(claim.exact(case)) == pytest.approx(0.9, rel=1e-12)
    assert not claim.holds(case)


# --- The product in the wrong order, W^T for W ---

#: tanh, d = 2, two steps with inputs: a saturated unit 1, a live unit 2, non-commuting factors.
MIXED = Case(
    "tanh",
    np.array([[0.5, -1.0], [2.0, 0.25]]),
    np.array([[1.0], [-0.5]]),
    np.array([0.75, 0.1]),
    np.array([[0.3], [-0.7]]),
    np.array([0.2, -0.4]),
)


@pytest.mark.parametrize("name", ["reversed-order", "transposed"])
def test_swapped_products_numbers_and_error_bounds(name: str) -> None:
    """||ds_T/ds_0|| and ||wrong - true||, with inputs that are not zero; the error's tolerance covers both products' rounding."""
    claim = FALSE_CLAIMS[name]
    with mpmath.workdps(DPS):
        factors = _jacobians(MIXED)
        swapped = factors[::-1] if name == "reversed-order" else _jacobians(MIXED, transpose=True)
        true, wrong = _chain(factors), _chain(swapped)
        norm, error = _norm(true), _norm(wrong - true)
        expected = {"norm": norm, "error": error}
        tolerance = {"norm": TOL_NORM * max(norm, _scale(factors)), "error": TOL_NORM * (_scale(factors) + _scale(swapped))}
        _agree(claim, MIXED, expected, tolerance)
    assert claim.margin(claim.exact(MIXED)) == pytest.approx(float(error / norm), rel=1e-9)
    assert not claim.holds(MIXED)


def test_transposed_refuted_by_the_shift_matrix_whose_chain_has_norm_one() -> None:
    """tanh at z* = 0 with the 3 x 3 shift: ds_2/ds_0 = W^2 = e_1 e_3^T (norm exactly 1), (W^T)^2 = e_3 e_1^T: error 1, margin 1."""
    claim = FALSE_CLAIMS["transposed"]
    case = tightness_case("tanh", SHIFT, 2)
    exact = claim.exact(case)
    assert exact == {"norm": 1.0, "error": 1.0} and claim.margin(exact) == 1.0
    assert not claim.holds(case)


# --- ||W^k|| = ||W||^k and no transient growth ---


def test_power_norm_numbers_are_of_w_to_the_k() -> None:
    """W = [[1,1],[0,1]], k = 3: ||W^3|| = ||[[1,3],[0,1]]|| = (3 + sqrt 13)/2, ||W||^3 = golden^3."""
    claim = FALSE_CLAIMS["power-norm"]
    case = LinearCase(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
    with mpmath.workdps(DPS):
        power, lam = _norm(_power(case.W, 3)), _norm(_matrix(case.W))
        assert power == pytest.approx((3 + 13**0.5) / 2, rel=1e-15) and lam == pytest.approx((1 + 5**0.5) / 2, rel=1e-15)
        expected = {"norm of W^k": power, "norm of W to the k": lam**3}
        tolerance = {"norm of W^k": TOL_NORM * power, "norm of W to the k": _worst_end(lam, TOL_NORM * lam, 1, 3)}
        _agree(claim, case, expected, tolerance)
        assert claim.margin(claim.exact(case)) == pytest.approx(float((lam**3 - power) / lam**3), rel=1e-9)
    assert not claim.holds(case)


@pytest.mark.parametrize(("diagonal", "refuted"), [(0.5, True), (1.5, False)])
def test_transient_growth_needs_every_eigenvalue_inside_the_unit_circle(diagonal: float, refuted: bool) -> None:
    """W = [[c, 1], [0, c]], k = 2. c = 1/2: rho = 1/2 and ||W^2|| = 1.06 > 1 (a growth of 6 %, refuted);
    c = 3/2: rho > 1, so however large ||W^2|| is, the claim says nothing about this W."""
    claim = FALSE_CLAIMS["transient-growth"]
    case = LinearCase(np.array([[diagonal, 1.0], [0.0, diagonal]]), 2)
    with mpmath.workdps(DPS):
        W, power = _matrix(case.W), _norm(_power(case.W, 2))
        expected = {"spectral radius": _rho(W), "norm of W^k": power}
        tolerance = {"spectral radius": TOL_EIGEN * _norm(W), "norm of W^k": TOL_NORM * power}
        _agree(claim, case, expected, tolerance)
    assert power > 1
    assert claim.holds(case) is not refuted
    if refuted:
        assert claim.margin(claim.exact(case)) == pytest.approx(float((power - 1) / power), rel=1e-9)


# --- The margin rule, exceeds ---


def test_a_violation_of_exactly_margin_is_not_a_counterexample() -> None:
    """holds() and Refutation.confirmed() read "violates by more than MARGIN" alike: a case the search accepts is confirmed."""
    case = LinearCase(np.eye(1), 2)

    def claim(violation: float) -> FalseClaim[LinearCase]:
        return FalseClaim[LinearCase]("v", "", "", lambda _: None, lambda _: {"v": (violation, 0.0)}, lambda _: {"v": violation}, lambda n: n["v"])  # type: ignore[arg-type,return-value]

    assert claim(MARGIN).holds(case)
    assert not claim(float(np.nextafter(MARGIN, 1.0))).holds(case)


@pytest.mark.parametrize(("x", "y", "relative"), [(1.0, 0.5, 0.5), (0.5, 1.0, -0.5), (3.0, -1.0, 4 / 3), (0.0, 0.0, 0.0), (1e-3, 0.0, 1.0)])
def test_exceeds_is_the_relative_excess(x: float, y: float, relative: float) -> None:
    """(x - y) / max(|x|, |y|), and 0 when both are 0 (a zero norm against a zero bound is no violation)."""
    assert exceeds(x, y) == pytest.approx(relative, rel=1e-15)


# --- Statements 7 to 9 and the tightness witness ---


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_the_diagonal_bound_is_attained_at_the_argmax(activation: str) -> None:
    """||diag(phi'(a))||_2 = gamma when some a_i = z*: statement 7's <= holds with equality there."""
    argmax = derive_gamma(activation).argmax
    assert argmax is not None
    z_star = float(argmax)
    assert diagonal_norm_bounded(np.array([3.0, z_star, -1.0]), activation)


def test_the_diagonal_check_rejects_a_gamma_below_the_largest_slope(monkeypatch: pytest.MonkeyPatch) -> None:
    """Break the math on purpose: tanh's slopes read against the sigmoid's gamma = 1/4 violate statement 7 at a = 0."""
    real = verify.claims.numeric
    monkeypatch.setattr(verify.claims, "numeric", lambda name: SimpleNamespace(slope=real(name).slope, gamma=0.25, log_slope_accuracy=8.0))
    assert not diagonal_norm_bounded(np.array([0.0, 2.0]), "tanh")
    assert diagonal_norm_bounded(np.array([3.0, 5.0]), "tanh")  # slopes 0.0099, 0.00018: below 1/4


def test_submultiplicativity_default_norm_equality_and_zero() -> None:
    """The 2-norm by default; ||AB|| = ||A|| ||B|| for multiples of I passes, and so does A = 0."""
    A, B = np.array([[2.0, 1.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [3.0, -1.0]])
    assert submultiplicative(A, B)
    assert submultiplicative(2.0 * np.eye(3), 3.0 * np.eye(3))
    assert submultiplicative(np.zeros((2, 2)), B)


@pytest.mark.parametrize("ord", ORDS, ids=str)
def test_submultiplicativity_holds_for_tiny_and_huge_factors(ord: Ord) -> None:
    """Factors whose squares (or product) leave the normal range: Hypothesis found A = [[2]], B = [[9.7e-163]] failing the
    Frobenius norm, computed from subnormal squares. Scaled by powers of two first, every norm keeps its digits."""
    rng = np.random.default_rng(8)
    assert submultiplicative(np.array([[2.0]]), np.array([[9.66736427e-163]]), ord)
    for scale_a, scale_b in ((1.0, 1e-160), (1e-160, 1e-160), (1e150, 1e-150), (1e200, 1e100), (1e-310, 1.0)):
        A, B = scale_a * rng.standard_normal((3, 3)), scale_b * rng.standard_normal((3, 3))
        assert submultiplicative(A, B, ord), (scale_a, scale_b)
    assert not submultiplicative(np.diag([1e-160, 1.5e-160]), np.diag([1.5e-160, 1e-160]), -2)  # and still refutes at tiny scales


def test_submultiplicativity_is_refuted_for_a_norm_that_is_not_submultiplicative() -> None:
    """The check can fail: with ord = -2 (sigma_min, no norm) diag(1, 1.5) diag(1.5, 1) = 1.5 I exceeds the product 1 by 50 %."""
    A, B = np.diag([1.0, 1.5]), np.diag([1.5, 1.0])
    assert submultiplicative(A, B, 2)
    assert not submultiplicative(A, B, -2)


def test_the_bound_margin_on_special_ws() -> None:
    """Statement 9's margin: W = I (lambda = 1) and W = 0 hold; on the tightness witness it is -LOG_TOLERANCE (the bound is attained)."""
    rng = np.random.default_rng(7)
    identity = Case("tanh", np.eye(2), rng.standard_normal((2, 2)), rng.standard_normal(2), rng.standard_normal((4, 2)), rng.uniform(-1, 1, 2))
    assert log_bound_margin(identity) <= 0.0
    assert log_bound_margin(replace(identity, W=np.zeros((2, 2)))) == 0.0
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    witness = tightness_case("sigmoid", 2.0 * q, 5)
    assert log_bound_margin(witness) == pytest.approx(-LOG_TOLERANCE, abs=1e-13)


def test_the_tightness_ratio_of_a_non_witness_is_the_full_chain_over_the_bound() -> None:
    """W = [[1,0],[1,1]] (not lambda Q): ||ds_2/ds_0|| / (gamma lambda)^2 = ((1 + sqrt 2)/16) / (golden/4)^2 < 1."""
    case = tightness_case("sigmoid", NON_NORMAL, 2)
    golden = (1 + 5**0.5) / 2
    assert tightness_ratio(case) == pytest.approx((1 + 2**0.5) / golden**2, rel=1e-12)


def test_no_tightness_witness_when_the_supremum_is_not_attained(monkeypatch: pytest.MonkeyPatch) -> None:
    """An activation whose sup |phi'| has no argmax gets a clear refusal, not a float(None) crash."""
    real = derive_gamma
    monkeypatch.setattr(verify.claims, "derive_gamma", lambda name, variable="z": replace(real(name, variable), argmax=None))
    with pytest.raises(InputError, match="not attained"):
        tightness_case("tanh", np.eye(2), 3)

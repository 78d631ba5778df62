"""The refutations of the false variants: found, shrunk, confirmed by two routes, and re-read here independently.

Every check recomputes the counterexample in mpmath with its own formulas (sigma' = 1 / (4 cosh^2(a/2)),
tanh' = sech^2, singular values from mpmath's SVD), never through verify's code, and reads the claim as
stated: the case must violate it, and every printed number must match this recomputation.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import settings

from derive.errors import CheckFailed, ConfigError
from verify import claims
from verify.claims import DECAY, FALSE_CLAIMS, LAG, LAGS, MARGIN, FalseClaim, exceeds, tightness_case
from verify.refute import NoCounterexample, Number, Refutation, refute, refute_all, refute_claim, worst_margin
from verify.strategies import Case, LinearCase, small_cases

ACTIVATION_SETS = [("sigmoid", "tanh"), ("tanh",), ("sigmoid",)]
#: gamma = sup |phi'| (statement 6), the known values, for this file's own recomputation.
GAMMA = {"sigmoid": mpmath.mpf(1) / 4, "tanh": mpmath.mpf(1)}
DPS = 60
QUICK = settings(database=None, derandomize=True, max_examples=300, deadline=None)


# --- An independent recomputation in mpmath ---


def _phi(activation: str, a: Any) -> Any:
    return mpmath.tanh(a) if activation == "tanh" else 1 / (1 + mpmath.exp(-a))


def _slope(activation: str, a: Any) -> Any:
    return mpmath.sech(a) ** 2 if activation == "tanh" else 1 / (4 * mpmath.cosh(a / 2) ** 2)


def _norm(M: Any) -> Any:
    if all(x == 0 for x in M):
        return mpmath.mpf(0)
    return max(mpmath.svd_r(M, compute_uv=False))


def _rho(M: Any) -> Any:
    if M.rows == 1:
        return abs(M[0, 0])
    return max(abs(e) for e in mpmath.eig(M, left=False, right=False))


def _matrix(A: np.ndarray) -> Any:
    return mpmath.matrix([[mpmath.mpf(float(x)) for x in row] for row in np.atleast_2d(A)])


def _jacobians(case: Case, transpose: bool = False) -> tuple[list[Any], list[Any]]:
    """The one-step Jacobians and pre-activations, s_j = phi(W s_{j-1} + U x_j + b) rerun from scratch."""
    W = _matrix(case.W)
    s = [mpmath.mpf(float(v)) for v in case.s0]
    factors, pres = [], []
    for x in case.xs:
        a = [sum((W[i, j] * s[j] for j in range(case.dim)), mpmath.mpf(0)) + float(case.U[i] @ x) + float(case.b[i]) for i in range(case.dim)]
        M = W.T if transpose else W
        factors.append(mpmath.matrix([[_slope(case.activation, a[i]) * M[i, j] for j in range(case.dim)] for i in range(case.dim)]))
        pres.append(a)
        s = [_phi(case.activation, v) for v in a]
    return factors, pres


def _chain(factors: list[Any]) -> Any:
    P = mpmath.eye(factors[0].rows)
    for f in factors:
        P = f * P
    return P


def _power(W: np.ndarray, k: int) -> Any:
    P = mpmath.eye(W.shape[0])
    for _ in range(k):
        P = _matrix(W) * P
    return P


def recompute(r: Refutation) -> dict[str, Any]:
    """Every number ``r`` prints, recomputed here from its case alone."""
    with mpmath.workdps(DPS):
        case = r.case
        if isinstance(case, LinearCase):
            W = _matrix(case.W)
            power = _norm(_power(case.W, case.steps))
            return {"norm of W^k": power, "norm of W to the k": _norm(W) ** case.steps, "spectral radius": _rho(W)}
        gamma, W = GAMMA[case.activation], _matrix(case.W)
        factors, _ = _jacobians(case)
        true = _chain(factors)
        out = {"lambda": _norm(W), "spectral radius": _rho(W), "norm": _norm(true), "gamma lambda": gamma * _norm(W)}
        out["claimed bound"] = (gamma * out["spectral radius"]) ** case.steps
        out["true bound"] = (gamma * out["lambda"]) ** case.steps
        for lag in range(1, case.steps + 1):
            out[f"norm at t-k = {lag}"] = _norm(_chain(factors[case.steps - lag :]))
        out[f"norm of W^{case.dim}"] = _norm(_power(case.W, case.dim))
        if r.name == "reversed-order":
            out["error"] = _norm(_chain(factors[::-1]) - true)
        if r.name == "transposed":
            out["error"] = _norm(_chain(_jacobians(case, transpose=True)[0]) - true)
        return out


def violates(r: Refutation, n: dict[str, Any]) -> bool:
    """The claim read as stated, on this file's numbers: does the case break it?"""
    if r.name == "spectral-radius":
        return bool(n["norm"] > n["claimed bound"] * (1 + MARGIN))
    if r.name.startswith("explosion"):
        return bool(n["gamma lambda"] > 1 and n[f"norm at t-k = {LAG}"] < DECAY)
    if r.name in ("reversed-order", "transposed"):
        return bool(n["error"] > MARGIN * n["norm"] > 0)
    if r.name == "power-norm":
        return bool(n["norm of W^k"] < n["norm of W to the k"] * (1 - MARGIN))
    if r.name == "transient-growth":
        return bool(n["spectral radius"] < 1 < n["norm of W^k"])
    raise AssertionError(f"no independent reading of {r.name}")


def _refutation(name: str, activations: tuple[str, ...]) -> Refutation:
    outcome = refute(name, activations)
    assert isinstance(outcome, Refutation), outcome
    return outcome


# --- Every claim refuted, its numbers recomputed ---


@pytest.mark.parametrize("activations", ACTIVATION_SETS, ids="+".join)
@pytest.mark.parametrize("name", list(FALSE_CLAIMS))
def test_each_false_claim_is_refuted_and_its_numbers_recomputed(name: str, activations: tuple[str, ...]) -> None:
    r = _refutation(name, activations)
    mine = recompute(r)
    assert violates(r, mine)
    for number in r.values:
        assert number.agrees
        assert abs(number.value - float(mine[number.name])) <= number.tolerance + 1e-300, number
        assert abs(number.recomputed - float(mine[number.name])) <= 1e-12 * abs(float(mine[number.name])), number
    assert r.margin > MARGIN and r.worst > 0
    assert r.case.dim <= 3


@pytest.mark.parametrize("activations", ACTIVATION_SETS, ids="+".join)
def test_the_activation_setting_is_respected(activations: tuple[str, ...]) -> None:
    """Only cases of the configured activations; the matrix-power claims have none."""
    for r in refute_all(activations):
        assert isinstance(r, Refutation)
        assert r.activation in activations if isinstance(r.case, Case) else r.activation is None


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("reason", ["saturation", "nilpotent"])
def test_gamma_lambda_above_one_yet_the_norms_decay_over_fifty_steps(reason: str, activation: str) -> None:
    r = _refutation(f"explosion-{reason}", (activation,))
    case = r.case
    assert isinstance(case, Case) and case.activation == activation and case.steps == LAG == max(LAGS)
    with mpmath.workdps(DPS):
        factors, pres = _jacobians(case)
        gamma = GAMMA[activation]
        norms = [_norm(_chain(factors[LAG - lag :])) for lag in range(1, LAG + 1)]
        assert gamma * _norm(_matrix(case.W)) > 1
        assert norms[-1] < DECAY and norms[-1] <= DECAY * norms[0]
        if reason == "saturation":  # full rank, lambda = rho, and after a short transient every step contracts: the slopes are small
            assert case.dim == 1 and case.W[0, 0] != 0
            assert max(_slope(activation, a[0]) for a in pres[LAG // 5 :]) * abs(case.W[0, 0]) < 1
        else:  # no saturation: every a_j at the argmax 0, and W^d = 0 exactly
            assert all(a_i == 0 for a in pres for a_i in a)
            exact = [[Fraction(float(x)) for x in row] for row in case.W]
            square = [[sum(exact[i][m] * exact[m][j] for m in range(case.dim)) for j in range(case.dim)] for i in range(case.dim)]
            cube = [[sum(square[i][m] * exact[m][j] for m in range(case.dim)) for j in range(case.dim)] for i in range(case.dim)]
            assert all(x == 0 for row in (square if case.dim == 2 else cube) for x in row)
            assert norms[0] > 0 and all(n == 0 for n in norms[case.dim :])


def test_design_numbers_for_the_spectral_radius() -> None:
    """W = [[1,0],[1,1]], every a_j = 0, sigmoid: t-k = 1 gives golden ratio / 4 = 0.4045 > 0.25, t-k = 2 gives 0.1509 > 0.0625."""
    claim = FALSE_CLAIMS["spectral-radius"]
    W = np.array([[1.0, 0.0], [1.0, 1.0]])
    golden = (1 + mpmath.sqrt(5)) / 2
    for steps, norm, bound in ((1, golden / 4, mpmath.mpf(1) / 4), (2, (1 + mpmath.sqrt(2)) / 16, mpmath.mpf(1) / 16)):
        case = tightness_case("sigmoid", W, steps)
        floats, exact = claim.floats(case), claim.exact(case)
        for numbers in ({k: v for k, (v, _) in floats.items()}, exact):
            assert numbers["norm"] == pytest.approx(float(norm), rel=1e-12)
            assert numbers["claimed bound"] == pytest.approx(float(bound), rel=1e-12)
            assert claim.margin(numbers) > MARGIN
    assert round(float(golden / 4), 4) == 0.4045 and round(float((1 + mpmath.sqrt(2)) / 16), 4) == 0.1509
    r = _refutation("spectral-radius", ("sigmoid",))
    assert dict(r.numbers)["norm"] == pytest.approx(float(golden / 4), rel=1e-12) and np.array_equal(r.case.W, W)


# --- Mutations: what must not pass ---


def _sigma_max_margin(n: Mapping[str, float]) -> float:
    return exceeds(n["norm"], n["true bound"])


def test_a_true_claim_cannot_be_refuted() -> None:
    """The bound with sigma_max (statement 9) reuses the spectral claim's numbers: no counterexample."""
    spectral = FALSE_CLAIMS["spectral-radius"]
    statement = "||ds_t/ds_k||_2 <= (gamma sigma_max(W))^(t-k)"
    true = FalseClaim[Case]("sigma-max", statement, "", spectral.search, spectral.floats, spectral.exact, _sigma_max_margin)
    outcome = refute_claim(true, ("sigmoid", "tanh"), QUICK)
    assert isinstance(outcome, NoCounterexample) and outcome.examples == QUICK.max_examples


def test_submultiplicativity_of_powers_cannot_be_refuted() -> None:
    """||W^k|| <= ||W||^k is true: searching for ||W^k|| > ||W||^k finds nothing."""
    power = FALSE_CLAIMS["power-norm"]
    true = replace(power, name="power-submultiplicative", margin=lambda n: exceeds(n["norm of W^k"], n["norm of W to the k"]))
    assert isinstance(refute_claim(true, ("tanh",), QUICK), NoCounterexample)


def _one_step_floats(case: Case) -> dict[str, tuple[float, float]]:
    floats = FALSE_CLAIMS["spectral-radius"].floats(case)
    return {"norm": floats["norm"], "lambda / 4": (floats["lambda"][0] / 4, floats["lambda"][1] / 4)}


def _one_step_exact(case: Case) -> dict[str, float]:
    exact = FALSE_CLAIMS["spectral-radius"].exact(case)
    return {"norm": exact["norm"], "lambda / 4": exact["lambda"] / 4}


def test_a_claim_false_only_for_tanh_is_not_refuted_with_sigmoid_alone() -> None:
    """ "||ds_t/ds_{t-1}|| <= lambda / 4" holds for the sigmoid, not for tanh: no silent switch of activation."""
    claim = FalseClaim[Case](
        "quarter",
        "||ds_t/ds_{t-1}||_2 <= lambda / 4",
        "tanh' reaches 1",
        lambda activations: small_cases(activations).filter(lambda c: c.steps == 1),
        _one_step_floats,
        _one_step_exact,
        lambda n: exceeds(n["norm"], n["lambda / 4"]),
    )
    outcome = refute_claim(claim, ("sigmoid",), QUICK)
    assert isinstance(outcome, NoCounterexample) and outcome.activations == ("sigmoid",) and "sigmoid" in outcome.message
    found = refute_claim(claim, ("tanh",), QUICK)
    assert isinstance(found, Refutation) and found.activation == "tanh"


def test_a_number_that_disagrees_with_its_recomputation_stops_the_build() -> None:
    r = _refutation("spectral-radius", ("sigmoid",))
    wrong = replace(r.values[2], value=r.values[2].value * (1 + 1e-6))
    with pytest.raises(CheckFailed, match="refutation spectral-radius"):
        replace(r, values=(*r.values[:2], wrong, *r.values[3:])).confirmed()


def test_a_violation_within_rounding_stops_the_build() -> None:
    r = _refutation("transient-growth", ("tanh",))
    with pytest.raises(CheckFailed, match="worst margin"):
        replace(r, worst=-1e-12).confirmed()
    with pytest.raises(CheckFailed, match="violate the claim"):
        replace(r, margin=MARGIN / 2).confirmed()


def test_a_violation_inside_the_tolerance_box_is_not_a_counterexample() -> None:
    """Centre margin above MARGIN, but a corner of recomputed +- tolerance satisfies the claim: worst <= 0."""
    margin = FALSE_CLAIMS["power-norm"].margin
    values = (Number("norm of W^k", 1.0, 1.0, 0.02), Number("norm of W to the k", 1.015, 1.015, 0.0))
    assert margin({n.name: n.recomputed for n in values}) > MARGIN and worst_margin(margin, values) <= 0


@pytest.mark.parametrize("route", ["chain_norms", "_mp_norm"])
def test_both_routes_are_live(route: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nudge either route by 1e-6 relative: the two no longer agree and the refutation stops the build."""
    original = getattr(claims, route)
    monkeypatch.setattr(claims, route, lambda *args, **kwargs: original(*args, **kwargs) * (1 + 1e-6))
    with pytest.raises(CheckFailed, match="refutation spectral-radius"):
        refute_claim(FALSE_CLAIMS["spectral-radius"], ("sigmoid",))


def test_explosion_refuted_at_one_step_only_is_not_accepted() -> None:
    """The old, too weak counterexample (gamma lambda > 1, norm 0.14 < 1 at t-k = 1) refutes nothing: one step is not a long lag."""
    claim = FALSE_CLAIMS["explosion-saturation"]
    one_step = Case("tanh", np.array([[2.0]]), np.zeros((1, 1)), np.zeros(1), np.zeros((1, 1)), np.array([1.0]))
    assert claim.exact(one_step)["norm at t-k = 1"] < 1 and claim.holds(one_step)
    near_zero = replace(one_step, xs=np.zeros((LAG, 1)), s0=np.array([1e-300]))  # slopes stay near gamma: the chain grows
    assert claim.holds(near_zero)


def test_bad_activation_settings_are_refused() -> None:
    with pytest.raises(ConfigError):
        refute("spectral-radius", ())
    with pytest.raises(ConfigError):
        refute("spectral-radius", ("swish2",))
    with pytest.raises(ConfigError):
        refute("no-such-claim", ("tanh",))


def test_refuting_everything_for_both_activations_is_timed(capsys: pytest.CaptureFixture[str]) -> None:
    """Measured, never asserted: the report builds all refutations for both activations."""
    refute.cache_clear()
    start = time.perf_counter()
    outcomes = refute_all(("sigmoid", "tanh"))
    elapsed = time.perf_counter() - start
    assert all(isinstance(r, Refutation) for r in outcomes)
    with capsys.disabled():
        print(f"\nrefute_all(('sigmoid', 'tanh')): {len(outcomes)} refutations in {elapsed:.2f} s")


def test_the_searches_do_not_read_numbers_from_local_source(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis draws literals found in imported local modules; inside the searches it sees none, so a new module changes nothing.

    Without this the counterexamples depended on how gradproof was installed (editable: its own source is "local")
    and on what the process had imported before (the nilpotent refutation changed when it ran in a fresh process).
    """
    import importlib
    import sys

    from hypothesis.internal.conjecture import providers

    from verify.refute import _without_local_constants

    claim = FALSE_CLAIMS["explosion-nilpotent"]
    before = refute_claim(claim, ("sigmoid",))
    probe = tmp_path / "gradproof_constants_probe.py"
    probe.write_text("NUMBERS = (" + ", ".join(f"{k / 7:.17g}" for k in range(-300, 300)) + ", 1.0e-300, 3.0)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("gradproof_constants_probe")
    try:
        assert len(providers._get_local_constants().floats) > 100  # Hypothesis does read the probe outside the searches
        with _without_local_constants():
            assert len(providers._get_local_constants().floats) == 0
        after = refute_claim(claim, ("sigmoid",))
    finally:
        sys.modules.pop("gradproof_constants_probe", None)
    assert isinstance(before, Refutation) and isinstance(after, Refutation)
    assert np.array_equal(before.case.W, after.case.W) and before.numbers == after.numbers
    calls = []
    original = providers._get_local_constants
    monkeypatch.setattr(providers, "_get_local_constants", lambda: calls.append(1) or original())
    refute_claim(FALSE_CLAIMS["transient-growth"])
    assert calls == []  # the search never asked for local constants
    providers._get_local_constants()
    assert calls == [1]

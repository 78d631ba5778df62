"""Property tests of statements 7 to 9, the tightness of the bound, clipping, and the refutations.

Profiles (pyproject.toml): ``dev`` locally, ``ci`` under CI (derandomized, more examples).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from derive.activations import derive_gamma
from derive.errors import InputError
from verify import NUMERIC, chain_log_norms, chain_log_norms_batched, numeric
from verify.claims import FALSE_CLAIMS, clip, diagonal_norm_bounded, log_bound_margin, submultiplicative, tightness_case, tightness_ratio
from verify.engine import Ord
from verify.refute import Refutation, refute
from verify.strategies import LAG, Case, cases, square_matrices

ORDS = [2, 1, np.inf, "fro"]
finite = st.floats(-60, 60, allow_nan=False, allow_infinity=False)


@given(st.sampled_from(sorted(NUMERIC)), hnp.arrays(np.float64, st.integers(1, 8), elements=finite))
def test_diagonal_norm_is_the_largest_slope_at_most_gamma(activation: str, a: np.ndarray) -> None:
    assert diagonal_norm_bounded(a, activation)


@pytest.mark.parametrize("ord", ORDS, ids=str)
@given(data=st.data())
def test_submultiplicative(ord: Ord, data: st.DataObject) -> None:
    A = data.draw(square_matrices(max_dim=5))
    B = data.draw(square_matrices(d=A.shape[0]))
    assert submultiplicative(A, B, ord)


@pytest.mark.parametrize("ord", ORDS, ids=str)
@given(case=cases())
def test_the_bound_holds_at_every_lag(ord: Ord, case: Case) -> None:
    """Statement 9 in log space: log ||ds_T/ds_k|| <= (T-k) log(gamma lambda) + (T-k) 1e-9."""
    assert log_bound_margin(case, ord) <= 0.0


ATTAINED = sorted(name for name in NUMERIC if derive_gamma(name).argmax is not None)


@given(st.sampled_from(ATTAINED), st.integers(1, 6), st.floats(0.1, 4.0), st.integers(1, 60), st.integers(0, 2**32 - 1))
def test_tightness_witness_reaches_the_bound(activation: str, d: int, lam: float, steps: int, seed: int) -> None:
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    case = tightness_case(activation, lam * q, steps)
    assert tightness_ratio(case) == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("activation", sorted(set(NUMERIC) - set(ATTAINED)))
def test_a_supremum_not_attained_is_approached_and_never_reached(activation: str) -> None:
    """softplus: sup sigma = 1 is a limit. No witness attains it (the witness is refused), every chain stays strictly below
    the bound, and a chain held at z = 40 comes within 1e-9 of it over 50 steps (sigma(40)^50 = 1 - 2e-16)."""
    with pytest.raises(InputError, match="not attained"):
        tightness_case(activation, np.eye(2), 5)
    q = np.linalg.qr(np.random.default_rng(0).standard_normal((2, 2)))[0]
    for z in (0.0, 5.0, 40.0):
        s0 = numeric(activation).phi(np.full(2, z))
        case = Case(activation, 0.9 * q, np.zeros((2, 1)), z - 0.9 * q @ s0, np.zeros((50, 1)), s0)
        ratio = tightness_ratio(case)
        assert ratio < 1.0 or z == 40.0
    assert ratio == pytest.approx(1.0, rel=1e-9)


@given(hnp.arrays(np.float64, st.integers(1, 10), elements=st.floats(-1e6, 1e6)), st.floats(1e-3, 1e3))
def test_clipping_never_exceeds_c_and_keeps_direction(g: np.ndarray, c: float) -> None:
    clipped = clip(g, c)
    assert np.linalg.norm(clipped) <= c * (1 + 1e-12)
    norm = np.linalg.norm(g)
    if norm > 0:
        assert np.allclose(clipped / np.linalg.norm(clipped), g / norm, rtol=0, atol=1e-12)
        assert np.linalg.norm(clipped) == pytest.approx(min(norm, c), rel=1e-12)


@given(st.sampled_from(sorted(NUMERIC)), st.integers(1, 4), st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_batched_path_agrees_with_single(activation: str, d: int, steps: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    B = 8
    W, U = rng.standard_normal((B, d, d)) * 1.5, rng.standard_normal((B, d, 2)) * 3
    b, xs, s0 = rng.standard_normal((B, d)), rng.standard_normal((B, steps, 2)), rng.standard_normal((B, d))
    batched = chain_log_norms_batched(W, U, b, xs, s0, activation)
    for i in range(B):
        np.testing.assert_allclose(batched[i], chain_log_norms(W[i], U[i], b[i], xs[i], s0[i], activation), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", sorted(FALSE_CLAIMS))
def test_false_claim_is_refuted_with_a_small_counterexample(name: str) -> None:
    """Hypothesis searches for a case where the false claim fails, and shrinks it; the true bound still holds on it."""
    claim = FALSE_CLAIMS[name]
    r = refute(name)
    assert isinstance(r, Refutation)
    example = r.case
    assert not claim.holds(example)
    assert example.dim <= 3  # shrunk to something a reader can check by hand (a sigmoid nilpotent W with entries up to 4 needs d = 3)
    if isinstance(example, Case):
        assert example.steps <= 2 or example.steps == LAG
        assert log_bound_margin(example) <= 0.0
    numbers = dict(r.numbers)
    if name == "spectral-radius":
        assert numbers["norm"] > numbers["claimed bound"]
        assert numbers["lambda"] > numbers["spectral radius"]  # non-normal: sigma_max > rho
    if name.startswith("explosion"):
        assert numbers["gamma lambda"] > 1 > numbers["norm at t-k = 1"] or numbers[f"norm at t-k = {LAG}"] < 1e-3
    if name == "transposed":
        assert not np.allclose(example.W, example.W.T)


def test_design_example_for_the_spectral_radius() -> None:
    """DESIGN.md: W = [[1,0],[1,1]], a = 0, sigmoid, t-k = 2 gives 0.1509 > 0.0625."""
    case = tightness_case("sigmoid", np.array([[1.0, 0.0], [1.0, 1.0]]), 2)
    assert np.exp(chain_log_norms(case.W, case.U, case.b, case.xs, case.s0, "sigmoid")[0]) == pytest.approx(0.1509, abs=5e-5)
    assert not FALSE_CLAIMS["spectral-radius"].holds(case)
    assert numeric("sigmoid").gamma ** 2 == 0.0625

"""The numeric activations come from the one symbolic registry, and every stable override matches the SymPy expression.

Reference values: the SymPy expressions (phi and log|phi'|) lambdified for mpmath and evaluated at
50 digits at the same float arguments. Tolerances, with u = 2^-53:

- log|phi'|: the stated bound |L_numeric - L| <= c u (1 + |L|) with the activation's c (8 for both
  overrides; the derivation is in verify/activations.py: exp and log1p within one ulp, one
  subtraction involving |a|, one final rounding). Relative to |L| this is about 8 u, and it stays
  so at |a| = 1e6, where phi' itself underflows.
- phi: relative 4 u plus the smallest subnormal (the sigmoid override does exp, one addition, one
  division, each within one ulp; below a = -745 the value underflows to 0 or a subnormal).
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import numpy as np
import pytest
import sympy as sp

import derive
from derive.activations import ACTIVATIONS, Activation
from verify import NUMERIC, NumericActivation, numeric
from verify.activations import OVERRIDES, UNIT_ROUNDOFF, Override, build, symbolic_forms

u = UNIT_ROUNDOFF
#: Arguments from the centre to deep saturation, both signs; includes points where phi' underflows (|a| > 745).
GRID = np.concatenate([np.linspace(-30.0, 30.0, 121), [-1e6, -1e4, -2000.0, -800.0, -400.0, -40.0, 40.0, 400.0, 800.0, 2000.0, 1e4, 1e6]])


def _accurate(expr: sp.Expr) -> sp.Expr:
    """expr rewritten so that mpmath at 50 digits evaluates it accurately far out: log(1 + u) as log1p(u) (softplus at
    z = -400 would round 1 + e^z to 1), tanh(w)^2 - 1 as -sech(w)^2 (1 - tanh^2 is 0 at 50 digits from |z| ~ 58: the
    reference was -inf there, and the comparison empty) and erf(w) as erfc(-w) - 1 (GELU's 1 + erf(w) cancels for w << 0)."""
    from sympy.codegen.cfunctions import log1p

    w = sp.Wild("w")
    expr = expr.replace(sp.tanh(w) ** 2 - 1, -(sp.sech(w) ** 2))
    expr = expr.replace(
        lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.Add) and 1 in e.args[0].args and e.args[0].has(sp.exp),
        lambda e: log1p(e.args[0] - 1),
    )
    return sp.expand(expr.replace(sp.erf, lambda w: sp.erfc(-w, evaluate=False) - 1)) if expr.has(sp.erf) else expr


def _exact(activation: Activation) -> tuple[Callable[[float], mpmath.mpf], Callable[[float], mpmath.mpf]]:
    z, phi, log_slope = symbolic_forms(activation)
    return sp.lambdify(z, _accurate(phi), "mpmath"), sp.lambdify(z, _accurate(log_slope), "mpmath")


def _reference(activation: Activation, grid: np.ndarray) -> tuple[list[mpmath.mpf], list[mpmath.mpf]]:
    phi, log_slope = _exact(activation)
    with mpmath.workdps(50):
        return [phi(mpmath.mpf(float(a))) for a in grid], [log_slope(mpmath.mpf(float(a))) for a in grid]


def test_the_keys_are_the_symbolic_registrys() -> None:
    assert list(NUMERIC) == list(ACTIVATIONS)
    assert set(OVERRIDES) <= set(ACTIVATIONS)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_log_slope_meets_its_stated_accuracy_from_centre_to_deep_saturation(name: str) -> None:
    act = numeric(name)
    assert act.log_slope_accuracy is not None
    _, exact = _reference(ACTIVATIONS[name], GRID)
    computed = act.log_slope(GRID)
    with mpmath.workdps(50):
        for a, value, truth in zip(GRID, computed, exact, strict=True):
            if truth == -mpmath.inf:  # phi' = 0 exactly (ReLU off, hard tanh saturated): the log slope must say so
                assert value == -np.inf, (name, a)
                continue
            assert np.isfinite(value), (name, a)
            error = abs(mpmath.mpf(float(value)) - truth)
            allowed = act.log_slope_accuracy * u * (1 + abs(truth))
            assert error <= allowed, (name, a, float(error), float(allowed))


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_phi_meets_its_stated_accuracy(name: str) -> None:
    """|phi computed - phi| <= c u (1 + a^2) |phi| + the smallest subnormal, c = phi_accuracy (4 unless stated)."""
    act = numeric(name)
    exact, _ = _reference(ACTIVATIONS[name], GRID)
    computed = act.phi(GRID)
    with mpmath.workdps(50):
        for a, value, truth in zip(GRID, computed, exact, strict=True):
            assert abs(mpmath.mpf(float(value)) - truth) <= act.phi_accuracy * u * (1 + a * a) * abs(truth) + mpmath.mpf(2) ** -1074, (name, a)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_log_slope_error_is_the_stated_bound(name: str) -> None:
    act = numeric(name)
    assert act.log_slope_accuracy is not None
    assert act.log_slope_error(np.array([-3.0, 10.0])) == pytest.approx(act.log_slope_accuracy * u * 11.0, rel=1e-9)


def test_slope_is_the_exponential_of_the_log_slope_and_below_gamma() -> None:
    for act in NUMERIC.values():
        a = np.linspace(-20, 20, 81)
        with np.errstate(divide="ignore"):
            np.testing.assert_array_equal(act.slope(a), np.exp(act.log_slope(a)))
        assert act.log_slope_accuracy is not None
        assert np.max(act.slope(a)) <= act.gamma * (1 + act.log_slope_accuracy * u * (1 + np.abs(np.log(act.gamma)) + 1e-300))
        assert act.gamma == float(derive.gamma(act.name))


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if numeric(n).sign is None])
def test_an_activation_without_a_sign_is_nondecreasing(name: str) -> None:
    """The engine multiplies by |phi'| = e^{log|phi'|} unless a sign is given: that is phi' only where phi' >= 0, which
    SymPy confirms piece by piece (on each smooth piece of the formula, phi' < 0 nowhere)."""
    z = sp.Symbol("z", real=True)
    for piece in derive.derive_gamma(name).pieces:
        w = piece.interval
        slope = piece.slope.subs(piece.slope.free_symbols.pop(), z) if piece.slope.free_symbols else piece.slope
        assert sp.solveset(slope < 0, z, w) == sp.S.EmptySet, (name, w)


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if numeric(n).sign is not None])
def test_the_sign_of_a_slope_that_changes_sign_is_right(name: str) -> None:
    """SiLU's and GELU's phi' is negative on part of the line: the sign the engine multiplies by is that of SymPy's phi'
    (mpmath, 50 digits), on a grid that includes the zero of phi' to a few ulps."""
    act = numeric(name)
    z, phi, _ = symbolic_forms(ACTIVATIONS[name])
    slope = sp.lambdify(z, _accurate(sp.diff(phi, z)), "mpmath")
    with mpmath.workdps(50):
        root = float(mpmath.findroot(lambda x: slope(x), -1.0))
    grid = np.concatenate([GRID, np.nextafter(root, -np.inf) - np.arange(3) * 1e-16, np.nextafter(root, np.inf) + np.arange(3) * 1e-16])
    with mpmath.workdps(50):
        truth = [1.0 if slope(mpmath.mpf(float(a))) >= 0 else -1.0 for a in grid]
    np.testing.assert_array_equal(act.sign(grid), truth)  # type: ignore[misc]


def _isru() -> Activation:
    """The inverse square root unit z / sqrt(1 + z^2): registered nowhere, so it has no override."""
    return Activation("isru", "inverse square root unit", r"\phi", lambda z: z / sp.sqrt(1 + z**2))


def test_without_an_override_the_lambdified_forms_are_used() -> None:
    act = build(_isru())
    assert act.log_slope_accuracy is None
    grid = np.linspace(-50.0, 50.0, 201)
    z, phi, log_slope = symbolic_forms(_isru())
    exact_phi, exact_log = sp.lambdify(z, phi, "mpmath"), sp.lambdify(z, log_slope, "mpmath")
    with mpmath.workdps(50):
        np.testing.assert_allclose(act.phi(grid), [float(exact_phi(mpmath.mpf(float(a)))) for a in grid], rtol=8 * u)
        # SymPy's slope of it cancels (1/sqrt(1 + z^2) - z^2/(1 + z^2)^(3/2)): no accuracy is stated, and it loses digits
        np.testing.assert_allclose(act.log_slope(grid), [float(exact_log(mpmath.mpf(float(a)))) for a in grid], rtol=1e-12)
    with pytest.raises(derive.GradproofError, match="states no accuracy"):
        act.log_slope_error(np.zeros(2))


def test_the_lambdified_tanh_slope_is_why_the_override_exists() -> None:
    """Without its override, tanh's log slope log(1 - tanh^2) is -inf from |a| ~ 19: the override is needed, and used."""
    plain = build(ACTIVATIONS["tanh"])
    with np.errstate(divide="ignore"):
        assert plain.log_slope(np.array([40.0]))[0] == -np.inf
    assert np.isfinite(numeric("tanh").log_slope(np.array([40.0]))[0])


def test_an_override_replaces_only_what_it_gives() -> None:
    sigmoid = ACTIVATIONS["sigmoid"]
    mine = Override(log_slope=lambda a: -np.abs(a), log_slope_accuracy=1.0)
    act = build(sigmoid, mine)
    assert isinstance(act, NumericActivation) and act.log_slope is mine.log_slope and act.log_slope_accuracy == 1.0
    np.testing.assert_allclose(act.phi(np.array([0.0, 2.0])), [0.5, 1 / (1 + np.exp(-2.0))], rtol=4 * u)


def test_an_unknown_name_is_a_config_error() -> None:
    with pytest.raises(derive.ConfigError, match="swish2"):
        numeric("swish2")


@pytest.mark.parametrize("name", ["silu", "gelu"])
def test_a_slope_that_changes_sign_meets_its_accuracy_across_the_band_around_its_zero(name: str) -> None:
    """SiLU's and GELU's slopes cancel near their zeros: floats outside a band, mpmath inside it. A dense grid across the
    band's edges (and GELU's floor at -30) holds the stated accuracy on both sides."""
    act = numeric(name)
    assert act.log_slope_accuracy is not None
    grid = np.concatenate([np.linspace(-2.0, 0.0, 2001), np.linspace(-31.0, -29.0, 41)])
    _, exact = _reference(ACTIVATIONS[name], grid)
    computed = act.log_slope(grid)
    with mpmath.workdps(50):
        for a, value, truth in zip(grid, computed, exact, strict=True):
            assert abs(mpmath.mpf(float(value)) - truth) <= act.log_slope_accuracy * u * (1 + abs(truth)), (name, a)

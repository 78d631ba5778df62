"""Numeric forms of the registered activations, derived from the one symbolic registry ``derive.ACTIVATIONS``.

For every registered activation, phi is ``sympy.lambdify`` of its formula and log|phi'| is
``lambdify`` of the log of SymPy's derivative. Where a lambdified form loses accuracy, a
stable override is registered under the same name (``OVERRIDES``), and tests check it
against the SymPy expression at 50 digits. Deep saturation is where gradients vanish,
so the slope is carried as its logarithm: log sech^2 a = 2 (log 2 - |a| - log1p(e^{-2|a|}))
for tanh and log sigma(a) sigma(-a) = -|a| - 2 log1p(e^{-|a|}) for the sigmoid stay
finite and accurate for |a| far beyond where phi'(a) itself underflows.

Stated accuracy (u = 2^-53): an override with ``log_slope_accuracy = c`` satisfies
|log_slope(a) - log|phi'(a)|| <= c u (1 + |log|phi'(a)||). For both overrides c = 8: the
operations are exp (argument exact: -|a| or -2|a|), log1p of a value in (0, 1] (condition
<= 1), one subtraction involving |a| (rounding u |log 2 - |a|| <= u (|L| + log 2)) and one
rounding of the result; with libm's exp and log1p within one ulp the sum is below
u (9 log 2 + 2 |L|) <= 8 u (1 + |L|). A lambdified form has no stated accuracy (None).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import cast

import mpmath
import numpy as np
import sympy as sp
from numpy.typing import NDArray

import derive
from derive.activations import ACTIVATIONS, Activation

Array = NDArray[np.float64]

LOG2 = float(np.log(2.0))
#: The unit roundoff of IEEE double precision.
UNIT_ROUNDOFF = 2.0**-53


@dataclass(frozen=True)
class NumericActivation:
    """phi and log|phi'| as vectorised NumPy functions, with gamma from the symbolic side.

    ``log_slope_accuracy`` is the c of the stated bound |log_slope(a) - log|phi'(a)|| <= c u (1 + |log|phi'(a)||),
    or None when no bound is stated (a lambdified form without an override).
    """

    name: str
    phi: Callable[[Array], Array]
    log_slope: Callable[[Array], Array]
    log_slope_accuracy: float | None = field(default=None)
    sign: Callable[[Array], Array] | None = field(default=None)  # the sign of phi' (+-1); None where phi' >= 0 everywhere
    phi_accuracy: float = field(default=4.0)  # |phi(a) computed - phi(a)| <= phi_accuracy u (1 + a^2) |phi(a)| + the smallest subnormal

    @property
    def gamma(self) -> float:
        """gamma = sup |phi'|, derived symbolically by derive."""
        return float(derive.gamma(self.name))

    def slope(self, a: Array) -> Array:
        """|phi'(a)|; underflows to 0 where log_slope does not."""
        with np.errstate(divide="ignore"):
            return np.exp(self.log_slope(a))

    def derivative(self, a: Array) -> Array:
        """phi'(a) with its sign (SiLU's and GELU's slopes are negative on part of the line)."""
        slope = self.slope(a)
        return slope if self.sign is None else self.sign(a) * slope

    def log_slope_error(self, log_slopes: Array | float) -> float:
        """The stated bound on the absolute error of log_slope at computed values ``log_slopes``: c u (1 + max |L|).

        Raises GradproofError when the activation states no accuracy (its rounding cannot be bounded).
        """
        return float(self.log_slope_error_at(float(np.max(np.abs(log_slopes)))))

    def log_slope_error_at(self, largest: Array | float) -> Array | float:
        """``log_slope_error`` given max |L| (elementwise for an array of maxima: one per chain of a batch)."""
        if self.log_slope_accuracy is None:
            raise derive.GradproofError(f"activation {self.name!r} states no accuracy for its log slope: its rounding cannot be bounded")
        # |L| <= |L_computed| + error; the factor 1 + 1e-10 covers that second-order term.
        return self.log_slope_accuracy * UNIT_ROUNDOFF * (1.0 + largest) * (1.0 + 1e-10)


@dataclass(frozen=True)
class Override:
    """Stable numeric forms registered for one activation name; None keeps the lambdified form."""

    phi: Callable[[Array], Array] | None = None
    log_slope: Callable[[Array], Array] | None = None
    log_slope_accuracy: float | None = None
    sign: Callable[[Array], Array] | None = None
    phi_accuracy: float = 4.0


def _sigmoid(a: Array) -> Array:
    e = np.exp(-np.abs(a))
    return cast(Array, np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def _log_sigmoid_slope(a: Array) -> Array:
    m = np.abs(a)
    return cast(Array, -m - 2.0 * np.log1p(np.exp(-m)))


def _log_tanh_slope(a: Array) -> Array:
    m = np.abs(a)
    return cast(Array, 2.0 * (LOG2 - m - np.log1p(np.exp(-2.0 * m))))


# ---- the piecewise-linear family: slopes exact (0, 1, or one rounded constant); the slope at a kink is the formula's

LOG_LEAKY = float(np.log(float(derive.activations.LEAKY_SLOPE)))  # within u (1/2 + |L|) of log(1/100): c = 1
LOG_SIXTH = float(np.log(1.0 / 6.0))  # likewise: c = 1


def _constant_log(where: NDArray[np.bool_], value: float, otherwise: float) -> Array:
    return cast(Array, np.where(where, value, otherwise))


def _identity(a: Array) -> Array:
    return cast(Array, np.array(a, dtype=np.float64, copy=True))


def _relu(a: Array) -> Array:
    return cast(Array, np.where(a > 0, a, 0.0))


def _leaky_relu(a: Array) -> Array:
    return cast(Array, np.where(a > 0, a, float(derive.activations.LEAKY_SLOPE) * a))


def _elu(a: Array) -> Array:
    return cast(Array, np.where(a > 0, a, np.expm1(np.minimum(a, 0.0))))


def _hard_tanh(a: Array) -> Array:
    return cast(Array, np.clip(a, -1.0, 1.0))


def _hard_sigmoid(a: Array) -> Array:
    return cast(Array, np.clip((a + 3.0) / 6.0, 0.0, 1.0))  # a + 3 is exact near -3 (Sterbenz): no cancellation there


# ---- the smooth ones


def _softplus(a: Array) -> Array:
    return cast(Array, np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a))))


def _log_softplus_slope(a: Array) -> Array:
    """log sigma(a) = min(a, 0) - log1p(e^{-|a|}): the sigmoid's log, as in its own log slope (c = 8)."""
    return cast(Array, np.minimum(a, 0.0) - np.log1p(np.exp(-np.abs(a))))


def _softsign(a: Array) -> Array:
    return cast(Array, a / (1.0 + np.abs(a)))


def _log_softsign_slope(a: Array) -> Array:
    """log 1/(1 + |a|)^2 = -2 log1p(|a|): log1p within one ulp, the factor 2 exact (c = 2)."""
    return cast(Array, -2.0 * np.log1p(np.abs(a)))


#: Where SiLU's factor 1 + a sigma(-a) is below this in size, it is recomputed in mpmath (it cancels near a = -1.278).
SILU_BAND = 0.125


def _silu(a: Array) -> Array:
    return cast(Array, a * _sigmoid(a))


def _silu_factor(a: Array) -> Array:
    """h(a) = 1 + a sigma(-a), SiLU'(a) = sigma(a) h(a); within 37 u relative outside the band |h| < 1/8, exact to u/2 inside it.

    Outside the band a sigma(-a) carries at most 4 u relative error and |a sigma(-a)| <= |h| + 1 <= 9 |h|, so h is within
    4 u 9 + u = 37 u of itself. Inside it, mpmath at 40 digits from the same float a, rounded once.
    """
    h = 1.0 + a * _sigmoid(-a)
    band = np.abs(h) < SILU_BAND
    if band.any():
        with mpmath.workdps(40):
            h[band] = [float(1 + mpmath.mpf(float(x)) / (1 + mpmath.exp(mpmath.mpf(float(x))))) for x in np.asarray(a)[band]]
    return cast(Array, h)


def _log_silu_slope(a: Array) -> Array:
    """log |SiLU'(a)| = log sigma(a) + log |h(a)|: the sigmoid's log (8 u (1 + |.|)) plus log |h| (37 u + u |log h|); c = 48."""
    with np.errstate(divide="ignore"):
        return cast(Array, _log_softplus_slope(a) + np.log(np.abs(_silu_factor(a))))


def _silu_sign(a: Array) -> Array:
    return cast(Array, np.where(_silu_factor(a) < 0, -1.0, 1.0))


def _mp(function: Callable[[mpmath.mpf], mpmath.mpf], a: Array) -> Array:
    """function at each float of a, in mpmath at 40 digits, rounded once to float."""
    flat = np.asarray(a, dtype=np.float64)
    with mpmath.workdps(40):
        return np.array([float(function(mpmath.mpf(float(x)))) for x in flat.reshape(-1)]).reshape(flat.shape)


def _gelu_phi(x: mpmath.mpf) -> mpmath.mpf:
    return x * mpmath.ncdf(x)


def _gelu_slope(x: mpmath.mpf) -> mpmath.mpf:
    return mpmath.ncdf(x) + x * mpmath.npdf(x)


_ERFC = np.frompyfunc(math.erfc, 1, 1)
#: GELU' = Phi(a) + a phi(a) vanishes at a ~ -0.7518 (Phi(a) = -a phi(a) there): within this of it, and below GELU_FLOOR
#: (where Phi and phi underflow), the slope is computed in mpmath at 40 digits; elsewhere in floats with math.erfc.
GELU_ZERO, GELU_BAND, GELU_FLOOR = -0.7517915241, 0.25, -30.0


def _gelu_parts(a: Array) -> tuple[Array, Array]:
    """(Phi(a), a phi(a)) in floats: Phi by erfc of -a/sqrt 2 (within a few ulps, times the condition of erfc there, about
    1 + a^2), phi by exp."""
    x = np.asarray(a, dtype=np.float64)
    cdf = 0.5 * np.asarray(_ERFC(-x / math.sqrt(2.0)), dtype=np.float64)
    return cdf, x * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _gelu(a: Array) -> Array:
    """GELU a Phi(a) = a erfc(-a/sqrt 2)/2: within 4 u (1 + a^2) relative (erfc's condition for a << 0), or underflowing."""
    x = np.asarray(a, dtype=np.float64)
    return cast(Array, x * _gelu_parts(x)[0])


def _gelu_slow(a: Array) -> NDArray[np.bool_]:
    x = np.asarray(a, dtype=np.float64)
    return cast(NDArray[np.bool_], (np.abs(x - GELU_ZERO) < GELU_BAND) | (x < GELU_FLOOR))


def _gelu_split(a: Array, fast: Callable[[Array, Array, Array], Array], slow: Callable[[mpmath.mpf], mpmath.mpf]) -> Array:
    """``fast(x, Phi(x), x phi(x))`` in floats away from the band and the floor, ``slow`` in mpmath within them."""
    x = np.asarray(a, dtype=np.float64)
    out = np.empty(x.shape)
    in_band = _gelu_slow(x)
    if (~in_band).any():
        out[~in_band] = fast(x[~in_band], *_gelu_parts(x[~in_band]))
    if in_band.any():
        out[in_band] = _mp(slow, x[in_band])
    return out


def _log_gelu_slope(a: Array) -> Array:
    """log |GELU'(a)|. Outside the band around its zero and above GELU_FLOOR: log |Phi + a phi| in floats, the two terms
    each within (4 + a^2) u and their sum at most 6 times the larger in size there, so within 32 u (1 + |L|); elsewhere
    mpmath at 40 digits, rounded once (finite where GELU' underflows)."""

    def fast(x: Array, cdf: Array, density: Array) -> Array:
        with np.errstate(divide="ignore"):
            return cast(Array, np.log(np.abs(cdf + density)))

    return _gelu_split(a, fast, lambda v: mpmath.log(abs(_gelu_slope(v))) if _gelu_slope(v) != 0 else mpmath.mpf("-inf"))


def _gelu_sign(a: Array) -> Array:
    return _gelu_split(a, lambda x, cdf, density: cast(Array, np.where(cdf + density < 0, -1.0, 1.0)), lambda v: mpmath.mpf(-1 if _gelu_slope(v) < 0 else 1))


#: Stable forms, per registered name; each is tested against the SymPy expression (tests/test_numeric_activations.py).
OVERRIDES: dict[str, Override] = {
    "sigmoid": Override(phi=_sigmoid, log_slope=_log_sigmoid_slope, log_slope_accuracy=8.0),
    "tanh": Override(log_slope=_log_tanh_slope, log_slope_accuracy=8.0),
    "identity": Override(phi=_identity, log_slope=lambda a: np.zeros(np.shape(a)), log_slope_accuracy=0.0),
    "relu": Override(phi=_relu, log_slope=lambda a: _constant_log(a > 0, 0.0, -np.inf), log_slope_accuracy=0.0),
    "leaky_relu": Override(phi=_leaky_relu, log_slope=lambda a: _constant_log(a > 0, 0.0, LOG_LEAKY), log_slope_accuracy=1.0),
    "elu": Override(phi=_elu, log_slope=lambda a: np.minimum(a, 0.0), log_slope_accuracy=0.5),  # log e^a = a, exactly
    "softplus": Override(phi=_softplus, log_slope=_log_softplus_slope, log_slope_accuracy=8.0),
    "softsign": Override(phi=_softsign, log_slope=_log_softsign_slope, log_slope_accuracy=2.0),
    "hard_tanh": Override(phi=_hard_tanh, log_slope=lambda a: _constant_log(np.abs(a) < 1, 0.0, -np.inf), log_slope_accuracy=0.0),
    "hard_sigmoid": Override(phi=_hard_sigmoid, log_slope=lambda a: _constant_log(np.abs(a) < 3, LOG_SIXTH, -np.inf), log_slope_accuracy=1.0),
    "silu": Override(phi=_silu, log_slope=_log_silu_slope, log_slope_accuracy=48.0, sign=_silu_sign, phi_accuracy=6.0),
    "gelu": Override(phi=_gelu, log_slope=_log_gelu_slope, log_slope_accuracy=32.0, sign=_gelu_sign, phi_accuracy=4.0),
}


def symbolic_forms(activation: Activation) -> tuple[sp.Symbol, sp.Expr, sp.Expr]:
    """The variable z, phi(z) and log|phi'(z)| as SymPy expressions, from the registered formula."""
    z = sp.Symbol("z", real=True)
    phi = activation.expression(z)
    return z, phi, sp.log(sp.Abs(sp.diff(derive.activations.piecewise_form(phi), z)))


def lambdified(activation: Activation) -> tuple[Callable[[Array], Array], Callable[[Array], Array]]:
    """phi and log|phi'| by ``sympy.lambdify`` of the symbolic forms (NumPy backend)."""
    z, phi, log_slope = symbolic_forms(activation)
    return sp.lambdify(z, phi, "numpy"), sp.lambdify(z, log_slope, "numpy")


def build(activation: Activation, override: Override | None = None) -> NumericActivation:
    """The numeric activation for a symbolic one: lambdified forms, replaced by the override's where it gives one
    (nothing is lambdified where the override gives both)."""
    if override is None:
        phi, log_slope = lambdified(activation)
        return NumericActivation(activation.name, phi, log_slope)
    if override.phi is None or override.log_slope is None:
        phi, log_slope = lambdified(activation)
    return NumericActivation(
        activation.name,
        override.phi or phi,
        override.log_slope or log_slope,
        override.log_slope_accuracy,
        override.sign,
        override.phi_accuracy,
    )


class _Registry(Mapping[str, NumericActivation]):
    """One numeric activation per name of ``derive.ACTIVATIONS``, each built when first asked for (twelve lambdified
    formulas at import would cost every run a fraction of a second for activations it does not use)."""

    def __init__(self) -> None:
        stray = sorted(set(OVERRIDES) - set(ACTIVATIONS))
        if stray:
            raise derive.GradproofError(f"numeric overrides for unregistered activations: {', '.join(stray)}")
        self._built: dict[str, NumericActivation] = {}

    def __getitem__(self, name: str) -> NumericActivation:
        if name not in self._built:
            self._built[name] = build(ACTIVATIONS[name], OVERRIDES.get(name))  # KeyError for an unknown name
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(ACTIVATIONS)

    def __len__(self) -> int:
        return len(ACTIVATIONS)


#: One numeric activation per name of ``derive.ACTIVATIONS``.
NUMERIC: Mapping[str, NumericActivation] = _Registry()


def numeric(name: str) -> NumericActivation:
    """The numeric activation called ``name``; the error names the allowed ones."""
    try:
        return NUMERIC[name]
    except KeyError:
        raise derive.ConfigError("activation", name, sorted(NUMERIC)) from None

"""Claims about the chain, true and false, each a function of a case that says whether it holds.

True claims are the property tests of statements 7 to 9 and the tightness of the
bound. False claims are the variants the tool refutes with a concrete, shrunk
counterexample: the spectral radius in place of sigma_max; "gamma lambda > 1
implies explosion", refuted twice over t-k = 50 (saturation, a nilpotent W); the
product in the wrong order or with W^T; ||W^k|| = ||W||^k; and "eigenvalues inside
the unit circle imply no transient growth". Every number a refutation prints is
computed by the float engine AND recomputed in mpmath at 50 digits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar, cast

import mpmath
import numpy as np
import sympy as sp
from hypothesis import strategies as st

from derive.activations import derive_gamma
from derive.errors import InputError

from .activations import Array, numeric
from .engine import Ord, chain_log_norms, chain_norms, run
from .strategies import LAG, Case, LinearCase, argmax, linear_cases, nilpotent_cases, saturating_cases, small_cases

#: Relative tolerance of the bound per factor, applied in log space: (t-k) * LOG_TOLERANCE.
LOG_TOLERANCE = 1e-9


def jacobians(case: Case) -> list[Array]:
    """The one-step Jacobians J_1 .. J_T, J_j = diag(phi'(a_j)) W."""
    slope = numeric(case.activation).slope
    return [slope(a)[:, None] * case.W for a in run(case.W, case.U, case.b, case.xs, case.s0, case.activation)]


def chain(factors: list[Array]) -> Array:
    """ds_T/ds_0 = J_T ... J_1: later steps on the left."""
    product = np.eye(factors[0].shape[0])
    for factor in factors:
        product = factor @ product
    return product


def matrix_norm(A: Array, ord: Ord = 2) -> float:
    """||A|| in the chosen norm, scaled first so that tiny or huge entries do not under- or overflow."""
    peak = float(np.max(np.abs(A))) if A.size else 0.0
    return 0.0 if peak == 0.0 else peak * float(np.linalg.norm(A / peak, ord))


def log_ratios(log_norms: Array, gamma: float, lam: Array | float) -> Array:
    """log(||ds_T/ds_k|| / (gamma lambda)^(T-k)) for every k, from the log norms (last axis: k = 0 .. T-1).

    ``lam`` may be one lambda or one per row of ``log_norms``; log gamma + log lambda never underflows.
    """
    steps = np.shape(log_norms)[-1]
    lags = steps - np.arange(steps)
    log_rate = np.log(gamma) + np.log(np.asarray(lam, dtype=float))
    return np.asarray(log_norms) - lags * np.expand_dims(log_rate, -1)


def log_bound_margin(case: Case, ord: Ord = 2) -> float:
    """max over k of log ||ds_T/ds_k|| - (T-k) log(gamma lambda) - tolerance; <= 0 when statement 9 holds."""
    gamma = numeric(case.activation).gamma
    lam = matrix_norm(case.W, ord)
    logs = chain_log_norms(case.W, case.U, case.b, case.xs, case.s0, case.activation, ord)
    if lam == 0.0:
        return 0.0 if np.all(logs == -np.inf) else np.inf
    lags = case.steps - np.arange(case.steps)
    return float(np.max(log_ratios(logs, gamma, lam) - LOG_TOLERANCE * lags))


def diagonal_norm_bounded(a: Array, activation: str) -> bool:
    """Statement 7: ||diag(phi'(a))||_2 = max_i |phi'(a_i)| <= gamma."""
    act = numeric(activation)
    norm = float(np.linalg.norm(np.diag(act.slope(a)), 2))
    # the slopes' stated rounding (hard sigmoid's e^{log(1/6)} is one ulp above the float 1/6) and gamma's own as a float
    slack = (act.log_slope_accuracy or 0.0) * 2.0**-53 * (1.0 + abs(np.log(act.gamma))) * 1.01 + 2.0**-52
    return bool(np.isclose(norm, np.max(np.abs(act.slope(a))), rtol=1e-14, atol=0.0)) and norm <= act.gamma * (1.0 + slack)


def submultiplicative(A: Array, B: Array, ord: Ord = 2) -> bool:
    """Statement 8: ||AB|| <= ||A|| ||B||, up to rounding.

    Both sides are homogeneous in A and in B, so each is first scaled by an exact power of two to a largest entry in
    [1/2, 1): a norm of tiny entries (the Frobenius norm squares them) would otherwise be computed from subnormal
    numbers, with no relative accuracy left (A = [[2]], B = [[9.7e-163]] failed so)."""
    A, B = _unit_scaled(A), _unit_scaled(B)
    return bool(np.linalg.norm(A @ B, ord) <= np.linalg.norm(A, ord) * np.linalg.norm(B, ord) * (1 + 1e-12) + 1e-300)


def _unit_scaled(M: Array) -> Array:
    """M times the power of two that brings its largest entry into [1/2, 1) (exact); a zero M as it is."""
    peak = float(np.max(np.abs(M), initial=0.0))
    return M if peak == 0.0 else cast(Array, np.ldexp(M, -np.frexp(peak)[1]))


def tightness_case(activation: str, W: Array, steps: int) -> Case:
    """The witness: every a_j held at z*, the argmax of |phi'| from the gamma derivation (never assumed 0).

    With s_0 = phi(z*) 1 and b = z* 1 - W s_0, a_1 = z* 1, s_1 = phi(z*) 1 = s_0, and so on; every
    one-step Jacobian is phi'(z*) W with |phi'(z*)| = gamma. For tanh that is s = 0, b = 0; for the
    sigmoid s = 1/2, b = -W (1/2) 1. Where phi(z*) is not a float (GELU's z* = sqrt 2), that fixed point is
    unstable in rounding (the error grows by |phi'(z*)| ||W|| a step); the inputs then put a_j back at z*
    each step: U = I, b = 0 and x_j = z* 1 - W s_{j-1} along the forward pass as computed.
    """
    derivation = derive_gamma(activation)
    if derivation.argmax is None:
        raise InputError("activation", f"{activation}: the supremum of |phi'| is not attained, so no witness holds every a_j at it")
    act = numeric(activation)
    d, z_star = W.shape[0], float(derivation.argmax)
    s0 = act.phi(np.full(d, z_star))
    held = Case(activation, W, np.zeros((d, 1)), z_star - W @ s0, np.zeros((steps, 1)), s0)
    if np.all(run(held.W, held.U, held.b, held.xs, held.s0, activation) == z_star):
        return held
    xs, s = np.empty((steps, d)), s0
    for j in range(steps):
        xs[j] = z_star - W @ s
        s = act.phi(W @ s + xs[j])
    return Case(activation, W, np.eye(d), np.zeros(d), xs, s0)


def tightness_ratio(case: Case) -> float:
    """||ds_T/ds_0||_2 / (gamma lambda)^T: exactly 1 for W = lambda Q with every a_j at z*."""
    gamma, lam = numeric(case.activation).gamma, float(np.linalg.norm(case.W, 2))
    logs = chain_log_norms(case.W, case.U, case.b, case.xs, case.s0, case.activation)
    return float(np.exp(log_ratios(logs, gamma, lam)[0]))


def clip(g: Array, c: float) -> Array:
    """Gradient clipping g <- g min(1, c / ||g||)."""
    norm = float(np.linalg.norm(g))
    return g if norm <= c else g * (c / norm)


# --- False claims: each with a search strategy, two independent routes to its numbers, and a margin ---

#: Decimal digits of the independent recomputation (mpmath, from the same float inputs, which it reads exactly).
DIGITS = 50
#: Relative accuracy claimed for a float-route norm, against || |J_T| ... |J_{k+1}| ||_2 (the product's rounding scale).
TOL_NORM = 1e-9
#: Absolute accuracy claimed for a float-route eigenvalue modulus, as a multiple of ||W||_2.
TOL_EIGEN = 1e-4
#: A counterexample must violate its claim by this relative margin on both routes: far above every tolerance.
MARGIN = 1e-2
#: The lags at which the explosion refutations print ||ds_t/ds_k||_2; at the longest the norm must be below DECAY.
LAGS = (1, 2, 10, LAG)
DECAY = 1e-3

#: A number from the float route: (value, absolute error bound that the recomputation must meet).
Estimate = tuple[float, float]
C = TypeVar("C", Case, LinearCase)


@dataclass(frozen=True)
class FalseClaim(Generic[C]):
    """A plausible claim that is wrong, and how to refute it.

    ``search(activations)`` draws candidate counterexamples of those activations only;
    ``floats`` computes the printed numbers with the float engine (each with its error
    bound) and ``exact`` recomputes them in mpmath at DIGITS digits; ``margin`` reads
    the numbers and says by how much (relatively) the claim fails, > 0 when it does.
    """

    name: str
    statement: str
    reason: str
    search: Callable[[tuple[str, ...]], st.SearchStrategy[C]]
    floats: Callable[[C], dict[str, Estimate]]
    exact: Callable[[C], dict[str, float]]
    margin: Callable[[Mapping[str, float]], float]

    def violation(self, case: C) -> float:
        """The margin on the float route (what the search maximises past MARGIN)."""
        return self.margin({key: value for key, (value, _) in self.floats(case).items()})

    def holds(self, case: C) -> bool:
        """False when ``case`` violates the claim by more than MARGIN on the float route."""
        return not self.violation(case) > MARGIN


def exceeds(x: float, y: float) -> float:
    """(x - y) / max(|x|, |y|): how far x exceeds y, relative; 0 when both are 0."""
    scale = max(abs(x), abs(y))
    return 0.0 if scale == 0.0 else (x - y) / scale


# --- The float route: the engine for chain norms, NumPy for matrix functions ---


def _rel(value: float, scale: float | None = None) -> Estimate:
    """A float-route norm with error bound TOL_NORM * scale (scale: the product of the norms it was multiplied from)."""
    return value, TOL_NORM * max(abs(value), 0.0 if scale is None else scale)


def _rho(W: Array) -> Estimate:
    """rho(W) from LAPACK; a defective eigenvalue moves by about eps^(1/d) ||W||, well inside TOL_EIGEN ||W||_2 for d <= 3."""
    return float(np.max(np.abs(np.linalg.eigvals(W)))), TOL_EIGEN * matrix_norm(W)


def _power_of(estimate: Estimate, factor: float, n: int) -> Estimate:
    """(factor x)^n for x = value +- error: its value and the error bound the worst end of the interval gives."""
    x, err = estimate
    value = (factor * x) ** n
    return value, (factor * (x + err)) ** n - value


def _engine_norms(case: Case) -> Array:
    """||ds_T/ds_k||_2 for k = 0 .. T-1 from the float engine."""
    return chain_norms(case.W, case.U, case.b, case.xs, case.s0, case.activation)


def _product_scale(factors: list[Array]) -> float:
    """|| |J_T| ... |J_1| ||_2 (entrywise absolute values): a float product of these factors is off by at most a few d T eps times this.

    This is the standard forward error bound of a matrix product; it is 0 when the
    product vanishes by its zero pattern (a nilpotent W), so exact zeros carry no tolerance.
    """
    return matrix_norm(chain([np.abs(f) for f in factors]))


def _lambda(case: Case | LinearCase) -> Estimate:
    return _rel(matrix_norm(case.W))


# --- The independent route: mpmath at DIGITS digits from the same float inputs ---


@cache
def _symbolic(activation: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """phi and phi' in mpmath, lambdified from the symbolic registry (not verify's float forms)."""
    g = derive_gamma(activation)
    return sp.lambdify(g.variable, g.phi, "mpmath"), sp.lambdify(g.variable, g.first, "mpmath")


def _mp_slope(activation: str, a: Any) -> Any:
    """phi'(a); tanh's 1 - tanh(a)^2 cancels about 0.87 |a| digits, so |a| extra digits are carried."""
    with mpmath.workdps(DIGITS + int(abs(a))):
        return _symbolic(activation)[1](a)


def _mp_gamma(activation: str) -> Any:
    """gamma = phi'(z*), phi' evaluated in mpmath at the argmax from the derivation."""
    return abs(_mp_slope(activation, mpmath.mpf(argmax(activation))))


def _mp(A: Array) -> Any:
    """An mpmath matrix holding exactly the float entries of A (a vector becomes a column)."""
    return mpmath.matrix(np.asarray(A, dtype=float).tolist())


def _mp_norm(M: Any) -> Any:
    """||M||_2 = sqrt(largest eigenvalue of M^T M), M first scaled by its largest entry (tiny norms stay accurate)."""
    peak = max((abs(x) for x in M), default=mpmath.mpf(0))
    if peak == 0:
        return mpmath.mpf(0)
    N = M / peak
    eigenvalues, _ = mpmath.eigsy(N.T * N)
    return peak * mpmath.sqrt(max(max(eigenvalues), 0))


def _mp_rho(M: Any) -> Any:
    """The spectral radius max |eigenvalue| in mpmath."""
    peak = max((abs(x) for x in M), default=mpmath.mpf(0))
    if peak == 0:
        return mpmath.mpf(0)
    if M.rows == 1:  # mpmath.eig returns a tuple, not the eigenvalue list, for a 1 x 1 matrix
        return peak
    return peak * max(abs(e) for e in mpmath.eig(M / peak, left=False, right=False))


def _mp_jacobians(case: Case, W: Any | None = None) -> list[Any]:
    """J_j = diag(phi'(a_j)) W (or the given matrix in place of W) along the trajectory, all in mpmath."""
    phi = _symbolic(case.activation)[0]
    Wm, U, b, s = _mp(case.W), _mp(case.U), _mp(case.b), _mp(case.s0)
    factor = Wm if W is None else W
    out = []
    for x in case.xs:
        a = Wm * s + U * _mp(x) + b
        D = mpmath.diag([_mp_slope(case.activation, v) for v in a])
        out.append(D * factor)
        s = mpmath.matrix([phi(v) for v in a])
    return out


def _mp_chain(factors: list[Any]) -> Any:
    """J_T ... J_1, later steps on the left."""
    P = mpmath.eye(factors[0].rows)
    for factor in factors:
        P = factor * P
    return P


def _mp_lag_norms(case: Case, lags: tuple[int, ...]) -> dict[int, Any]:
    """||J_T ... J_{T-L+1}||_2 for each lag L, accumulated from the last step backward."""
    factors = _mp_jacobians(case)
    P, out = mpmath.eye(case.dim), {}
    for lag, factor in enumerate(reversed(factors), start=1):
        P = P * factor
        if lag in lags:
            out[lag] = _mp_norm(P)
    return out


def _mp_power(W: Array, k: int) -> Any:
    """W^k by repeated multiplication, in mpmath."""
    M, P = _mp(W), mpmath.eye(W.shape[0])
    for _ in range(k):
        P = M * P
    return P


def _exactly(numbers: dict[str, Any]) -> dict[str, float]:
    return {key: float(value) for key, value in numbers.items()}


# --- The claims ---


def _spectral_floats(case: Case) -> dict[str, Estimate]:
    gamma, T = numeric(case.activation).gamma, case.steps
    lam, rho = _lambda(case), _rho(case.W)
    return {
        "lambda": lam,
        "spectral radius": rho,
        "norm": _rel(float(_engine_norms(case)[0]), _product_scale(jacobians(case))),
        "claimed bound": _power_of(rho, gamma, T),
        "true bound": _power_of(lam, gamma, T),
    }


def _spectral_exact(case: Case) -> dict[str, float]:
    with mpmath.workdps(DIGITS):
        gamma, W = _mp_gamma(case.activation), _mp(case.W)
        lam, rho = _mp_norm(W), _mp_rho(W)
        norm = _mp_norm(_mp_chain(_mp_jacobians(case)))
        T = case.steps
        return _exactly({"lambda": lam, "spectral radius": rho, "norm": norm, "claimed bound": (gamma * rho) ** T, "true bound": (gamma * lam) ** T})


def _spectral_margin(n: Mapping[str, float]) -> float:
    return exceeds(n["norm"], n["claimed bound"])


def _lag_key(lag: int) -> str:
    return f"norm at t-k = {lag}"


def _explosion_floats(case: Case) -> dict[str, Estimate]:
    norms, factors = _engine_norms(case), jacobians(case)
    numbers = {"gamma lambda": _rel(numeric(case.activation).gamma * matrix_norm(case.W))}
    for lag in (lag for lag in LAGS if lag <= case.steps):
        numbers[_lag_key(lag)] = _rel(float(norms[case.steps - lag]), _product_scale(factors[case.steps - lag :]))
    return numbers


def _explosion_exact(case: Case) -> dict[str, float]:
    with mpmath.workdps(DIGITS):
        numbers = {"gamma lambda": _mp_gamma(case.activation) * _mp_norm(_mp(case.W))}
        numbers.update({_lag_key(lag): norm for lag, norm in _mp_lag_norms(case, LAGS).items()})
        return _exactly(numbers)


def _explosion_margin(n: Mapping[str, float]) -> float:
    """gamma lambda > 1 and yet ||ds_t/ds_k||_2 < DECAY at t-k = LAG: both by the margin (a shorter run refutes nothing)."""
    if _lag_key(LAG) not in n:
        return -1.0
    return min(exceeds(n["gamma lambda"], 1.0), exceeds(DECAY, n[_lag_key(LAG)]))


def _nilpotent_key(case: Case | LinearCase) -> str:
    return f"norm of W^{case.dim}"


def _nilpotent_floats(case: Case) -> dict[str, Estimate]:
    power = np.linalg.matrix_power(case.W, case.dim)
    return {**_explosion_floats(case), _nilpotent_key(case): _rel(matrix_norm(power), _product_scale([case.W] * case.dim))}


def _nilpotent_exact(case: Case) -> dict[str, float]:
    with mpmath.workdps(DIGITS):
        return {**_explosion_exact(case), _nilpotent_key(case): float(_mp_norm(_mp_power(case.W, case.dim)))}


def _nilpotent_margin(n: Mapping[str, float]) -> float:
    """As for saturation, and W^d = 0 exactly: the reason is the matrix, not the slopes."""
    power = next(value for key, value in n.items() if key.startswith("norm of W^"))
    return _explosion_margin(n) if power == 0.0 else -1.0


def _swap_floats(case: Case, swapped: list[Array]) -> dict[str, Estimate]:
    """||ds_T/ds_0||_2 from the engine, and ||wrong - true||_2 with wrong the product of ``swapped``."""
    factors = jacobians(case)
    true, wrong = chain(factors), chain(swapped)
    scale = _product_scale(factors) + _product_scale(swapped)
    return {"norm": _rel(float(_engine_norms(case)[0]), _product_scale(factors)), "error": (matrix_norm(wrong - true), TOL_NORM * scale)}


def _swap_exact(case: Case, swapped: list[Any]) -> dict[str, float]:
    true = _mp_chain(_mp_jacobians(case))
    return _exactly({"norm": _mp_norm(true), "error": _mp_norm(_mp_chain(swapped) - true)})


def _swap_margin(n: Mapping[str, float]) -> float:
    """The wrong product differs from the true one by more than MARGIN of the true norm (which must not be 0)."""
    return -1.0 if n["norm"] == 0.0 else n["error"] / n["norm"]


def _order_floats(case: Case) -> dict[str, Estimate]:
    return _swap_floats(case, jacobians(case)[::-1])


def _order_exact(case: Case) -> dict[str, float]:
    with mpmath.workdps(DIGITS):
        return _swap_exact(case, _mp_jacobians(case)[::-1])


def _transposed_floats(case: Case) -> dict[str, Estimate]:
    slope = numeric(case.activation).slope
    pre = run(case.W, case.U, case.b, case.xs, case.s0, case.activation)
    return _swap_floats(case, [slope(a)[:, None] * case.W.T for a in pre])


def _transposed_exact(case: Case) -> dict[str, float]:
    with mpmath.workdps(DIGITS):
        return _swap_exact(case, _mp_jacobians(case, _mp(case.W).T))


def _float_power(W: Array, k: int) -> Array:
    """W^k by repeated multiplication in floats."""
    P = np.eye(W.shape[0])
    for _ in range(k):
        P = W @ P
    return P


def _power_floats(case: LinearCase) -> dict[str, Estimate]:
    lam = matrix_norm(case.W)
    power = _rel(matrix_norm(_float_power(case.W, case.steps)), _product_scale([case.W] * case.steps))
    return {"norm of W^k": power, "norm of W to the k": _power_of(_rel(lam), 1.0, case.steps)}


def _power_exact(case: LinearCase) -> dict[str, float]:
    with mpmath.workdps(DIGITS):
        return _exactly({"norm of W^k": _mp_norm(_mp_power(case.W, case.steps)), "norm of W to the k": _mp_norm(_mp(case.W)) ** case.steps})


def _power_margin(n: Mapping[str, float]) -> float:
    """||W||^k exceeds ||W^k|| (the other way cannot happen: submultiplicativity); monotone in each, as worst_margin needs."""
    return exceeds(n["norm of W to the k"], n["norm of W^k"])


def _transient_floats(case: LinearCase) -> dict[str, Estimate]:
    power = _rel(matrix_norm(_float_power(case.W, case.steps)), _product_scale([case.W] * case.steps))
    return {"spectral radius": _rho(case.W), "norm of W^k": power}


def _transient_exact(case: LinearCase) -> dict[str, float]:
    with mpmath.workdps(DIGITS):
        return _exactly({"spectral radius": _mp_rho(_mp(case.W)), "norm of W^k": _mp_norm(_mp_power(case.W, case.steps))})


def _transient_margin(n: Mapping[str, float]) -> float:
    """rho(W) < 1 and yet ||W^k||_2 > 1."""
    return min(exceeds(1.0, n["spectral radius"]), exceeds(n["norm of W^k"], 1.0))


def _any_activation(activations: tuple[str, ...]) -> st.SearchStrategy[LinearCase]:
    """The matrix-power claims involve no activation: the same search whatever the configuration."""
    return linear_cases()


_EXPLODES = "gamma lambda > 1 implies the gradient explodes: ||ds_t/ds_k||_2 grows with t-k"

FALSE_CLAIMS: dict[str, FalseClaim[Any]] = {
    claim.name: claim
    for claim in (
        FalseClaim[Case](
            "spectral-radius",
            "the spectral radius rho(W) may stand for lambda: ||ds_t/ds_k||_2 <= (gamma rho(W))^(t-k)",
            "for a non-normal W, sigma_max(W) > rho(W), and the chain reaches beyond (gamma rho)^(t-k)",
            lambda activations: small_cases(activations),
            _spectral_floats,
            _spectral_exact,
            _spectral_margin,
        ),
        FalseClaim[Case](
            "explosion-saturation",
            _EXPLODES,
            "saturation: the units sit where phi' is far below gamma, so the chain decays although gamma lambda > 1",
            saturating_cases,
            _explosion_floats,
            _explosion_exact,
            _explosion_margin,
        ),
        FalseClaim[Case](
            "explosion-nilpotent",
            _EXPLODES,
            "a nilpotent W: with every a_j at the argmax the chain is gamma^(t-k) W^(t-k), and W^d = 0",
            nilpotent_cases,
            _nilpotent_floats,
            _nilpotent_exact,
            _nilpotent_margin,
        ),
        FalseClaim[Case](
            "reversed-order",
            "the product may be taken in the other order, earlier steps on the left",
            "the factors diag(phi'(a_j)) W do not commute",
            lambda activations: small_cases(activations),
            _order_floats,
            _order_exact,
            _swap_margin,
        ),
        FalseClaim[Case](
            "transposed",
            "W transposed may stand for W in each factor",
            "for a non-symmetric W, diag(phi'(a_j)) W^T is not diag(phi'(a_j)) W",
            lambda activations: small_cases(activations),
            _transposed_floats,
            _transposed_exact,
            _swap_margin,
        ),
        FalseClaim[LinearCase](
            "power-norm",
            "||W^k||_2 = ||W||_2^k",
            "only <= holds (submultiplicativity); equality needs more, e.g. a normal W",
            _any_activation,
            _power_floats,
            _power_exact,
            _power_margin,
        ),
        FalseClaim[LinearCase](
            "transient-growth",
            "if every eigenvalue of W lies inside the unit circle, ||W^k||_2 <= 1 for every k (no transient growth)",
            "rho(W) governs ||W^k|| only as k grows (Gelfand); a non-normal W grows first",
            _any_activation,
            _transient_floats,
            _transient_exact,
            _transient_margin,
        ),
    )
}

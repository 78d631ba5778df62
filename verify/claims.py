"""Claims about the chain, true and false, each a function of a case that says whether it holds.

True claims are the property tests of statements 7 to 9 and the tightness of the
bound; false claims are the variants DESIGN.md says the tool must refute with a
concrete counterexample: the spectral radius in place of sigma_max, "gamma lambda
> 1 implies explosion", and the product in the wrong order or with W^T.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .activations import Array, numeric
from .engine import Ord, chain_log_norms, run
from .strategies import Case

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
    return bool(np.isclose(norm, np.max(np.abs(act.slope(a))), rtol=1e-14, atol=0.0)) and norm <= act.gamma


def submultiplicative(A: Array, B: Array, ord: Ord = 2) -> bool:
    """Statement 8: ||AB|| <= ||A|| ||B||, up to rounding."""
    return bool(np.linalg.norm(A @ B, ord) <= np.linalg.norm(A, ord) * np.linalg.norm(B, ord) * (1 + 1e-12) + 1e-300)


def tightness_case(activation: str, W: Array, steps: int) -> Case:
    """The witness of DESIGN.md: every a_j = 0. With s_0 = phi(0) 1 and b = -W s_0, a_1 = 0, s_1 = phi(0) 1 = s_0, and so on.

    For tanh that is s = 0 and b = 0; for the sigmoid s = 1/2 and b = -W (1/2) 1.
    """
    d = W.shape[0]
    s0 = numeric(activation).phi(np.zeros(d))
    return Case(activation, W, np.zeros((d, 1)), -W @ s0, np.zeros((steps, 1)), s0)


def tightness_ratio(case: Case) -> float:
    """||ds_T/ds_0||_2 / (gamma lambda)^T: exactly 1 for W = lambda Q at a_j = 0."""
    gamma, lam = numeric(case.activation).gamma, float(np.linalg.norm(case.W, 2))
    logs = chain_log_norms(case.W, case.U, case.b, case.xs, case.s0, case.activation)
    return float(np.exp(log_ratios(logs, gamma, lam)[0]))


def clip(g: Array, c: float) -> Array:
    """Gradient clipping g <- g min(1, c / ||g||)."""
    norm = float(np.linalg.norm(g))
    return g if norm <= c else g * (c / norm)


@dataclass(frozen=True)
class FalseClaim:
    """A plausible claim that is wrong; ``holds(case)`` is what a counterexample makes False."""

    name: str
    statement: str
    holds: Callable[[Case], bool]
    numbers: Callable[[Case], dict[str, float]]


def _spectral(case: Case) -> dict[str, float]:
    gamma = numeric(case.activation).gamma
    rho = float(np.max(np.abs(np.linalg.eigvals(case.W))))
    norm = float(np.linalg.norm(chain(jacobians(case)), 2))
    return {"norm": norm, "spectral radius": rho, "claimed bound": (gamma * rho) ** case.steps}


def _explosion(case: Case) -> dict[str, float]:
    gamma, lam = numeric(case.activation).gamma, float(np.linalg.norm(case.W, 2))
    return {"gamma times lambda": gamma * lam, "norm": float(np.linalg.norm(chain(jacobians(case)), 2))}


def _order(case: Case) -> dict[str, float]:
    factors = jacobians(case)
    true = chain(factors)
    return {
        "true norm": float(np.linalg.norm(true, 2)),
        "reversed-order error": float(np.linalg.norm(chain(factors[::-1]) - true, 2)),
    }


def _transposed(case: Case) -> dict[str, float]:
    factors = jacobians(case)
    slope = numeric(case.activation).slope
    swapped = [slope(a)[:, None] * case.W.T for a in run(case.W, case.U, case.b, case.xs, case.s0, case.activation)]
    true = chain(factors)
    return {"true norm": float(np.linalg.norm(true, 2)), "error with W transposed": float(np.linalg.norm(chain(swapped) - true, 2))}


def _close(error: float, scale: float) -> bool:
    return error <= 1e-9 * max(scale, 1e-300) or error == 0.0


def _spectral_holds(case: Case) -> bool:
    n = _spectral(case)
    return n["norm"] <= n["claimed bound"] * (1 + 1e-9)


def _explosion_holds(case: Case) -> bool:
    n = _explosion(case)
    return n["gamma times lambda"] <= 1 or n["norm"] >= 1


def _order_holds(case: Case) -> bool:
    n = _order(case)
    return _close(n["reversed-order error"], n["true norm"])


def _transposed_holds(case: Case) -> bool:
    n = _transposed(case)
    return _close(n["error with W transposed"], n["true norm"])


FALSE_CLAIMS: dict[str, FalseClaim] = {
    claim.name: claim
    for claim in (
        FalseClaim(
            "spectral-radius",
            "the spectral radius of W may stand for lambda in the bound",
            _spectral_holds,
            _spectral,
        ),
        FalseClaim(
            "explosion",
            "gamma lambda > 1 makes the gradient explode (a temporal Jacobian of norm at least 1)",
            _explosion_holds,
            _explosion,
        ),
        FalseClaim(
            "reversed-order",
            "the product may be taken in the other order, earlier steps on the left",
            _order_holds,
            _order,
        ),
        FalseClaim(
            "transposed",
            "W transposed may stand for W in each factor",
            _transposed_holds,
            _transposed,
        ),
    )
}

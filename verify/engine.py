"""The fast Jacobian-chain engine: ||ds_T/ds_k|| for every k in one backward pass.

ds_T/ds_k = J_T J_{T-1} ... J_{k+1} with J_j = diag(phi'(a_j)) W. The product is
accumulated backward once, P <- (P * phi'(a_j)) W (rows scaled, never a diag
matrix built), and kept normalised with its scale carried as a logarithm, so
norms that under- or overflow a float still have finite logarithms. The slopes
enter through log phi', which stays finite for saturated units.

The 2-norm is not an SVD per lag: a warm-started power iteration on P^T P gives
theta <= sigma_max^2 from below, and the Kato-Temple inequality certifies an
upper bound theta + r^2 / (theta - alpha), where r is the residual and
alpha = ||P||_F^2 - theta bounds every other eigenvalue. The engine returns that
certified upper bound once it is within 1e-11 relative of theta; when no
certificate comes (top singular values close together) it falls back to the
exact eigenvalue of P^T P from LAPACK.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .activations import Array, numeric

#: A matrix norm: the induced 2-, 1- or inf-norm, or Frobenius.
Ord = float | Literal["fro"]

ORDS = (2, 1, np.inf, "fro")
RELATIVE = 1e-11  # certified relative accuracy of the 2-norm
POWER_STEPS = 40


def _validate(W: Array, U: Array, b: Array, xs: Array, s0: Array | None) -> tuple[Array, Array, Array, Array, Array]:
    W, U, b, xs = (np.asarray(v, dtype=np.float64) for v in (W, U, b, xs))
    d = W.shape[0] if W.ndim == 2 else -1
    if W.ndim != 2 or W.shape != (d, d) or d < 1:
        raise ValueError(f"W must be a square d x d matrix, got shape {W.shape}")
    if xs.ndim != 2 or xs.shape[0] < 1:
        raise ValueError(f"xs must be T x m with T >= 1, got shape {xs.shape}")
    if U.shape != (d, xs.shape[1]):
        raise ValueError(f"U must be d x m = {(d, xs.shape[1])}, got shape {U.shape}")
    if b.shape != (d,):
        raise ValueError(f"b must have shape ({d},), got {b.shape}")
    s = np.zeros(d) if s0 is None else np.asarray(s0, dtype=np.float64)
    if s.shape != (d,):
        raise ValueError(f"s0 must have shape ({d},), got {s.shape}")
    return W, U, b, xs, s


def run(W: Array, U: Array, b: Array, xs: Array, s0: Array | None = None, activation: str = "tanh") -> Array:
    """The pre-activations a_1 .. a_T (a T x d array) of s_j = phi(W s_{j-1} + U x_j + b)."""
    phi = numeric(activation).phi
    W, U, b, xs, s = _validate(W, U, b, xs, s0)
    pre = np.empty((xs.shape[0], W.shape[0]))
    drive = xs @ U.T + b
    for j in range(xs.shape[0]):
        pre[j] = W @ s + drive[j]
        s = phi(pre[j])
    return pre


def _log_norm_2(P: Array, start: Array) -> tuple[float, Array]:
    """log ||P||_2, certified to RELATIVE from above; also the top right singular vector estimate."""
    frob2 = float(np.einsum("ij,ij->", P, P))
    if frob2 == 0.0:
        return -np.inf, start
    x = P.T @ start
    norm = np.linalg.norm(x)
    x = x / norm if norm > 0 else np.full(P.shape[1], P.shape[1] ** -0.5)
    for _ in range(POWER_STEPS):
        Px = P @ x
        theta = float(Px @ Px)
        g = P.T @ Px
        r2 = float(np.sum((g - theta * x) ** 2))
        alpha = frob2 - theta  # every eigenvalue of P^T P but the top one is <= alpha
        if theta > alpha and r2 <= RELATIVE * theta * (theta - alpha):
            return 0.5 * float(np.log(theta + r2 / (theta - alpha))), x
        x = g / np.linalg.norm(g)
    top = float(np.linalg.eigvalsh(P.T @ P)[-1])
    return 0.5 * float(np.log(top)), x


def _log_norm(P: Array, ord: Ord, start: Array) -> tuple[float, Array]:
    if ord == 2:
        return _log_norm_2(P, start)
    value = float(np.linalg.norm(P, ord))
    return (float(np.log(value)) if value > 0 else -np.inf), start


def chain_log_norms(W: Array, U: Array, b: Array, xs: Array, s0: Array | None = None, activation: str = "tanh", ord: Ord = 2) -> Array:
    """Natural logs of ||ds_T/ds_k|| for k = 0 .. T-1; finite where the norms themselves over- or underflow."""
    if ord not in ORDS:
        raise ValueError(f"ord must be one of 2, 1, inf, 'fro'; got {ord!r}")
    act = numeric(activation)
    W = np.asarray(W, dtype=np.float64)
    pre = run(W, U, b, xs, s0, activation)
    T, d = pre.shape
    out = np.empty(T)
    w_peak = max(float(W.max()), -float(W.min()))
    if w_peak == 0.0:
        return np.full(T, -np.inf)
    W = W / w_peak  # entries of order one: no subnormal products; log w_peak enters once per step
    log_w = float(np.log(w_peak))
    P, spare = np.eye(d), np.empty((d, d))
    log_scale = 0.0
    u = np.full(d, d**-0.5)
    for k in range(T - 1, -1, -1):
        log_slope = act.log_slope(pre[k])
        top = float(np.max(log_slope))
        np.multiply(P, np.exp(log_slope - top), out=P)  # P diag(phi'(a_{k+1})), up to the factor e^top
        np.matmul(P, W, out=spare)
        P, spare = spare, P
        peak = max(float(P.max()), -float(P.min()))
        if peak == 0.0:
            out[: k + 1] = -np.inf
            return out
        P /= peak
        log_scale += top + log_w + float(np.log(peak))
        log_norm, v = _log_norm(P, ord, u)
        out[k] = log_scale + log_norm
        u = P @ v  # the top left singular vector of the next product is close to this one's
        u /= np.linalg.norm(u) or 1.0
    return out


def chain_norms(W: Array, U: Array, b: Array, xs: Array, s0: Array | None = None, activation: str = "tanh", ord: Ord = 2) -> Array:
    """||ds_T/ds_k|| for k = 0 .. T-1 (entry T-1 the one-step Jacobian, entry 0 the whole chain)."""
    return np.exp(chain_log_norms(W, U, b, xs, s0, activation, ord))


def chain_log_norms_batched(W: Array, U: Array, b: Array, xs: Array, s0: Array | None = None, activation: str = "tanh", ord: Ord = 2) -> Array:
    """chain_log_norms for a batch of B independent RNNs of one size: W is B x d x d, xs is B x T x m; returns B x T.

    Meant for many small cases at once (property tests, sweeps): every step is one batched
    matrix product, and the 2-norm is the batched SVD's largest singular value (exact; d is small).
    """
    if ord not in ORDS:
        raise ValueError(f"ord must be one of 2, 1, inf, 'fro'; got {ord!r}")
    act = numeric(activation)
    W, U, b, xs = (np.asarray(v, dtype=np.float64) for v in (W, U, b, xs))
    if W.ndim != 3 or W.shape[1] != W.shape[2] or xs.ndim != 3 or U.shape != (W.shape[0], W.shape[1], xs.shape[2]) or b.shape != W.shape[:2]:
        raise ValueError(f"batched shapes must be W (B,d,d), U (B,d,m), b (B,d), xs (B,T,m); got {W.shape}, {U.shape}, {b.shape}, {xs.shape}")
    B, d, T = W.shape[0], W.shape[1], xs.shape[1]
    s = np.zeros((B, d)) if s0 is None else np.asarray(s0, dtype=np.float64)
    drive = np.einsum("bdm,btm->btd", U, xs) + b[:, None, :]
    pre = np.empty((B, T, d))
    for j in range(T):
        pre[:, j] = np.einsum("bde,be->bd", W, s) + drive[:, j]
        s = act.phi(pre[:, j])
    out = np.empty((B, T))
    w_peak = np.max(np.abs(W), axis=(1, 2))
    W = W / np.where(w_peak > 0, w_peak, 1.0)[:, None, None]
    with np.errstate(divide="ignore"):
        log_w = np.log(w_peak)
    P = np.broadcast_to(np.eye(d), (B, d, d)).copy()
    log_scale = np.zeros(B)
    with np.errstate(divide="ignore"):
        for k in range(T - 1, -1, -1):
            log_slope = act.log_slope(pre[:, k])
            top = np.max(log_slope, axis=1)
            P = (P * np.exp(log_slope - top[:, None])[:, None, :]) @ W
            peak = np.max(np.abs(P), axis=(1, 2))
            safe = np.where(peak > 0, peak, 1.0)
            P /= safe[:, None, None]
            log_scale = log_scale + top + log_w + np.log(peak)
            norms = np.linalg.svd(P, compute_uv=False)[:, 0] if ord == 2 else np.linalg.norm(P, ord, axis=(1, 2))
            out[:, k] = log_scale + np.log(norms)
    return np.where(np.isnan(out), -np.inf, out)

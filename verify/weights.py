"""Your own network: the bound of statement 9, the measured chain and the Lyapunov exponent for a trained W.

``python -m verify --weights FILE`` reads the recurrent weight matrix W, and the input weights U and bias b when the
file has them, from .npy (one array: W), .npz or .safetensors (read with the safetensors package's NumPy API: no
PyTorch needed). Keys are W, U, b, or PyTorch's nn.RNN names: weight_hh_l0 for W, weight_ih_l0 for U and
bias_ih_l0 + bias_hh_l0 for b, also under a module prefix (rnn.weight_hh_l0). The report says which tensors it used.

For inputs x_1 .. x_T (``--inputs``, or seeded standard normal ones) from s_0 = 0, as nn.RNN starts, it gives for
every lag n = T - k:

- ``norm``: ||ds_T/ds_k||_2, from ``verify.engine.chain_norms`` (within its stated error);
- ``bound``: (gamma lambda)^n, statement 9, gamma the activation's largest slope and lambda = ||W||_2;
- ``sharper_bound``: prod_{j=k+1}^{T} gamma_j lambda, gamma_j = max_i |phi'(a_{j,i})| the largest slope actually
  reached at step j (each factor diag(phi'(a_j)) W has 2-norm at most gamma_j lambda, by statements 7 and 8);

and the top Lyapunov exponents of the forward product J_n ... J_1 by Benettin's QR method, with the finite-time
top exponent (1/n) ln ||J_n ... J_1 q|| for n = 1 .. T.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from derive.errors import InputError

from .activations import Array, numeric
from .engine import chain_norms, run
from .figure import reproducible
from .sweep import MAX_STEPS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SUFFIXES = (".npy", ".npz", ".safetensors")
#: Each quantity's own names and PyTorch's nn.RNN names for it (layer 0), in the order they are looked for.
NAMES = {"W": ("W", "weight_hh_l0"), "U": ("U", "weight_ih_l0")}
BIASES = ("bias_ih_l0", "bias_hh_l0")
#: How many Lyapunov exponents the QR method follows (at most d).
LYAPUNOV_FRAME = 4


@dataclass(frozen=True, eq=False)
class Weights:
    """W, and U and b where the file has them; ``used`` says which tensors became which, in words."""

    W: Array
    U: Array | None
    b: Array | None
    used: tuple[str, ...]

    @property
    def dim(self) -> int:
        return int(self.W.shape[0])


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array of the file by name; a .npy file's one array is named W. One-line InputError when the file is not
    what its name says."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"--weights {path}", "not a weights file: the name must end in .npy, .npz or .safetensors")
    if not path.is_file():
        raise InputError(f"--weights {path}", "no such file")
    try:
        if suffix == ".npy":
            return {"W": np.load(path, allow_pickle=False)}
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
        from safetensors.numpy import load_file

        return dict(load_file(str(path)))
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise InputError(f"--weights {path}", f"not a {suffix} file ({_brief(error)})") from None
    except Exception as error:  # the safetensors reader's own error type for a malformed header
        if type(error).__name__ == "SafetensorError":
            raise InputError(f"--weights {path}", f"not a {suffix} file ({_brief(error)})") from None
        raise


def _brief(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 120 else text[:117] + "..."


def _key(arrays: dict[str, np.ndarray], names: tuple[str, ...], path: Path) -> str | None:
    """The one key that names this quantity: exactly one of ``names``, or a PyTorch name under a module prefix."""
    found = [key for key in arrays if key in names or any(key.endswith("." + name) for name in names if "_" in name)]
    if len(found) > 1:
        raise InputError(f"--weights {path}", f"ambiguous: {', '.join(sorted(found))} could each be {names[0]}")
    return found[0] if found else None


def _matrix(arrays: dict[str, np.ndarray], key: str, path: Path) -> Array:
    value = arrays[key]
    if value.dtype.kind not in "fiu":
        raise InputError(f"--weights {path}", f"{key} holds {value.dtype} values, not real numbers")
    value = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(value)):
        raise InputError(f"--weights {path}", f"{key} has entries that are not finite (NaN or infinite)")
    return value


def load_weights(path: Path | str) -> Weights:
    """W (and U, b) from a .npy, .npz or .safetensors file, with what was used; one-line InputError on a bad file."""
    path = Path(path)
    arrays = read_arrays(path)
    w_key = _key(arrays, NAMES["W"], path)
    if w_key is None:
        found = ", ".join(sorted(arrays)) or "nothing"
        raise InputError(f"--weights {path}", f"no recurrent weight matrix: expected a key W or weight_hh_l0 (nn.RNN); the file has {found}")
    W = _matrix(arrays, w_key, path)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise InputError(f"--weights {path}", f"{w_key} is {' x '.join(map(str, W.shape)) or 'a scalar'}, not a square matrix")
    d = W.shape[0]
    used = [f"W = {w_key} ({d} x {d})"]
    U = None
    if (u_key := _key(arrays, NAMES["U"], path)) is not None:
        U = _matrix(arrays, u_key, path)
        if U.ndim != 2 or U.shape[0] != d or U.shape[1] == 0:
            raise InputError(f"--weights {path}", f"{u_key} is {' x '.join(map(str, U.shape))}, not {d} x m to match W")
        used.append(f"U = {u_key} ({d} x {U.shape[1]})")
    b = None
    parts = [key for key in ("b", *(_key(arrays, (name,), path) for name in BIASES)) if key is not None and key in arrays]
    if "b" in parts and len(parts) > 1:
        raise InputError(f"--weights {path}", f"ambiguous bias: {', '.join(parts)}")
    if parts:
        vectors = [_matrix(arrays, key, path) for key in parts]
        for key, vector in zip(parts, vectors, strict=True):
            if vector.shape != (d,):
                raise InputError(f"--weights {path}", f"{key} has shape {vector.shape}, not ({d},) to match W")
        b = np.sum(vectors, axis=0)
        used.append(f"b = {' + '.join(parts)} ({d})")
    layers = sorted({key.rsplit("_l", 1)[-1] for key in arrays if "weight_hh_l" in key and not key.endswith("_reverse")})
    if len(layers) > 1:
        used.append(f"layer 0 of {len(layers)} (the bound is per layer)")
    return Weights(W, U, b, tuple(used))


def load_inputs(path: Path | str, weights: Weights) -> Array:
    """x_1 .. x_T from a .npy file of shape T x m, m the width of U; one-line InputError otherwise."""
    path = Path(path)
    if path.suffix.lower() != ".npy":
        raise InputError(f"--inputs {path}", "not an inputs file: the name must end in .npy (a T x m array)")
    if weights.U is None:
        raise InputError(f"--inputs {path}", "the weights file has no input weights (U or weight_ih_l0) for inputs to enter through")
    try:
        xs = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise InputError(f"--inputs {path}", f"not a .npy file ({_brief(error)})") from None
    m = weights.U.shape[1]
    if xs.ndim != 2 or xs.shape[1] != m or not 1 <= xs.shape[0] <= MAX_STEPS:
        raise InputError(f"--inputs {path}", f"shape {xs.shape}, not T x {m} with T from 1 to {MAX_STEPS}")
    if xs.dtype.kind not in "fiu" or not np.all(np.isfinite(xs)):
        raise InputError(f"--inputs {path}", "the inputs must be finite real numbers")
    return np.asarray(xs, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class NetworkReport:
    """What ``report`` found; arrays are by lag n = 1 .. T (entry n - 1), or by step n for the finite-time exponents."""

    weights: Weights
    activation: str
    inputs: str
    gamma: float
    lam: float
    rho: float
    norms: Array
    bound: Array
    sharper: Array
    step_slopes: Array  # gamma_j, j = 1 .. T
    lyapunov: Array  # the top exponents at n = T, per step, natural log
    finite_time: Array  # the top finite-time exponent at n = 1 .. T

    @property
    def steps(self) -> int:
        return len(self.norms)

    @property
    def regime(self) -> str:
        rate = self.gamma * self.lam
        if rate < 1.0:
            return f"vanishing: gamma lambda = {rate:.6g} < 1, so every ||ds_T/ds_k||_2 <= (gamma lambda)^(T-k) decays geometrically"
        if rate == 1.0:
            return "bounded: gamma lambda = 1, so every ||ds_T/ds_k||_2 <= 1"
        return f"not decided by the bound: gamma lambda = {rate:.6g} > 1 allows growth but does not make it happen"

    @property
    def measured(self) -> str:
        """What the top Lyapunov exponent says the norms do along these inputs."""
        top = float(self.lyapunov[0])
        trend = "decay" if top < 0 else "grow" if top > 0 else "neither grow nor decay"
        sign = "<" if top < 0 else ">" if top > 0 else "="
        return f"long products of the Jacobians {trend} along these inputs: top Lyapunov exponent {top:.3g} per step ({sign} 0)"

    def to_csv(self) -> str:
        lines = ["lag,norm,bound,sharper_bound"]
        lines += [f"{n + 1},{float(self.norms[n])!r},{float(self.bound[n])!r},{float(self.sharper[n])!r}" for n in range(self.steps)]
        return "\n".join(lines) + "\n"


def report(weights: Weights, xs: Array, activation: str = "tanh", inputs: str = "given") -> NetworkReport:
    """The measured chain, both bounds and the Lyapunov exponents of ``weights`` on inputs ``xs`` (T x m), from s_0 = 0."""
    act = numeric(activation)
    d, T = weights.dim, xs.shape[0]
    U = weights.U if weights.U is not None else np.zeros((d, xs.shape[1]))
    b = weights.b if weights.b is not None else np.zeros(d)
    W, s0 = weights.W, np.zeros(d)
    gamma, lam = act.gamma, float(np.linalg.norm(W, 2))
    rho = float(np.max(np.abs(np.linalg.eigvals(W))))
    norms = chain_norms(W, U, b, xs, s0, activation)[::-1]  # by lag 1 .. T
    lags = np.arange(1, T + 1)
    with np.errstate(over="ignore", divide="ignore"):
        bound = np.exp(lags * (np.log(gamma) + np.log(lam)))
        pre = run(W, U, b, xs, s0, activation)
        log_slopes = act.log_slope(pre)  # T x d: ln |phi'(a_j)|
        step_slopes = np.exp(np.max(log_slopes, axis=1))
        sharper = np.exp(np.cumsum(np.max(log_slopes, axis=1)[::-1]) + lags * np.log(lam))
    lyapunov, finite_time = benettin(act.derivative(pre), W)  # phi' with its sign: SiLU's and GELU's can be negative
    return NetworkReport(weights, activation, inputs, gamma, lam, rho, norms, bound, sharper, step_slopes, lyapunov, finite_time)


def benettin(slopes: Array, W: Array, frame: int = LYAPUNOV_FRAME) -> tuple[Array, Array]:
    """Benettin's QR method on J_n = diag(slopes[n-1]) W: the top min(frame, d) Lyapunov exponents at n = T (natural log,
    per step), and the top finite-time exponent (1/n) ln ||J_n ... J_1 q_1|| for every n, q_1 the first unit vector."""
    T, d = slopes.shape
    Q = np.eye(d)[:, : min(frame, d)]
    sums = np.zeros(Q.shape[1])
    top = np.empty(T)
    with np.errstate(divide="ignore"):
        for n in range(T):
            Q, R = np.linalg.qr((slopes[n][:, None] * W) @ Q)
            sums += np.log(np.abs(np.diag(R)))
            top[n] = sums[0] / (n + 1)
    return sums / T, top


def summary(r: NetworkReport) -> str:
    """The report as a two-column table, then the lags at a few points."""
    rows: list[tuple[str, str]] = [("used", "; ".join(r.weights.used)), ("activation", r.activation), ("inputs", r.inputs)]
    rows += [("d", str(r.weights.dim)), ("T", str(r.steps)), ("gamma", f"{r.gamma:.6g}"), ("lambda = ||W||_2", f"{r.lam:.6g} (largest singular value)")]
    rows += [("rho(W)", f"{r.rho:.6g} (spectral radius)"), ("gamma lambda", f"{r.gamma * r.lam:.6g}"), ("regime", r.regime), ("measured", r.measured)]
    rows += [("ln(gamma lambda)", f"{np.log(r.gamma * r.lam):.6g}")]
    spectrum = ", ".join(f"{x:.6g}" for x in sorted(r.lyapunov, reverse=True))
    rows += [("Lyapunov exponents (QR)", f"{spectrum} (the largest {len(r.lyapunov)}, per step, natural log, at n = T)")]
    rows += [(f"finite-time top exponent at n = {n}", f"{r.finite_time[n - 1]:.6g}") for n in _marks(r.steps)]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    lines += [
        "",
        "finite-time top exponent at n: (1/n) ln ||J_n ... J_1 e_1||_2, J_j = diag(phi'(a_j)) W the one-step Jacobian",
        "norm: ||ds_T/ds_k||_2 at lag T-k; bound: (gamma lambda)^(T-k), statement 9;",
        "sharper bound: the product over the lag's steps j of gamma_j lambda, gamma_j = max_i |phi'(a_{j,i})| the largest slope reached at step j",
        "",
        f"{'lag':>6}  {'norm':>12}  {'sharper bound':>13}  {'bound':>12}",
    ]
    lines += [f"{n:>6}  {r.norms[n - 1]:>12.6g}  {r.sharper[n - 1]:>13.6g}  {r.bound[n - 1]:>12.6g}" for n in _marks(r.steps)]
    return "\n".join(lines)


def _marks(T: int) -> list[int]:
    """A few lags to show: 1, 2, 5, 10, 20, 50, ... up to T, and T."""
    marks = [n for n in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if n < T]
    return [*marks, T]


def render(r: NetworkReport, formats: tuple[str, ...]) -> dict[str, bytes]:
    """The figure, as {format: bytes}: ln of the measured norm, the sharper bound and the bound against the lag; the same
    report, the same bytes."""
    return reproducible(lambda: _draw(r), formats)


def _draw(r: NetworkReport) -> Figure:
    from matplotlib.figure import Figure

    lags = np.arange(1, r.steps + 1)
    figure = Figure(figsize=(5.6, 3.9))
    axes = figure.add_subplot()
    with np.errstate(divide="ignore"):
        series: list[tuple[Array, dict[str, Any]]] = [
            (np.log(r.norms), {"color": "C0", "label": r"measured $\|\partial s_T/\partial s_k\|_2$"}),
            (np.log(r.sharper), {"color": "C1", "linestyle": "-.", "label": r"sharper $\prod_j \gamma_j \lambda$"}),
            (np.log(r.bound), {"color": "0.4", "linestyle": "--", "label": r"bound $(\gamma\lambda)^{T-k}$"}),
        ]
    for values, style_ in series:
        axes.plot(lags, values, **style_)
    axes.set_xlabel(r"lag $T-k$")
    axes.set_ylabel("natural log")
    axes.set_title(rf"your network: $d = {r.weights.dim}$, {r.activation}")
    axes.legend(loc="lower left")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure

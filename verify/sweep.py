"""A seeded random sweep of statement 9: ||ds_T/ds_k||_2 <= (gamma lambda)^(T-k) on random RNNs.

Each trial draws, from one ``np.random.default_rng(seed)`` and in this order, a
target c ~ Uniform[0.5, 1.5], G (d x d), U (d x 3), b (d) and xs (T x 3), all
standard Gaussian but b, which is scaled by 0.5; then W = (c / gamma) G / ||G||_2,
so that gamma lambda = c lands on both sides of 1 in equal measure, and s_0 = 0. The ratio norm/bound is taken in log space, so chains whose
norms under- or overflow a float are still compared exactly.

The tolerance is not typed in: for each lag n = T - k it is what rounding can add to the computed
ratio when the bound holds exactly (``bound_tolerance``). With N_hat the engine's norm, M the
magnitude || |J_T| ... |J_{k+1}| ||_2 and E_a, E_b the engine's ``error_bound`` (a) and (b),
N_hat <= ||P|| + E_a M and N_hat <= ||P|| + E_b prod ||J_j||_2 <= ||P|| + E_b (gamma lambda)^n.
lambda = ||W||_2 from LAPACK is within its assumed relative error ``svd_error(d)``, which enters
as S = (1 + svd_error)^n; M is at most the computed Frobenius magnitude e^{m} / (1 - E_F); and the
log-space ratio itself rounds by at most 4 u (|log N_hat| + n (|log gamma| + |log lambda| + 1)). So

    tol_n = e^{4 u (...)} (1 + 2u) min(S (1 + E_b), S + E_a e^{m - n log(gamma lambda)} / (1 - E_F)) - 1,

and a trial passes when max_k ratio_k <= 1 + max_k tol_k; the trial keeps that tolerance.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from derive import ConfigError

from .activations import NUMERIC, UNIT_ROUNDOFF, Array, numeric
from .claims import log_ratios
from .engine import chain_bounds_batched, error_bound, svd_error

#: Inputs per step (the columns of U and xs).
INPUT_DIM = 3
#: The range of the target c = gamma lambda in W = (c / gamma) G / ||G||_2.
SCALE_RANGE = (0.5, 1.5)


#: Upper bounds of a sweep, checked before any work: d (memory grows as d^2 and time as d^3 per step), T and the trials
#: (time grows linearly in each), and the seed (numpy takes any non-negative integer; 2^64 - 1 is ample).
MAX_WIDTH, MAX_STEPS, MAX_TRIALS, MAX_SEED = 512, 10_000, 100_000, 2**64 - 1


@dataclass(frozen=True)
class SweepConfig:
    """What a sweep draws: activation, d, T, the number of trials and the seed. Validated on construction."""

    activation: str = "tanh"
    dim: int = 8
    steps: int = 50
    trials: int = 200
    seed: int = 0

    def __post_init__(self) -> None:
        if self.activation not in NUMERIC:
            raise ConfigError("--activation", self.activation, sorted(NUMERIC))
        between("--dim", self.dim, 1, MAX_WIDTH)
        between("--steps", self.steps, 1, MAX_STEPS)
        between("--trials", self.trials, 1, MAX_TRIALS)
        between("--seed", self.seed, 0, MAX_SEED)


def between(option: str, value: object, low: int, high: int) -> None:
    """Raise ConfigError naming ``option`` unless ``value`` is an integer from ``low`` to ``high``."""
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(option, value, f"an integer from {low} to {high}")


@dataclass(frozen=True)
class Trial:
    """One random RNN: its scale c, gamma lambda, and how close its chain came to the bound."""

    trial: int
    scale: float
    gamma_lambda: float
    max_ratio: float  # max over k of ||ds_T/ds_k||_2 / (gamma lambda)^(T-k)
    lag_at_max: int  # the T-k where that maximum is reached
    log_norm_T: float  # log ||ds_T/ds_0||_2, the whole chain (lag T)
    tolerance: float  # max over k of tol_{T-k}: the trial passes when max_ratio <= 1 + tolerance

    @property
    def holds(self) -> bool:
        """Whether this trial's chain stayed under the bound, up to the rounding its tolerance states."""
        return self.max_ratio <= 1.0 + self.tolerance


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: its config and one row per trial, in the order they were drawn."""

    config: SweepConfig
    rows: tuple[Trial, ...]

    @property
    def cases(self) -> int:
        """The number of lag checks, trials x T (one per k = 0 .. T-1 of every trial)."""
        return self.config.trials * self.config.steps

    @property
    def max_ratio(self) -> float:
        """The largest norm/bound over every trial and lag; at most 1 when statement 9 holds."""
        return max(row.max_ratio for row in self.rows)

    @property
    def tolerance(self) -> float:
        """The largest tolerance any trial used (each trial is judged by its own; see ``bound_tolerance``)."""
        return max(row.tolerance for row in self.rows)

    @property
    def holds(self) -> bool:
        """Whether every trial stayed under the bound, up to its own tolerance."""
        return all(row.holds for row in self.rows)

    @property
    def above_one(self) -> int:
        """How many trials had gamma lambda > 1, where the bound grows with the lag."""
        return sum(row.gamma_lambda > 1.0 for row in self.rows)

    @property
    def gamma_lambda_range(self) -> tuple[float, float]:
        """The smallest and the largest gamma lambda drawn."""
        values = [row.gamma_lambda for row in self.rows]
        return min(values), max(values)

    def to_csv(self) -> str:
        """The config and every trial as CSV: a header, one row per trial, floats by repr (exact, byte-reproducible)."""
        config = (self.config.activation, self.config.dim, self.config.steps, self.config.seed)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(("activation", "dim", "steps", "seed", *(field.name for field in fields(Trial))))
        for row in self.rows:
            writer.writerow((*config, *(repr(getattr(row, field.name)) for field in fields(Trial))))
        return buffer.getvalue()


#: Trials evaluated together by the batched engine (one batched product per step).
BATCH = 64


def _draw(rng: np.random.Generator, config: SweepConfig, gamma: float) -> tuple[float, Array, Array, Array, Array]:
    """One trial's random draws, in the documented order: c, G, U, b, xs."""
    d, T = config.dim, config.steps
    scale = float(rng.uniform(*SCALE_RANGE))
    G = rng.standard_normal((d, d))
    W = (scale / gamma) * G / np.linalg.norm(G, 2)
    U = rng.standard_normal((d, INPUT_DIM))
    b = 0.5 * rng.standard_normal(d)
    xs = rng.standard_normal((T, INPUT_DIM))
    return scale, W, U, b, xs


def bound_tolerance(log_norms: Array, log_magnitudes: Array, eps: float, d: int, gamma: float, lam: float) -> Array:
    """tol_n for every k (lag n = T - k): what rounding can add to the computed norm/bound when the bound holds exactly.

    ``log_norms`` and ``log_magnitudes`` are one row of ``chain_bounds_batched``, ``eps`` its slope error,
    ``lam`` = ||W||_2 as LAPACK computed it. The formula and its reasons are in the module docstring.
    """
    u = UNIT_ROUNDOFF
    lags = len(log_norms) - np.arange(len(log_norms))
    log_rate = float(np.log(gamma) + np.log(lam))
    E_a = error_bound(d, lags, eps, 2, log_norms)
    E_b = error_bound(d, lags, eps, 2, log_norms, relative_to="product")
    E_F = error_bound(d, lags, eps, "fro", log_magnitudes)
    with np.errstate(over="ignore", invalid="ignore"):
        magnitude = np.where(E_F < 1.0, np.exp(log_magnitudes - lags * log_rate) / (1.0 - E_F), np.inf)
    S = np.exp(lags * np.log1p(svd_error(d)))
    componentwise = S + np.nan_to_num(E_a * magnitude, nan=np.inf)
    log_rounding = 4.0 * u * (np.abs(log_norms) + lags * (abs(np.log(gamma)) + abs(np.log(lam)) + 1.0))
    return np.asarray(np.exp(log_rounding) * (1.0 + 2.0 * u) * np.minimum(S * (1.0 + E_b), componentwise) - 1.0, dtype=np.float64)


def _trials(first: int, draws: list[tuple[float, Array, Array, Array, Array]], config: SweepConfig, gamma: float) -> list[Trial]:
    """A batch of trials through ``chain_bounds_batched``: entry k of each row is lag T-k."""
    scales, Ws, Us, bs, xss = (np.array(column) for column in zip(*draws, strict=True))
    bounds = chain_bounds_batched(Ws, Us, bs, xss, np.zeros(bs.shape), config.activation)
    lags = config.steps - np.arange(config.steps)
    rows = []
    for i, (scale, W) in enumerate(zip(scales, Ws, strict=True)):
        logs = bounds.log_norms[i]
        lam = float(np.linalg.norm(W, 2))
        ratios = log_ratios(logs, gamma, lam)
        worst = int(np.argmax(ratios))
        tolerance = float(np.max(bound_tolerance(logs, bounds.log_magnitudes[i], float(bounds.slope_errors[i]), config.dim, gamma, lam)))
        rows.append(Trial(first + i, float(scale), gamma * lam, float(np.exp(ratios[worst])), int(lags[worst]), float(logs[0]), tolerance))
    return rows


def sweep(activation: str, dim: int, steps: int, trials: int, seed: int, progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Check ||ds_T/ds_k||_2 <= (gamma lambda)^(T-k) on ``trials`` seeded random RNNs; same arguments, same result.

    Trials run in batches of BATCH through the batched engine; ``progress``, if given, is called as
    progress(done, trials) after every batch.
    """
    config = SweepConfig(activation, dim, steps, trials, seed)
    gamma = numeric(activation).gamma
    rng = np.random.default_rng(seed)
    rows: list[Trial] = []
    while len(rows) < trials:
        draws = [_draw(rng, config, gamma) for _ in range(min(BATCH, trials - len(rows)))]
        rows.extend(_trials(len(rows), draws, config, gamma))
        if progress is not None:
            progress(len(rows), trials)
    return SweepResult(config, tuple(rows))

"""A seeded random sweep of statement 9: ||ds_T/ds_k||_2 <= (gamma lambda)^(T-k) on random RNNs.

Each trial draws, from one ``np.random.default_rng(seed)`` and in this order, a
target c ~ Uniform[0.5, 1.5], G (d x d), U (d x 3), b (d) and xs (T x 3), all
standard Gaussian but b, which is scaled by 0.5; then W = (c / gamma) G / ||G||_2,
so that gamma lambda = c lands on both sides of 1 in equal measure, and s_0 = 0. The ratio norm/bound is taken in log space, so chains whose
norms under- or overflow a float are still compared exactly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from derive import ConfigError

from .activations import NUMERIC, Array, numeric
from .claims import log_ratios
from .engine import chain_log_norms_batched

#: Inputs per step (the columns of U and xs).
INPUT_DIM = 3
#: The range of the target c = gamma lambda in W = (c / gamma) G / ||G||_2.
SCALE_RANGE = (0.5, 1.5)
#: The bound holds when every ratio norm/bound is at most 1 + TOLERANCE (the engine certifies 1e-11).
TOLERANCE = 1e-9


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
        at_least("--dim", self.dim, 1)
        at_least("--steps", self.steps, 1)
        at_least("--trials", self.trials, 1)
        at_least("--seed", self.seed, 0)


def at_least(option: str, value: object, low: int) -> None:
    """Raise ConfigError naming ``option`` unless ``value`` is an integer >= ``low``."""
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
        raise ConfigError(option, value, f"an integer >= {low}")


@dataclass(frozen=True)
class Trial:
    """One random RNN: its scale c, gamma lambda, and how close its chain came to the bound."""

    trial: int
    scale: float
    gamma_lambda: float
    max_ratio: float  # max over k of ||ds_T/ds_k||_2 / (gamma lambda)^(T-k)
    lag_at_max: int  # the T-k where that maximum is reached
    log_norm_T: float  # log ||ds_T/ds_0||_2, the whole chain (lag T)


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
    def holds(self) -> bool:
        """Whether every lag check satisfied the bound, up to TOLERANCE."""
        return self.max_ratio <= 1.0 + TOLERANCE

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


def _trials(first: int, draws: list[tuple[float, Array, Array, Array, Array]], config: SweepConfig, gamma: float) -> list[Trial]:
    """A batch of trials through ``chain_log_norms_batched``: entry k of each row is lag T-k."""
    scales, Ws, Us, bs, xss = (np.array(column) for column in zip(*draws, strict=True))
    log_norms = chain_log_norms_batched(Ws, Us, bs, xss, np.zeros(bs.shape), config.activation)
    lags = config.steps - np.arange(config.steps)
    rows = []
    for i, (scale, W, logs) in enumerate(zip(scales, Ws, log_norms, strict=True)):
        lam = float(np.linalg.norm(W, 2))
        gamma_lambda = gamma * lam
        ratios = log_ratios(logs, gamma, lam)
        worst = int(np.argmax(ratios))
        rows.append(Trial(first + i, float(scale), gamma_lambda, float(np.exp(ratios[worst])), int(lags[worst]), float(logs[0])))
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

"""What a run derives: dimensions, lag, activations, notation. Validated on construction."""

from __future__ import annotations

from dataclasses import dataclass

from .activations import ACTIVATIONS
from .errors import ConfigError
from .notation import PRESETS

#: The largest sizes the symbolic checks are allowed to take on (their cost grows fast).
MAX_DIM = 6
MAX_LAG = 6

#: The report's sections, in order; derive builds the first five, verify the numeric ones.
DEFAULT_SECTIONS = ("conventions", "chain", "bound", "slopes", "worked", "evidence", "tightness", "refutations")


@dataclass(frozen=True)
class Config:
    """The explicit instance the checks run on (d, t-k, m) and what the report covers."""

    dim: int = 3
    lag: int = 3
    input_dim: int = 2
    activations: tuple[str, ...] = ("sigmoid", "tanh")
    notation: str = "default"
    sections: tuple[str, ...] = DEFAULT_SECTIONS

    def __post_init__(self) -> None:
        _in_range("--dim", self.dim, 1, MAX_DIM)
        _in_range("--lag", self.lag, 1, MAX_LAG)
        _in_range("input_dim", self.input_dim, 1, MAX_DIM)
        if not self.activations:
            raise ConfigError("--activation", "", sorted(ACTIVATIONS))
        for name in self.activations:
            if name not in ACTIVATIONS:
                raise ConfigError("--activation", name, sorted(ACTIVATIONS))
        if len(set(self.activations)) != len(self.activations):
            raise ConfigError("--activation", ",".join(self.activations), "each activation at most once")
        if not self.sections or len(set(self.sections)) != len(self.sections):
            raise ConfigError("--sections", ",".join(self.sections), "a non-empty list of distinct section names")
        if self.notation not in PRESETS:
            raise ConfigError("--notation", self.notation, sorted(PRESETS))


def _in_range(option: str, value: object, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(option, value, f"an integer from {low} to {high}")

"""What a run derives: dimensions, lag, activations, notation. Validated on construction."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

from .activations import ACTIVATIONS, REPORT_ACTIVATIONS
from .errors import ConfigError
from .notation import PRESETS, Notation

#: The largest sizes the symbolic checks are allowed to take on (their cost grows fast).
MAX_DIM = 6
MAX_LAG = 6

#: The report's sections, in order; derive builds the first five, verify the numeric ones.
DEFAULT_SECTIONS = (
    "conventions",
    "chain",
    "bound",
    "linear",
    "feedforward",
    "truncation",
    "slopes",
    "worked",
    "evidence",
    "tightness",
    "clipping",
    "lstm",
    "gates",
    "refutations",
)


@dataclass(frozen=True)
class Config:
    """The explicit instance the checks run on (d, t-k, m) and what the report covers."""

    dim: int = 3
    lag: int = 3
    input_dim: int = 2
    activations: tuple[str, ...] = ("sigmoid", "tanh")
    notation: str | Notation = "default"  # a preset's name, or a course's own (derive.notation.from_toml)
    sections: tuple[str, ...] = DEFAULT_SECTIONS

    def __post_init__(self) -> None:
        for name, option, high in (("dim", "--dim", MAX_DIM), ("lag", "--lag", MAX_LAG), ("input_dim", "input_dim", MAX_DIM)):
            object.__setattr__(self, name, _in_range(option, getattr(self, name), 1, high))
        object.__setattr__(self, "activations", _names("--activation", self.activations, "('tanh',)"))
        object.__setattr__(self, "sections", _names("--sections", self.sections, "('chain', 'bound')"))
        if not self.activations:
            raise ConfigError("--activation", "", sorted(ACTIVATIONS))
        for name in self.activations:
            if name not in ACTIVATIONS:
                raise ConfigError("--activation", name, sorted(ACTIVATIONS))
            if name not in REPORT_ACTIVATIONS:
                raise ConfigError(
                    "--activation",
                    name,
                    f"{', '.join(REPORT_ACTIVATIONS)} in the report; {name}'s gamma is in --list-activations, and python -m verify covers it",
                )
        if len(set(self.activations)) != len(self.activations):
            raise ConfigError("--activation", ",".join(self.activations), "each activation at most once")
        if not self.sections or len(set(self.sections)) != len(self.sections):
            raise ConfigError("--sections", ",".join(self.sections), "a non-empty list of distinct section names")
        if not isinstance(self.notation, Notation) and (not isinstance(self.notation, str) or self.notation not in PRESETS):
            raise ConfigError("--notation", self.notation, [*sorted(PRESETS), "a TOML file"])


def _in_range(option: str, value: object, low: int, high: int) -> int:
    """``value`` as an int if it is an integer (numpy's too, not a bool or a float) from ``low`` to ``high``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not low <= int(value) <= high:
        raise ConfigError(option, value, f"an integer from {low} to {high}")
    return int(value)


def _names(option: str, value: object, example: str) -> tuple[str, ...]:
    """A tuple or list of names as a tuple; a single string is refused (it would be read letter by letter)."""
    if not isinstance(value, tuple | list) or not all(isinstance(name, str) for name in value):
        raise ConfigError(option, value, f"a tuple of names, such as {example}")
    return tuple(value)

"""The notation table: every symbol the report names, as LaTeX, in one place.

A course can match its own notes by choosing (or adding) a preset; the SymPy
objects of the derivation are named from the table, and the printer prints
those names verbatim, so a preset changes every formula at once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .errors import ConfigError


@dataclass(frozen=True)
class Notation:
    """LaTeX for each role in s_j = phi(a_j), a_j = W s_{j-1} + U x_j + b, loss L_t."""

    state: str = "s"
    preactivation: str = "a"
    recurrent_weight: str = "W"
    input_weight: str = "U"
    bias: str = "b"
    input: str = "x"
    activation: str = r"\varphi"
    loss: str = "L"
    dim: str = "d"
    input_dim: str = "m"
    gamma: str = r"\gamma"
    lam: str = r"\lambda"
    variable: str = "z"

    def __post_init__(self) -> None:
        for field in fields(self):
            if not getattr(self, field.name).strip():
                raise ConfigError(f"notation.{field.name}", getattr(self, field.name), "a non-empty LaTeX string")

    def indexed(self, role: str, index: object) -> str:
        """The LaTeX name of a role with a subscript, e.g. ``indexed("state", "t-1")`` is ``s_{t-1}``."""
        return f"{getattr(self, role)}_{{{index}}}"

    @property
    def activation_prime(self) -> str:
        """The name of the activation's derivative, e.g. ``\\sigma'``."""
        return self.activation + "'"


PRESETS: dict[str, Notation] = {
    "default": Notation(),
}


def notation(preset: str) -> Notation:
    """The notation preset called ``preset``."""
    try:
        return PRESETS[preset]
    except KeyError:
        raise ConfigError("--notation", preset, sorted(PRESETS)) from None

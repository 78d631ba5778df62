"""gradproof's symbolic side: derive, check and typeset why RNN gradients vanish or explode.

``build(config)`` assembles the report as a format-neutral ``Document``; every
statement is checked while it is built, and a failed check raises
``CheckFailed`` naming the statement. ``statement(label)`` returns the SymPy
object the report prints for a label, and ``check_statement(label, math)``
runs that statement's check on any SymPy object, so a course can test its own
variant of a statement.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from .activations import ACTIVATIONS, derive_gamma, derive_gamma_of, gamma
from .config import Config
from .errors import CheckFailed, ConfigError, GradproofError, InputError, PathError
from .expression import ExpressionError, activation_from_formula, parse_formula
from .notation import PRESETS, Notation, notation
from .version import RELEASE_DATE, __version__

if TYPE_CHECKING:
    import sympy as sp

    from .document import CheckResult, Document

__all__ = [
    "RELEASE_DATE",
    "__version__",
    "ACTIVATIONS",
    "PRESETS",
    "CheckFailed",
    "Config",
    "ConfigError",
    "ExpressionError",
    "GradproofError",
    "InputError",
    "Notation",
    "PathError",
    "activation_from_formula",
    "build",
    "check_statement",
    "derive_gamma",
    "derive_gamma_of",
    "gamma",
    "notation",
    "parse_formula",
    "statement",
]


def build(config: Config | None = None, sections: tuple[str, ...] | None = None, progress: Any = None) -> Document:
    """The checked report for ``config`` as a Document; raises CheckFailed naming a statement that fails."""
    from .app import build_document  # the composition root: it also asks verify for its sections

    chosen = _config(config)
    if sections is not None:
        chosen = dataclasses.replace(chosen, sections=sections)  # validated like every Config
    return build_document(chosen, None, progress)


def statement(label: str, config: Config | None = None) -> sp.Basic:
    """The SymPy object the report prints for ``label`` (bptt-sum, product, diagonal, weight, per-step, gamma, ...)."""
    from .app import printed_statement

    return printed_statement(label, _config(config))


def check_statement(label: str, math: sp.Basic, config: Config | None = None) -> CheckResult:
    """Run the check of the statement ``label`` on ``math``; raises CheckFailed naming the statement when it does not hold."""
    import sympy as sp

    from .app import check

    if not isinstance(math, sp.Basic):
        raise ConfigError("math", math, "a SymPy expression, such as derive.statement(label) changed")
    return check(label, math, _config(config))


def _config(config: object) -> Config:
    """``config`` if it is a Config, the default for None; ConfigError naming the argument otherwise."""
    if config is None:
        return Config()
    if not isinstance(config, Config):
        raise ConfigError("config", config, "a derive.Config")
    return config

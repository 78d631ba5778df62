"""gradproof's symbolic side: derive, check and typeset why RNN gradients vanish or explode.

``build(config)`` runs the derivation top to bottom and returns a frozen
``Derivation``; every symbolic step is checked while it is built, and a failed
check raises ``CheckFailed`` naming the step. ``render`` turns a derivation
into the LaTeX and Markdown files of output/.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from .activations import ACTIVATIONS, derive_gamma, gamma
from .bound import cited_steps, gamma_step, worked_numbers
from .chain import Statements, chain_steps
from .config import Config
from .errors import CheckFailed, ConfigError, GradproofError
from .model import General, Instance
from .notation import PRESETS, Notation, notation
from .render import OUTPUTS, render
from .steps import Derivation, Prose

__all__ = [
    "ACTIVATIONS",
    "OUTPUTS",
    "PRESETS",
    "CheckFailed",
    "Config",
    "ConfigError",
    "Derivation",
    "GradproofError",
    "Notation",
    "build",
    "gamma",
    "render",
]


def conventions(model: General) -> tuple[Prose, ...]:
    """The conventions the report states once, in the notation of ``model``."""
    n, W = model.notation, model.W
    u, v = sp.Symbol("u"), sp.Symbol("v")
    return (
        (
            "Model: ",
            sp.Eq(model.s_j, model.elementwise(model.phi, model.a_j), evaluate=False),
            " with ",
            sp.Eq(model.a_j, model.preactivation_display, evaluate=False),
            ", where ",
            model.phi,
            " acts on each entry and ",
            model.s_j,
            " has ",
            model.d,
            " entries.",
        ),
        (
            "Numerator layout: for vectors ",
            u,
            " and ",
            v,
            ", the derivative of ",
            u,
            " by ",
            v,
            " is the matrix whose row i, column j entry is the derivative of entry i of ",
            u,
            " by entry j of ",
            v,
            ".",
        ),
        (
            "Norms are induced (operator) norms, the 2-norm unless said otherwise; ",
            sp.Symbol(n.lam),
            " is the 2-norm of ",
            W,
            ", its largest singular value, not its spectral radius.",
        ),
        (sp.Symbol(n.gamma), " is the supremum over the reals of the absolute slope of the activation ", model.phi, "."),
    )


def build(config: Config | None = None, progress: Callable[[str], None] | None = None) -> Derivation:
    """Derive and check statements 1 to 10 for ``config``; raises CheckFailed naming a step that fails.

    ``progress``, if given, is called with a line before each check (they can take minutes for large d).
    """
    config = config or Config()
    say = progress or (lambda message: None)
    model = General(notation(config.notation))
    instance = Instance(model, config.dim, config.input_dim)
    statements = Statements(model)
    pairs = (model.generic, *(model.concrete(name) for name in config.activations))
    say(f"deriving gamma (statement 6) for {', '.join(config.activations)}")
    gammas = tuple(derive_gamma(name, model.notation.variable) for name in config.activations)
    product = statements.product.rhs
    steps = (
        *chain_steps(statements, instance, pairs, config.lag, say),
        gamma_step(model, gammas),
        *cited_steps(model, product),
    )
    worked = worked_numbers(product, statements.idx.t, statements.idx.k)
    return Derivation(config, model.notation, conventions(model), steps, gammas, worked)

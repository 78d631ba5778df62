"""How each activation's gamma was found: its slope, the critical points of the slope, the limits at infinity."""

from __future__ import annotations

import sympy as sp

from ..activations import ACTIVATIONS, derive_gamma
from ..document import Paragraph, Section
from . import BuildContext

KEY = "slopes"


def build(context: BuildContext) -> Section:
    n = context.model.notation
    return Section(KEY, "How the slopes were found", tuple(_activation(name, n.variable, n.gamma) for name in context.config.activations))


def _activation(name: str, variable: str, gamma_name: str) -> Paragraph:
    g = derive_gamma(name, variable)
    z, symbol = g.variable, ACTIVATIONS[name].symbol
    f = sp.Function(symbol)
    text: list[object] = [
        sp.Eq(f(z), g.phi, evaluate=False),
        " has slope ",
        sp.Eq(sp.Function(symbol + "'")(z), g.first, evaluate=False),
        " and second derivative ",
        sp.Eq(sp.Function(symbol + "''")(z), g.second, evaluate=False),
        ". ",
    ]
    for c in g.critical:
        kind = "a maximum" if c.is_maximum else "no maximum"
        text += [
            "The second derivative vanishes at ",
            sp.Eq(z, c.point, evaluate=False),
            ", where the third derivative is ",
            c.third,
            ", so the slope has ",
            kind,
            " there, of value ",
            c.value,
            ", and ",
            sp.Eq(f(c.point), c.output, evaluate=False),
            ". ",
        ]
    low, high = g.limits
    text += ["The absolute slope tends to ", low, " as ", sp.Symbol(rf"{z} \to -\infty"), " and to ", high, " as ", sp.Symbol(rf"{z} \to +\infty"), ", so "]
    gamma = sp.Symbol(f"{gamma_name}_{{{symbol}}}")
    text += [sp.Eq(gamma, g.gamma, evaluate=False)]
    if g.argmax is not None:
        text += [", attained at ", sp.Eq(z, g.argmax, evaluate=False)]
    text += ["."]
    return Paragraph(tuple(text), ACTIVATIONS[name].title.capitalize())

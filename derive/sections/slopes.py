"""How each activation's gamma was found: its slope, the critical points of the slope, the limits at infinity."""

from __future__ import annotations

import sympy as sp

from ..activations import ACTIVATIONS, derive_gamma
from ..document import Display, Paragraph, Section
from ..expressions import Conjunction
from . import BuildContext

KEY = "slopes"


def build(context: BuildContext) -> Section:
    n = context.model.notation
    blocks = [block for name in context.config.activations for block in _activation(name, n.variable, n.gamma)]
    return Section(KEY, "How the slopes were found", tuple(blocks))


def reader_form(expr: sp.Expr, like: sp.Expr, z: sp.Symbol) -> sp.Expr:
    """``expr`` as a reader would write it: the shortest of its plain and factored forms that uses the exponentials
    ``like`` uses (the sigmoid's second derivative in e^-z, as its slope is, not SymPy's factored e^z)."""
    u = sp.Dummy("u", positive=True)
    candidates = [expr, sp.factor(expr)]
    for power in like.atoms(sp.exp):
        candidates.append(sp.factor(expr.subs(power, u)).subs(u, power))
    allowed = like.atoms(sp.exp)
    fitting = [c for c in candidates if c.atoms(sp.exp) <= allowed] or candidates
    return min(fitting, key=sp.count_ops)


def _activation(name: str, variable: str, gamma_name: str) -> tuple[Paragraph, Display, Paragraph]:
    """The activation, its slope and second derivative displayed (they are too long for a line of text), then the argument."""
    g = derive_gamma(name, variable)
    z, symbol = g.variable, ACTIVATIONS[name].symbol
    f = sp.Function(symbol)
    # tanh is its own formula: "tanh(z) = tanh(z)" would say nothing, so only a defined function shows its definition.
    defined = not (g.phi.args == (z,) and type(g.phi).__name__ == symbol.lstrip("\\"))
    opening: list[object] = [sp.Eq(f(z), g.phi, evaluate=False) if defined else f(z), " has slope and second derivative"]
    shown = (("'", g.first), ("''", reader_form(sp.diff(g.phi, z, 2), g.first, z)))
    first, second = (sp.Eq(sp.Function(symbol + prime)(z), value, evaluate=False) for prime, value in shown)
    text: list[object] = []
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
    if low == high:  # one limit, said once
        text += ["The absolute slope tends to ", low, " as ", sp.Symbol(rf"{z} \to \pm\infty"), ", so "]
    else:
        text += ["The absolute slope tends to ", low, " as ", sp.Symbol(rf"{z} \to -\infty"), " and to ", high, " as ", sp.Symbol(rf"{z} \to +\infty"), ", so "]
    gamma = sp.Symbol(f"{gamma_name}_{{{symbol}}}")
    text += [sp.Eq(gamma, g.gamma, evaluate=False)]
    if g.argmax is not None:
        text += [", attained at ", sp.Eq(z, g.argmax, evaluate=False)]
    text += ["."]
    return Paragraph((*opening, ":"), ACTIVATIONS[name].title.capitalize()), Display(Conjunction(first, second)), Paragraph(tuple(text))

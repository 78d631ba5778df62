"""How each activation's gamma was found: its slope, the critical points of the slope, the limits at infinity."""

from __future__ import annotations

import sympy as sp

from ..activations import ACTIVATIONS, Root, derive_gamma
from ..config import Config
from ..document import Display, Paragraph, Ref, Section, Table
from ..expressions import Conjunction
from ..notation import notation
from . import BuildContext

KEY = "slopes"

#: One row of the registry's table: name, phi(z), gamma (or its enclosure's midpoint), where it is attained, the kinks,
#: and the critical points without a closed form (each a root of phi'' = 0, enclosed, with phi' there rewritten).
Row = tuple[str, sp.Expr, sp.Expr, bool, tuple[sp.Basic, ...], tuple[tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr], ...], tuple[Root, ...]]


def prepare(config: Config) -> tuple[Row, ...]:
    """gamma derived for every registered activation the report does not cover in full (about a second of SymPy and balls,
    run beside the build): the values of the table that closes the section."""
    rows = []
    for name in ACTIVATIONS:
        if name in config.activations:
            continue
        g = derive_gamma(name, notation(config.notation).variable)
        kinks = tuple((k.point, k.left, k.right, k.value) for k in g.kinks)
        rows.append((name, g.phi, g.gamma, g.exact, g.attaining(), kinks, g.roots))
    return tuple(rows)


def build(context: BuildContext) -> Section:
    n = context.model.notation
    blocks: list[object] = [block for name in context.config.activations for block in _activation(name, n.variable, n.gamma)]
    rows = context.prepared(KEY, prepare)
    if rows:
        blocks += list(_registry(rows, n.variable, n.gamma))
    return Section(KEY, "How the slopes were found", tuple(blocks))  # type: ignore[arg-type]


def _attained(places: tuple[sp.Basic, ...], z: sp.Symbol, exact: bool) -> tuple[object, ...]:
    if not places:
        return ("no: a limit",)
    points = {p for p in places if not isinstance(p, sp.Interval)}
    shown: list[object] = []
    for place in places:
        if not isinstance(place, sp.Interval) and any(isinstance(i, sp.Interval) and place in (i.start, i.end) for i in places):
            continue  # a join that attains it, shown with its interval: z >= 0, not z > 0 and z = 0
        if shown:
            shown.append(", ")
        if isinstance(place, sp.Interval) and (place.start in points or place.end in points):
            a, b = place.start, place.end
            shown.append(sp.Ge(z, a) if b.is_infinite else sp.Le(z, b) if a.is_infinite else sp.Symbol(rf"{sp.latex(a)} \le {z} \le {sp.latex(b)}"))
        elif isinstance(place, sp.Interval):
            a, b = place.start, place.end
            if a.is_infinite and b.is_infinite:
                shown.append("everywhere")
            elif b.is_infinite:
                shown.append(sp.Gt(z, a))
            elif a.is_infinite:
                shown.append(sp.Lt(z, b))
            else:
                shown.append(sp.Symbol(f"{sp.latex(a)} < {z} < {sp.latex(b)}"))
        else:
            shown.append(sp.Eq(z, place, evaluate=False) if exact else sp.Symbol(rf"{z} \approx {sp.Float(place, 5)}"))
    return tuple(shown)


def _kinks(kinks: tuple[tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr], ...], z: sp.Symbol) -> tuple[object, ...]:
    shown: list[object] = []
    for point, left, right, value in kinks:
        if shown:
            shown.append(" and ")
        shown += [sp.Eq(z, point, evaluate=False), " (slopes ", left, " and ", right, "; ", value, " used)"]
    return tuple(shown)


def _without_closed_form(rows: tuple[Row, ...], z: sp.Symbol, gamma_name: str) -> tuple[object, ...]:
    """A sentence for each activation of the table whose slope has critical points without a closed form: the equation
    they solve, where its roots lie, and gamma as the derivation rewrote phi' at the root that attains it."""
    sentences: list[object] = []
    for name, _, _, _, places, _, roots in rows:
        if not roots or not places:
            continue
        top = min(roots, key=lambda r: abs((r.lo + r.hi) / 2 - places[0]))  # the argmax is this root's midpoint, to 20 digits
        variable = next(iter(top.slope_form.free_symbols | top.equation.free_symbols))
        star = sp.Symbol(f"{z}^*")
        mids = [sp.Float((r.lo + r.hi) / 2, 5) for r in roots]
        symmetric = len(roots) == 2 and roots[0].lo <= -roots[1].lo and -roots[1].hi <= roots[0].hi  # enclosures mirrored
        where = rf"\pm {abs(mids[0])}" if symmetric else ", ".join(str(m) for m in mids)
        sentences += [
            " The slope of ",
            sp.Symbol(ACTIVATIONS[name].symbol),
            " has its critical points at the two roots " if len(roots) == 2 else " has its critical points at the roots ",
            sp.Symbol(rf"{z} \approx {where}"),
            " of ",
            _collected(top.equation.subs(variable, z), z),
            ", which has no closed form; the ",
            "positive" if top.lo > 0 else "negative" if top.hi < 0 else "maximising",
            " one, ",
            star,
            ", isolated in ball arithmetic, gives the maximum ",
            sp.Eq(sp.Symbol(gamma_name), top.slope_form.subs(variable, star), evaluate=False),
            ", shown to five digits.",
        ]
    return tuple(sentences)


def _collected(equation: sp.Eq, z: sp.Symbol) -> sp.Eq:
    """The equation as a e^z = b where it is linear in e^z (SiLU's: (z - 2) e^z = z + 2), else as it stands."""
    parts = sp.collect(sp.expand(equation.lhs - equation.rhs), sp.exp(z), evaluate=False)
    if set(parts) != {sp.exp(z), sp.Integer(1)}:
        return equation
    return sp.Eq(sp.Mul(parts[sp.exp(z)], sp.exp(z), evaluate=False), -parts[sp.Integer(1)], evaluate=False)


def _registry(rows: tuple[Row, ...], variable: str, gamma_name: str) -> tuple[Paragraph, Table, Paragraph]:
    """The other activations of the registry: phi, gamma, where it is attained, the kinks (one-sided slopes, the value used)."""
    z = sp.Symbol(variable, real=True)
    intro = Paragraph(
        (
            "The same derivation, piece by piece where the formula has kinks, gives ",
            sp.Symbol(gamma_name),
            " for the other activations gradproof knows; the derive command's list-activations option prints them. Only the "
            "sigmoid and tanh are checked when this report is built, by ",
            Ref("gamma"),
            "; the values below come from the same code and are checked by the test suite against an independent enclosure and a fine grid.",
            *_without_closed_form(rows, z, gamma_name),
        ),
        "The other activations",
    )
    table = Table(
        (("activation",), (sp.Symbol(rf"\varphi({z})"),), (sp.Symbol(gamma_name),), ("attained",)),
        tuple(
            ((name.replace("_", " "),), (phi,), (gamma if exact else sp.Symbol(rf"\approx {sp.Float(gamma, 5)}"),), _attained(places, z, exact))
            for name, phi, gamma, exact, places, _, _ in rows
        ),
        "llll",
    )
    kinked: list[object] = []
    for name, _, _, _, _, kinks, _ in rows:
        if kinks:
            kinked += [*(("; ",) if kinked else ()), name.replace("_", " "), " at ", *_kinks(kinks, z)]
    after = Paragraph(
        (
            "The kinks, each with its one-sided slopes and the value PyTorch uses there: ",
            *kinked,
            ". At a kink the slope does not exist; for these activations PyTorch uses one of the two one-sided slopes. Both are "
            "limits of slopes elsewhere, so any value between them (a Clarke subgradient) is at most ",
            sp.Symbol(gamma_name),
            " in size, and the bound holds for every such choice. ELU (with ",
            sp.Eq(sp.Symbol(r"\alpha"), 1, evaluate=False),
            ") and softsign are differentiable where their pieces meet, with slope ",
            sp.Integer(1),
            ", so they have no kink. Softplus's slope tends to ",
            sp.Integer(1),
            " and never reaches it: the supremum is a limit, and no network attains the bound.",
        )
    )
    return intro, table, after


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

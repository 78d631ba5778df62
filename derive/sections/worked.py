"""The worked numbers of the source material, computed exactly; the factor counts read from the printed product."""

from __future__ import annotations

import sympy as sp

from ..activations import derive_gamma
from ..document import Paragraph, Section, Table
from ..model import difference
from . import BuildContext

KEY = "worked"


def build(context: BuildContext) -> Section:
    st = context.statements
    g = derive_gamma("sigmoid").gamma
    lam = st.lam
    rows: list[tuple[tuple[object, ...], sp.Expr, sp.Expr]] = [
        (("sigmoid, two steps, ", sp.Eq(lam, 1)), sp.Pow(g, 2, evaluate=False), g**2),
        (("sigmoid, five steps, ", sp.Eq(lam, 1)), sp.Pow(g, 5, evaluate=False), g**5),
        (("ten factors of ", sp.Rational(1, 2), " (vanishing)"), sp.Pow(sp.Rational(1, 2), 10, evaluate=False), sp.Rational(1, 2) ** 10),
        (("ten factors of ", 2, " (exploding)"), sp.Pow(sp.Integer(2), 10, evaluate=False), sp.Integer(2) ** 10),
    ]
    t, k = st.idx.t, st.idx.k
    for tt, kk in ((4, 1), (20, 1)):
        count = sp.Integer(len(st.product.rhs.factors({t: tt, k: kk})))
        rows.append((("factors in ", context.ref("product"), " for ", sp.Eq(t, tt), ", ", sp.Eq(k, kk)), difference(sp.Integer(tt), sp.Integer(kk)), count))
    table = Table(
        (("case",), ("expression",), ("value",)),
        tuple((description, (expr,), (value if value.is_Integer else sp.Eq(value, _decimal(value), evaluate=False),)) for description, expr, value in rows),
        "lll",
    )
    intro = Paragraph(
        (
            "The numbers the course material works through, computed exactly. The sigmoid rows are the bound ",
            sp.Pow(st.gamma * lam, difference(t, k), evaluate=False),
            " of ",
            context.ref("bound"),
            " with ",
            sp.Eq(st.gamma, g),
            " when ",
            sp.Eq(lam, 1),
            ".",
        )
    )
    return Section(KEY, "Worked numbers", (intro, table))


def _decimal(value: sp.Rational) -> sp.Float:
    """The value as a decimal, exact (every worked value has a terminating expansion: its denominator is a power of 2)."""
    q = int(value.q)
    if q & (q - 1):
        raise ValueError(f"{value} has no short terminating decimal expansion")
    digits = q.bit_length() - 1  # 1/2^n has n decimal places
    return sp.Float(value, digits + 1)

"""The LSTM beside the plain network, in numbers: the chain over a lag along each, enclosed in ball arithmetic (``verify.gates``)."""

from __future__ import annotations

import sympy as sp

from derive.config import Config
from derive.document import Paragraph, Section, Table
from derive.expressions import Jacobian, Norm
from derive.sections import BuildContext

from ..gates import DIM, FORGET_BIAS, LAGS, RATE, Row, compare

KEY = "gates"


def prepare(config: Config) -> list[Row]:
    """The enclosures (about a second of ball arithmetic, run beside the build)."""
    return compare(LAGS)


def _interval(bounds: tuple[float, float]) -> sp.Basic:
    low, high = bounds
    return sp.Float(low, 4) if f"{low:.4g}" == f"{high:.4g}" else sp.Interval(sp.Float(low, 4), sp.Float(high, 4))


def build(context: BuildContext) -> Section:
    st, m = context.statements, context.model
    rows = context.prepared(KEY, prepare)
    c_t, c_k = sp.Symbol("c_t"), sp.Symbol("c_k")
    lag = sp.Symbol("t - k")
    intro = Paragraph(
        (
            "In numbers, for ",
            sp.Eq(m.d, DIM),
            ": a plain ",
            sp.Symbol(r"\tanh"),
            " network at its bound, with ",
            sp.Eq(st.gamma * st.lam, sp.Rational(str(RATE))),
            " (the witness of ",
            context.ref("bound"),
            ", which decays exactly as fast as the bound allows), and an LSTM with seeded weights, a forget bias of ",
            sp.Integer(int(FORGET_BIAS)),
            " (its gates start near ",
            sp.Symbol(r"\sigma(4) \approx 0.98"),
            ") and seeded inputs. Each entry is enclosed in ball arithmetic and printed to four digits; the LSTM's Jacobians are "
            "formed by the chain rule through its explicit step.",
        )
    )
    table = Table(
        (
            (lag,),
            ("plain ", Norm(Jacobian(st.state(st.idx.t), st.state(st.idx.k)))),
            ("LSTM ", Norm(Jacobian(c_t, c_k))),
            ("cell path ", sp.Symbol(r"\max_i \prod_{j} f_{j,i}")),
        ),
        tuple(((sp.Integer(r.lag),), (_interval(r.plain),), (_interval(r.cell),), (_interval(r.path),)) for r in rows),
        "rrrr",
    )
    last = rows[-1]
    cells = [r.cell[1] for r in rows]
    after = Paragraph(
        (
            "Over ",
            sp.Integer(last.lag),
            " steps the plain network's chain falls to about ",
            sp.Float(last.plain[1], 2),
            ", while the LSTM's ",
            Norm(Jacobian(c_t, c_k)),
            " stays between ",
            sp.Float(min(cells), 2),
            " and ",
            sp.Float(max(cells), 2),
            ": the cell path alone keeps ",
            sp.Float(last.path[1], 2),
            ", and the paths through ",
            sp.Symbol("h"),
            " add the rest. Along the cell there is no weight matrix and no squashing slope, only the forget gates.",
        )
    )
    return Section(KEY, "The LSTM beside the plain network", (intro, table, after))

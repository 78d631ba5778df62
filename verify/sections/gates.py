"""The LSTM beside the plain network, in numbers: the chain over a lag along each, enclosed in ball arithmetic (``verify.gates``)."""

from __future__ import annotations

import math

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
            ", which attains the bound at every lag: it decays as slowly as the bound allows), and an LSTM with seeded weights, a forget bias of ",
            sp.Integer(int(FORGET_BIAS)),
            " (its gates start near ",
            sp.Symbol(rf"\sigma({int(FORGET_BIAS)}) \approx {1 / (1 + math.exp(-FORGET_BIAS)):.2f}"),
            ") and seeded inputs. The LSTM column is the ",
            sp.Symbol("c"),
            " block of the chain, with ",
            sp.Symbol("h_k"),
            " held fixed; the cell path is ",
            sp.Symbol(r"\max_i \prod_{j=k+1}^{t} f_{j,i}"),
            ", the norm of the forget gates' product alone. Each entry is enclosed in ball arithmetic and printed to four "
            "digits; the LSTM's Jacobians are formed by the chain rule through its explicit step.",
        )
    )
    table = Table(
        (
            (lag,),
            ("plain ", Norm(Jacobian(st.state(st.idx.t), st.state(st.idx.k)))),
            ("LSTM ", Norm(Jacobian(c_t, c_k))),
            ("cell path",),
        ),
        tuple(((sp.Integer(r.lag),), (_interval(r.plain),), (_interval(r.cell),), (_interval(r.path),)) for r in rows),
        "rrrr",
    )
    last = rows[-1]
    cells = [r.cell[1] for r in rows]
    after = Paragraph(
        (
            *(("At lag ", sp.Integer(1), " the two LSTM columns coincide, since ", st["lstm"].args[0], ". ") if rows[0].lag == 1 else ()),
            "At the lags shown, the plain network's chain falls to about ",
            sp.Float(last.plain[1], 2),
            " by lag ",
            sp.Integer(last.lag),
            ". The LSTM's ",
            Norm(Jacobian(c_t, c_k)),
            " ranges from ",
            sp.Float(min(cells), 3),
            " to ",
            sp.Float(max(cells), 3),
            " and is not monotone",
            *((": at lag ", sp.Integer(last.lag), " it exceeds ", sp.Integer(1)) if last.cell[0] > 1 else ()),
            ". The cell path alone has norm ",
            sp.Float(last.path[1], 2),
            " there; most of the rest comes from the paths through ",
            sp.Symbol("h"),
            ", which do involve the weight matrices and the gates' slopes. The cell path slows the decay; it does not prevent either decay or growth.",
        )
    )
    return Section(KEY, "The LSTM beside the plain network", (intro, table, after))

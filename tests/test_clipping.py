"""The clipping statement: the check passes the printed statement and stops every mutation of it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sympy as sp

import derive
from derive.expressions import Chain, Conjunction, Norm

PRINTED = derive.statement("clipping")
DEFINITION, CAPPED, DIRECTION, UNCHANGED = PRINTED.args
CLIPPED, RULE = DEFINITION.lhs, DEFINITION.rhs
G = next(m for m in RULE.atoms(sp.MatrixSymbol) if m != CLIPPED)
C = next(s for s in RULE.free_symbols if isinstance(s, sp.Symbol) and s.name == "c")


def _with(definition: sp.Basic = DEFINITION, capped: sp.Basic = CAPPED, direction: sp.Basic = DIRECTION, unchanged: sp.Basic = UNCHANGED) -> Conjunction:
    return Conjunction(definition, capped, direction, unchanged)


def test_the_printed_statement_passes() -> None:
    result = derive.check_statement("clipping", PRINTED)
    assert result.comparisons >= 12 and result.summary[0] == "in ball arithmetic, on "


MUTATIONS: dict[str, Callable[[], Conjunction]] = {
    "max for min in the rule": lambda: _with(definition=sp.Eq(CLIPPED, G * sp.Max(1, C / Norm(G)), evaluate=False)),
    "||g|| / c for c / ||g||": lambda: _with(definition=sp.Eq(CLIPPED, G * sp.Min(1, Norm(G) / C), evaluate=False)),
    "no min: always rescaled to c": lambda: _with(definition=sp.Eq(CLIPPED, G * (C / Norm(G)), evaluate=False)),
    "clipped to c / 2": lambda: _with(definition=sp.Eq(CLIPPED, G * sp.Min(1, C / (2 * Norm(G))), evaluate=False)),
    "the norm capped by max": lambda: _with(capped=sp.Eq(Norm(CLIPPED), sp.Max(Norm(G), C), evaluate=False)),
    "the norm always c": lambda: _with(capped=sp.Eq(Norm(CLIPPED), C, evaluate=False)),
    "the direction reversed": lambda: _with(direction=sp.Eq(CLIPPED / Norm(CLIPPED), -G / Norm(G), evaluate=False)),
    "the premise reversed": lambda: _with(unchanged=Chain(sp.Ge(Norm(G), C), "=>", sp.Eq(CLIPPED, G, evaluate=False))),
    "below c, rescaled to c": lambda: _with(unchanged=Chain(sp.Le(Norm(G), C), "=>", sp.Eq(CLIPPED, C * G / Norm(G), evaluate=False))),
    "a part dropped": lambda: Conjunction(DEFINITION, CAPPED, DIRECTION),
    "the direction as a row": lambda: _with(direction=sp.Eq((CLIPPED / Norm(CLIPPED)).T, G / Norm(G), evaluate=False)),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_mutated_statement_is_rejected(name: str) -> None:
    mutated = MUTATIONS[name]()
    assert mutated != PRINTED
    with pytest.raises(derive.CheckFailed, match="statement 'clipping'"):
        derive.check_statement("clipping", mutated)


def test_the_instances_cover_below_at_and_above_the_threshold() -> None:
    import numpy as np

    from verify.numeric_checks import gradients

    ratios = sorted({round(float(np.linalg.norm(g)) / float(c), 6) for g, c, _ in gradients()})
    assert ratios == [0.1, 1.0, 10.0] and sum(at for *_, at in gradients()) == 3


def test_the_account_names_the_norms_the_instances_have() -> None:
    """The printed instance lists the norms below, at and above c that the gradients really have (not typed-in text)."""
    import numpy as np

    from verify.numeric_checks import CLIP_SCALES, gradients

    result = derive.check_statement("clipping", PRINTED)
    start = result.instance.index(" one of norm ")
    end = next(n for n in range(start + 1, len(result.instance)) if str(result.instance[n]).startswith(" in a random direction"))
    printed = sorted(float(item.subs(C, 1)) for item in result.instance[start:end] if isinstance(item, sp.Expr))
    measured = sorted({round(float(np.linalg.norm(g)) / float(c), 9) for g, c, at in gradients() if not at})
    assert printed == measured == sorted(float(s) for s in CLIP_SCALES)

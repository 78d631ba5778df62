"""The document spine: numbers from position, references resolved, sections chosen and ordered by the configuration."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

import derive
from derive.document import CheckResult, Document, Paragraph, Ref, Section, Statement, Table
from derive.formats import outputs, registry
from derive.render import environment
from derive.statements import LABELS


def _statement(label: str) -> Statement:
    return Statement(label, label.title(), sp.Symbol(label), ("why",), (CheckResult(label, ("m",), ("i",), 1, summary=("s",)),))


def test_numbers_follow_position_not_code() -> None:
    a, b = Section("a", "A", (_statement("x"), Paragraph(("see ", Ref("y"))))), Section("b", "B", (_statement("y"),))
    assert Document("T", (), (a, b)).numbers()["y"] == 2
    assert Document("T", (), (b, a)).numbers()["y"] == 1
    assert Document("T", (), (b, a)).numbers()["sec-a"] == 2


def test_a_reference_to_a_missing_label_is_refused() -> None:
    with pytest.raises(ValueError, match="'nowhere'"):
        Document("T", (Ref("nowhere"),), ()).numbers()


def test_a_check_that_compared_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="compared nothing"):
        CheckResult("x", ("m",), ("i",), 0, summary=("s",))


def test_a_ragged_table_is_refused() -> None:
    with pytest.raises(ValueError, match="2 cells"):
        Table((("a",), ("b",)), ((("1",),),), "ll")


def test_every_block_kind_has_a_macro_in_every_format() -> None:
    from derive import document as spine

    kinds = {cls.kind for cls in vars(spine).values() if isinstance(cls, type) and dataclasses.is_dataclass(cls) and hasattr(cls, "kind")}
    assert len(kinds) == 7
    env = environment()
    for fmt in registry().values():
        family = fmt.template.split("/")[0]
        suffix = fmt.template.rsplit(".", 1)[1]  # latex/article.tex -> latex/blocks.tex, html/report.html -> html/blocks.html
        source = env.loader.get_source(env, f"{family}/blocks.{suffix}")[0]  # type: ignore[union-attr]
        for kind in kinds:
            assert f"macro {kind}(" in source, (fmt.name, kind)


def test_the_default_statements_are_numbered_in_reading_order(document: Document) -> None:
    numbers = document.numbers()
    assert [numbers[s.label] for s in document.statements] == list(range(1, len(LABELS) + 1))
    assert [s.label for s in document.statements] == list(LABELS)


def test_sections_follow_the_configuration(document: Document) -> None:
    assert [s.key for s in document.sections] == list(derive.Config().sections)


def test_an_unknown_section_is_a_config_error() -> None:
    from derive.app import build_document

    with pytest.raises(derive.ConfigError, match="--sections: 'nonsense'"):
        build_document(derive.Config(), sections=("conventions", "nonsense"))


def test_a_report_without_the_numeric_sections_still_resolves_its_references() -> None:
    from derive.app import build_document

    doc = build_document(derive.Config(dim=1, lag=1, activations=("tanh",)), sections=("conventions", "chain", "bound"))
    assert [s.key for s in doc.sections] == ["conventions", "chain", "bound"]
    assert len(outputs(doc, "md")) == 1  # no figure: no evidence section


def test_the_worked_numbers_read_the_factor_count_from_the_printed_product(document: Document) -> None:
    (worked,) = [s for s in document.sections if s.key == "worked"]
    (table,) = [b for b in worked.blocks if isinstance(b, Table)]
    values = [row[2][0].lhs if isinstance(row[2][0], sp.Eq) else row[2][0] for row in table.rows]
    assert values[:4] == [sp.Rational(1, 16), sp.Rational(1, 1024), sp.Rational(1, 1024), 1024]
    assert values[4:] == [3, 19]


def test_the_configuration_reaches_every_section() -> None:
    """A tanh-only report has tanh evidence, tanh witnesses and tanh counterexamples; only the worked numbers (labelled) are the sigmoid's."""
    from derive.app import build_document
    from derive.document import Counterexample
    from derive.snapshot import snapshot

    doc = build_document(derive.Config(dim=1, lag=1, activations=("tanh",)), sections=("evidence", "tightness", "refutations"))
    for block in doc.blocks():
        if isinstance(block, Table | Counterexample):
            text = snapshot(Document("T", (), (Section("x", "X", (block,)),)))
            assert "sigmoid" not in text, text

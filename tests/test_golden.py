"""Golden files: every rendered output byte for byte, and beside them a snapshot of the document's data.

Regenerate with ``python -m pytest tests/test_golden.py --regen-golden``. The data
snapshot (tests/golden/*.txt) shows the mathematics in SymPy's own string form, so
a change of mathematics shows apart from a change of typesetting.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import derive
from derive.app import build_document
from derive.document import Document
from derive.formats import outputs as render
from derive.notation import from_toml
from derive.snapshot import snapshot
from derive.writer import write

ROOT = Path(__file__).resolve().parent.parent
#: The hidden and d2l presets' goldens: every section of the argument (not the seeded sweep, witnesses and refutations,
#: which the default, tanh and pascanu goldens hold), so each part is typeset in every notation.
PRESET_SECTIONS = ("conventions", "chain", "bound", "linear", "feedforward", "truncation", "slopes", "worked", "clipping", "lstm", "gates")
GOLDEN = {
    # name: (directory of the rendered files, the configuration they hold)
    "default": (ROOT / "output", derive.Config()),
    "tanh-d2-lag2": (ROOT / "tests" / "golden" / "tanh-d2-lag2", derive.Config(dim=2, lag=2, activations=("tanh",))),
    # The notation presets and a course's TOML file: every output in each (TeX and KaTeX tests read these files too).
    "pascanu-tanh-d2-lag2": (ROOT / "tests" / "golden" / "pascanu-tanh-d2-lag2", derive.Config(dim=2, lag=2, activations=("tanh",), notation="pascanu")),
    "example-toml-d2-lag2": (
        ROOT / "tests" / "golden" / "example-toml-d2-lag2",
        derive.Config(dim=2, lag=2, activations=("tanh",), notation=from_toml(ROOT / "docs" / "notation-example.toml")),
    ),
    **{
        f"{name}-argument-d2-lag2": (
            ROOT / "tests" / "golden" / f"{name}-argument-d2-lag2",
            derive.Config(dim=2, lag=2, activations=("sigmoid",), notation=name, sections=PRESET_SECTIONS),
        )
        for name in ("hidden", "d2l")
    },
}


@pytest.fixture(scope="module")
def documents(document: Document) -> dict[str, Document]:
    return {name: document if config == derive.Config() else build_document(config) for name, (_, config) in GOLDEN.items()}


@pytest.mark.parametrize("name", list(GOLDEN))
def test_data_snapshot(name: str, regen: bool, documents: dict[str, Document]) -> None:
    path = ROOT / "tests" / "golden" / f"{name}.document.txt"
    text = snapshot(documents[name])
    if regen:
        path.write_text(text)
    assert path.read_text() == text, f"{path} is stale (the mathematics changed): run pytest tests/test_golden.py --regen-golden"


@pytest.mark.parametrize("name", list(GOLDEN))
def test_golden(name: str, regen: bool, documents: dict[str, Document]) -> None:
    directory, _ = GOLDEN[name]
    rendered = render(documents[name], "all")
    if name != "default":  # the web page is KaTeX (600 kB) and the report: the presets' pages are opened by tests/test_html.py
        del rendered["gradproof.html"]
    if regen:
        write(directory, rendered)
    for file, content in rendered.items():
        assert (directory / file).read_bytes() == content, f"{directory / file} is stale: run pytest tests/test_golden.py --regen-golden"


def test_rendering_is_deterministic(document: Document, outputs: dict[str, bytes]) -> None:
    assert render(document, "all") == outputs
    # the symbolic sections (the numeric ones are seeded: tests/test_parallel.py and tests/test_sweep.py build them twice)
    small = derive.Config(dim=1, lag=1, activations=("tanh",), sections=("conventions", "chain", "bound", "slopes", "worked", "tightness"))
    assert render(build_document(small), "md") == render(build_document(small), "md")

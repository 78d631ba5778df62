"""Golden files: every rendered output, byte for byte. Regenerate with ``pytest tests/test_golden.py --regen-golden``."""

from __future__ import annotations

from pathlib import Path

import pytest

import derive
from derive.render import write

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = {
    # directory: the configuration whose rendering it holds
    ROOT / "output": derive.Config(),
    ROOT / "tests" / "golden" / "tanh-d2-lag2": derive.Config(dim=2, lag=2, activations=("tanh",)),
}


@pytest.mark.parametrize("directory", list(GOLDEN), ids=lambda p: p.name)
def test_golden(directory: Path, regen: bool, files: dict[str, str]) -> None:
    config = GOLDEN[directory]
    rendered = files if config == derive.Config() else derive.render(derive.build(config))
    if regen:
        write(directory, rendered)
    for name, text in rendered.items():
        assert (directory / name).read_text(encoding="utf-8") == text, f"{directory / name} is stale: run pytest --regen-golden"


def test_rendering_is_deterministic(files: dict[str, str]) -> None:
    again = derive.render(derive.build())
    assert again == files

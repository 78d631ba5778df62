"""Golden files: every rendered output, byte for byte. Regenerate with ``pytest tests/test_golden.py --regen-golden``."""

from __future__ import annotations

from pathlib import Path

import pytest

import derive
from derive.__main__ import generate
from derive.render import write

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = {
    # directory: the configuration whose rendering it holds
    ROOT / "output": derive.Config(),
    ROOT / "tests" / "golden" / "tanh-d2-lag2": derive.Config(dim=2, lag=2, activations=("tanh",)),
}


@pytest.mark.parametrize("directory", list(GOLDEN), ids=lambda p: p.name)
def test_golden(directory: Path, regen: bool, outputs: dict[str, bytes]) -> None:
    config = GOLDEN[directory]
    rendered = outputs if config == derive.Config() else generate(config)
    if regen:
        write(directory, rendered)
    for name, content in rendered.items():
        assert (directory / name).read_bytes() == content, f"{directory / name} is stale: run pytest tests/test_golden.py --regen-golden"


def test_rendering_is_deterministic(outputs: dict[str, bytes]) -> None:
    assert generate(derive.Config()) == outputs

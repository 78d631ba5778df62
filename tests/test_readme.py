"""The README's Python example runs as printed: the statement passes its check, the mutated one is rejected."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import derive

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_example_runs() -> None:
    (code,) = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    last = code.rstrip().splitlines()
    body = "\n".join(line for line in last if not line.startswith("#"))
    *setup, final = [line for line in body.splitlines() if line.strip()]
    namespace: dict[str, object] = {}
    exec("\n".join(setup), namespace)  # noqa: S102 - the README's own example
    with pytest.raises(derive.CheckFailed, match="statement 'per-step'"):
        exec(final, namespace)  # noqa: S102

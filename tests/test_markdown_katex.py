"""The Markdown's math renders: every span through KaTeX in strict mode, under node.

KaTeX is found in .ci/node (where .ci/run installs it with npm) or in $GRADPROOF_KATEX_NODE_PATH;
without node and KaTeX the test is skipped, except under CI, where that is an error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NODE_PATH = Path(os.environ.get("GRADPROOF_KATEX_NODE_PATH", ROOT / ".ci" / "node" / "node_modules"))
HAVE_KATEX = shutil.which("node") is not None and (NODE_PATH / "katex").is_dir()
if not HAVE_KATEX and os.environ.get("CI"):
    raise RuntimeError(f"CI is set but node or KaTeX ({NODE_PATH}) is missing")


@pytest.mark.skipif(not HAVE_KATEX, reason="node and KaTeX not installed (see .ci/run)")
@pytest.mark.parametrize("path", [ROOT / "output" / "gradproof.md", *sorted((ROOT / "tests" / "golden").glob("*/gradproof.md"))])
def test_markdown_math_renders_with_katex(path: Path) -> None:
    result = subprocess.run(
        ["node", str(ROOT / "tests" / "katex_check.js"), str(path)],
        env={**os.environ, "NODE_PATH": str(NODE_PATH)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 errors" in result.stdout and not result.stdout.startswith("0 math spans")

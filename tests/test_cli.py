"""The command line: writes, --check, bad input (exit 2, one line), a failed check writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

from derive.__main__ import cli
from derive.expressions import Jacobian
from derive.statements import Statements

ROOT = Path(__file__).resolve().parent.parent


# The committed output/ against a fresh build: tests/test_golden.py (in this process) and
# test_output_does_not_depend_on_the_hash_seed below (`python -m derive --check` in a fresh interpreter).

SMALL = ["--dim", "1", "--lag", "1", "--activation", "tanh", "--sections", "conventions,worked"]


def test_write_then_check_then_stale(tmp_path: Path) -> None:
    assert cli(["--out", str(tmp_path), "--format", "md", "--quiet", *SMALL]) == 0
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["gradproof.md"]
    assert cli(["--out", str(tmp_path), "--format", "md", "--check", "--quiet", *SMALL]) == 0
    assert cli(["--out", str(tmp_path), "--format", "md", "--check", "--quiet", *SMALL[:-1], "worked,conventions"]) == 1  # another report
    (tmp_path / "gradproof.md").write_text("edited")
    assert cli(["--out", str(tmp_path), "--format", "md", "--check", "--quiet", *SMALL]) == 1
    assert (tmp_path / "gradproof.md").read_text() == "edited"  # --check writes nothing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dim", "0"], "--dim: 0 is not allowed (allowed: an integer from 1 to"),
        (["--lag", "0"], "--lag: 0 is not allowed"),
        (["--activation", "swish2"], "--activation: 'swish2' is not allowed (allowed: elu, gelu, hard_sigmoid"),
        (["--activation", "relu"], "--activation: 'relu' is not allowed (allowed: sigmoid, tanh in the report; relu's gamma is in --list-activations"),
    ],
)
def test_bad_input_is_one_line_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli([*args, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_unwritable_out_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli(["--out", str(blocker / "sub"), "--quiet", "--format", "md"]) == 2
    assert "--out" in capsys.readouterr().err


def test_a_failed_check_names_the_step_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "gradproof.md").write_text("previous")
    wrong = property(lambda self: sp.Eq(Jacobian(self.model.a_j, self.model.s_prev), self.model.W.T, evaluate=False))
    monkeypatch.setattr(Statements, "weight", wrong)
    assert cli(["--out", str(tmp_path), "--quiet"]) == 3
    assert "statement 'weight' failed its check" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gradproof.md"]
    assert (tmp_path / "gradproof.md").read_text() == "previous"


def test_output_does_not_depend_on_the_hash_seed() -> None:
    """A fresh interpreter with another hash seed regenerates the committed output/ byte for byte."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run([sys.executable, "-m", "derive", "--check", "--quiet"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr


def test_numeric_evidence_that_breaks_the_bound_stops_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """lambda replaced by the spectral radius in the sweep: the bound breaks on non-normal W, the run exits 3 naming the bound."""
    import numpy as np

    import verify.sections.evidence as evidence

    monkeypatch.setattr(evidence, "spectral_norm", lambda W: float(np.max(np.abs(np.linalg.eigvals(W)))))
    assert cli(["--out", str(tmp_path), "--quiet", "--dim", "1", "--lag", "1", "--activation", "tanh", "--sections", "evidence"]) == 3
    err = capsys.readouterr().err
    assert "statement 'bound' failed its check: numeric evidence" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []

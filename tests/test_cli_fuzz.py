"""Generated command lines: whatever the arguments, a documented exit code and never a traceback.

The argument handling is what is under test here (parsing, the configuration's validation, the path checks, the
error paths), so the expensive work behind a valid command line (the derivation, the sweep) is replaced by a stub
that returns a small output set; the real work is covered by the other tests and by the subprocess probes of
tests/test_hostile.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import derive.app
import verify.__main__ as verify_main
from derive.__main__ import cli as derive_cli
from derive.command import EXIT_CODES

NUMBERS = st.sampled_from(["0", "1", "2", "3", "6", "7", "-1", "512", "513", "99999999999999999999", "x", "", " 2", "1e3", "٣"])
WORDS = st.sampled_from(["tanh", "sigmoid", "relu", "", "all", "md", "tex", "pdf", "conventions", "chain,bound", "nope", "--", "-"])


def _arguments(options: dict[str, st.SearchStrategy[str] | None]) -> st.SearchStrategy[list[str]]:
    """Lists of options (known and unknown), each with a value drawn for it, a wrong one, or none."""

    def with_value(name: str) -> st.SearchStrategy[list[str]]:
        value = options[name]
        right = value if value is not None else WORDS
        return st.one_of(st.just([name]), st.tuples(st.just(name), right).map(list), st.tuples(st.just(name), WORDS).map(list))

    one = st.sampled_from(sorted(options)).flatmap(with_value)
    junk = st.lists(st.text(alphabet="-abcdefx0123456789=/ ", max_size=12), max_size=2)
    return st.tuples(st.lists(one, max_size=5), junk).map(lambda parts: [item for group in parts[0] for item in group] + parts[1])


DERIVE_OPTIONS: dict[str, st.SearchStrategy[str] | None] = {
    "--dim": NUMBERS,
    "--lag": NUMBERS,
    "--activation": WORDS,
    "--format": WORDS,
    "--sections": WORDS,
    "--notation": WORDS,
    "--label-prefix": WORDS,
    "--checks": WORDS,
    "--check": None,
    "--quiet": None,
    "--debug": None,
    "--bogus": None,
}
VERIFY_OPTIONS: dict[str, st.SearchStrategy[str] | None] = {
    "--dim": NUMBERS,
    "--steps": NUMBERS,
    "--trials": NUMBERS,
    "--seed": NUMBERS,
    "--activation": WORDS,
    "--quiet": None,
    "--debug": None,
    "--bogus": None,
}

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _assert_clean(code: int, captured: pytest.CaptureFixture[str]) -> None:
    event(f"exit {code}")
    out, err = captured.readouterr()
    assert code in EXIT_CODES
    assert "Traceback" not in out + err
    if code == 2:
        assert len(err.splitlines()) == 1 and err.startswith("error: ")


@FUZZ
@given(args=_arguments(DERIVE_OPTIONS))
def test_derive_command_lines(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(derive.app, "generate", lambda config, fmt, **options: {"gradproof.md": b"stub\n"})
    _assert_clean(derive_cli([*args, "--out", str(tmp_path / "out")]), capsys)


@FUZZ
@given(args=_arguments(VERIFY_OPTIONS))
def test_verify_command_lines(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    real = verify_main.sweep

    def small(activation: str, dim: int, steps: int, trials: int, seed: int, progress: object) -> object:
        return real(activation, min(dim, 2), min(steps, 3), 1, seed, progress)  # type: ignore[arg-type]

    monkeypatch.setattr(verify_main, "sweep", small)
    monkeypatch.setattr(verify_main.figure, "render", lambda fmt, activation: b"stub")
    _assert_clean(verify_main.cli([*args, "--out", str(tmp_path / "out")]), capsys)

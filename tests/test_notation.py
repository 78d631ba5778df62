"""Notation presets and a course's own TOML notation: every output follows them, and bad files are refused in one line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import derive
from derive.__main__ import cli
from derive.errors import ConfigError
from derive.notation import PRESETS, Notation, from_toml, subscripted

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "notation-example.toml"


def test_the_presets_name_what_their_texts_name() -> None:
    assert PRESETS["default"].state == "s" and PRESETS["default"].recurrent_weight == "W"
    assert (PRESETS["hidden"].state, PRESETS["hidden"].recurrent_weight, PRESETS["hidden"].input_weight) == ("h", "W_{hh}", "W_{xh}")
    assert PRESETS["pascanu"].recurrent_weight == r"W_{\mathrm{rec}}" and PRESETS["pascanu"].state == "x" and PRESETS["pascanu"].input == "u"
    assert PRESETS["d2l"].input_weight == "W_{hx}"
    assert all(preset.activation == r"\varphi" for preset in PRESETS.values())  # phi is the generic activation everywhere


def test_a_subscripted_base_is_braced() -> None:
    assert subscripted("W", "pq") == "W_{pq}"
    assert subscripted("W_{hh}", "pq") == "{W_{hh}}_{pq}"
    assert subscripted("x^{(1)}", "t") == "{x^{(1)}}_{t}"


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_each_preset_reaches_every_formula(name: str) -> None:
    """Built and checked under each preset: its symbols appear, the defaults' do not, and no double subscript is printed."""
    from derive.app import build_document
    from derive.formats import outputs

    notation = PRESETS[name]
    config = derive.Config(dim=2, lag=1, activations=("tanh",), notation=name, sections=("conventions", "chain", "bound"))
    text = outputs(build_document(config), "md")["gradproof.md"].decode()
    assert f"${notation.recurrent_weight}$" in text and notation.indexed("state", "t") in text
    assert not re.search(r"_\{[^{}]*\}_\{", text)  # W_{hh}_{pq} is a TeX error; {W_{hh}}_{pq} is not
    if name != "default":
        assert "$W$" not in text and "s_{t}" not in text


def test_the_readme_shows_the_example_file() -> None:
    (block,) = re.findall(r"```toml\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    example = EXAMPLE.read_text()
    assert tomllib.loads(block) == tomllib.loads(example)
    notation = from_toml(EXAMPLE)
    assert isinstance(notation, Notation) and notation.preactivation == "z" and notation.activation == r"\phi"
    assert notation.dim == PRESETS["hidden"].dim  # the roles it leaves out come from its preset


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('stat = "h"\n', "stat"),  # a key that is no role
        ('state = "\\\\input{x}"\n', "state"),  # a command outside the list
        ('state = "$h$"\n', "state"),
        ('state = "{h"\n', "state"),  # unbalanced
        ("state = 3\n", "state"),  # not a string
        ('preset = "karpathy"\n', "preset"),
        ("state = \n", "TOML"),  # not TOML
        ('state = "h"\nstate = "g"\n', "TOML"),
    ],
)
def test_a_bad_notation_file_is_one_line_naming_the_key(tmp_path: Path, content: str, named: str) -> None:
    path = tmp_path / "course.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as error:
        from_toml(path)
    message = str(error.value)
    assert "\n" not in message and named in message and str(path) in message


def test_the_command_line_refuses_a_bad_notation_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "course.toml"
    bad.write_text('recurrent_weight = "\\\\write18{rm}"\n')
    out = tmp_path / "out"
    for value in (str(bad), "karpathy", str(tmp_path / "missing.toml")):
        assert cli(["--out", str(out), "--quiet", "--notation", value]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("error: ") and ("--notation" in err or str(bad) in err)
        assert not out.exists()


def test_the_command_line_takes_a_notation_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = cli(["--out", str(out), "--quiet", "--notation", str(EXAMPLE), "--dim", "1", "--lag", "1", "--activation", "tanh", "--sections", "conventions"])
    assert code == 0
    text = (out / "gradproof.md").read_text()
    assert r"$h_{j} = \phi(z_{j})$" in text and r"\mathcal{L}_{t}" in text

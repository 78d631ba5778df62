"""--templates DIR: a course replaces any of gradproof's templates by file name; a misspelt one is refused, named."""

from __future__ import annotations

from pathlib import Path

import pytest

from derive.__main__ import cli

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--quiet", "--dim", "1", "--lag", "1", "--activation", "tanh", "--sections", "conventions,chain"]


def test_a_course_template_replaces_gradproofs_of_the_same_name(tmp_path: Path) -> None:
    own = tmp_path / "course" / "latex"
    own.mkdir(parents=True)
    article = (ROOT / "derive" / "templates" / "latex" / "article.tex").read_text()
    own.joinpath("article.tex").write_text(article.replace(r"\begin{document}", "\\begin{document}\n% Course RNN-101, week 7", 1))
    assert cli(["--templates", str(tmp_path / "course"), "--out", str(tmp_path / "out"), *SMALL]) == 0
    assert "% Course RNN-101, week 7" in (tmp_path / "out" / "gradproof.tex").read_text()
    assert "RNN-101" not in (tmp_path / "out" / "gradproof-fragment.tex").read_text()  # only the named template changed
    assert cli(["--out", str(tmp_path / "plain"), *SMALL]) == 0
    assert "RNN-101" not in (tmp_path / "plain" / "gradproof.tex").read_text()


@pytest.mark.parametrize("layout", ["missing", "misspelt", "flat"])
def test_a_templates_directory_that_overrides_nothing_is_refused(tmp_path: Path, layout: str, capsys: pytest.CaptureFixture[str]) -> None:
    course = tmp_path / "course"
    if layout == "misspelt":
        (course / "latex").mkdir(parents=True)
        (course / "latex" / "artcle.tex").write_text("x")
    elif layout == "flat":  # the right name in the wrong place: templates are named with their family's directory
        course.mkdir()
        (course / "article.tex").write_text("x")
    out = tmp_path / "out"
    assert cli(["--templates", str(course), "--out", str(out), *SMALL]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--templates" in err and "latex/article.tex" in err
    assert not out.exists()

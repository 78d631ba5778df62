"""The package as a user gets it: the sdist's contents and licence, and the installed command's name."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> tarfile.TarFile:
    out = tmp_path_factory.mktemp("sdist")
    build = f"from setuptools import build_meta; print(build_meta.build_sdist({str(out)!r}))"
    done = subprocess.run([sys.executable, "-c", build], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    name = done.stdout.strip().splitlines()[-1]
    return tarfile.open(out / name)


def test_the_sdist_carries_the_package_its_licence_and_its_documentation(sdist: tarfile.TarFile) -> None:
    names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    needed = ("LICENSE", "README.md", "pyproject.toml", "derive/__init__.py", "derive/templates/latex/article.tex", "verify/engine.py")
    needed += ("derive/templates/html/report.html", "derive/assets/katex/katex.min.js", "derive/assets/katex/LICENSE")
    needed += ("derive/assets/katex/fonts/KaTeX_Main-Regular.woff2",)
    for name in (*needed, "docs/architecture.md"):
        assert name in names, name
    assert not any(name.startswith(("tests/", "output/", "bench/", "tools/", ".ci/")) for name in names)  # left out on purpose (MANIFEST.in)
    info = next(member for member in sdist.getmembers() if member.name.endswith("/PKG-INFO") and member.name.count("/") == 1)
    metadata = sdist.extractfile(info).read().decode()  # type: ignore[union-attr]
    assert "License-Expression: MIT" in metadata and "License-File: LICENSE" in metadata


def test_the_licence_is_the_one_pyproject_names() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Permission is hereby granted, free of charge" in text


def test_the_installed_command_is_named_gradproof(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from derive.__main__ import script

    monkeypatch.setattr(sys, "argv", ["gradproof", "--help"])
    with pytest.raises(SystemExit) as stop:
        script()
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: gradproof ") and "python -m derive" not in out


def test_the_version_is_the_one_pyproject_states() -> None:
    import tomllib

    import derive

    assert derive.__version__ == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert f"v{derive.__version__} gradproof" in (ROOT / "output" / "gradproof-fragment.tex").read_text().splitlines()[0]

"""Shared fixtures: one document per session (it takes seconds), golden regeneration, Hypothesis profiles."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from hypothesis import settings

import derive
from derive.app import build_document
from derive.document import Document

ROOT = Path(__file__).resolve().parent.parent

_profiles = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hypothesis"]["profiles"]
for _name, _options in _profiles.items():
    _options = {k: (None if v == "none" else v) for k, v in _options.items()}
    settings.register_profile(_name, **_options)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true", help="rewrite output/ and tests/golden/ instead of comparing")


@pytest.fixture(scope="session")
def regen(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))


@pytest.fixture(scope="session")
def document() -> Document:
    """The default report, built and checked once per session."""
    return build_document(derive.Config())


@pytest.fixture(scope="session")
def outputs(document: Document) -> dict[str, bytes]:
    """Every file of output/ for the default configuration, evidence and figures included."""
    from derive.formats import outputs as render_outputs

    return render_outputs(document, "all")


@pytest.fixture(scope="session")
def files(outputs: dict[str, bytes]) -> dict[str, str]:
    """The text files of output/."""
    return {name: content.decode("utf-8") for name, content in outputs.items() if not name.startswith("figures/")}

"""The one writer of gradproof: a whole output set is staged, then committed.

Every file of a run is first written into a staging directory beside the
target (same file system), so a failure while staging (a full disk, a name
that is a directory) leaves the previous set untouched and no temporary file
behind. Only then are the staged files renamed into place, one ``os.replace``
each, and the staging directory removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .errors import ConfigError

STAGE_PREFIX = ".gradproof-stage-"


def ensure_writable(out: Path, option: str = "--out") -> None:
    """Fail early, before the checks run and without creating anything, when ``out`` cannot be written."""
    existing = out.absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(option, str(out), f"a writable directory ({existing} is not a directory)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(option, str(out), f"a writable directory ({existing} is not writable)")


def write(out: Path, files: Mapping[str, bytes], option: str = "--out") -> list[Path]:
    """Write the set ``files`` ({relative path: bytes}) under ``out``: stage all of it, then commit; returns the paths."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(dir=out, prefix=STAGE_PREFIX))
    except OSError as error:
        raise ConfigError(option, str(out), f"a writable directory ({error.strerror})") from None
    try:
        for name, content in files.items():
            staged = stage / name
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_bytes(content)
            os.chmod(staged, 0o644)
            if (out / name).is_dir():
                raise IsADirectoryError(21, "Is a directory", str(out / name))
        for name in files:
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / name, out / name)
    except OSError as error:
        raise ConfigError(option, str(out), f"a writable directory ({error.strerror}: {error.filename})") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [out / name for name in files]


def stale(out: Path, files: Mapping[str, bytes]) -> list[str]:
    """The names in ``files`` whose copy under ``out`` is missing or differs."""
    return sorted(name for name, content in files.items() if not _same(Path(out) / name, content))


def _same(path: Path, content: bytes) -> bool:
    try:
        return path.read_bytes() == content
    except OSError:
        return False

"""The writer: a set is written whole or not at all, the user's other files survive, bad targets are refused up front.

The kill test runs a child process that writes a new set over an old one and kills it (SIGKILL) at 60 seeded points
spread over its whole life; after every kill the directory holds exactly the old set or exactly the new one.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from derive import writer
from derive.errors import PathError
from derive.writer import ensure_writable, stale, write

ROOT = Path(__file__).resolve().parent.parent
OLD = {"a.tex": b"old a\n", "b.md": b"old b\n", "figures/c.svg": b"<svg>old</svg>\n"}
NEW = {"a.tex": b"new a\n", "b.md": b"new b\n", "figures/c.svg": b"<svg>new</svg>\n", "d.pdf": b"%PDF new\n"}
NOTES = {"notes.txt": b"the lecturer's own file\n", "drafts/week1.tex": b"a draft\n"}


def tree(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (relative name: bytes); symbolic links as 'link -> target'."""
    out: dict[str, bytes] = {}
    for path in sorted(directory.rglob("*")):
        name = str(path.relative_to(directory))
        if path.is_symlink():
            out[name] = f"link -> {os.readlink(path)}".encode()
        elif path.is_file():
            out[name] = path.read_bytes()
    return out


def populate(directory: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(content)


# -- writing -----------------------------------------------------------------------------------------------------------


def test_a_new_directory_gets_the_set_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    paths = write(out, NEW)
    assert tree(out) == NEW and paths == [out / name for name in NEW]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep"] and sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["out"]
    assert stale(out, NEW) == [] and stale(out, {**NEW, "a.tex": b"other"}) == ["a.tex"]


def test_the_users_files_survive_and_replaced_files_are_not_written_through(tmp_path: Path) -> None:
    """Files, subdirectories and links that are not part of the set are kept; the old a.tex, hard-linked elsewhere, keeps its bytes."""
    out = tmp_path / "out"
    populate(out, {**OLD, **NOTES})
    (out / "link").symlink_to("notes.txt")
    os.link(out / "a.tex", tmp_path / "outside")
    write(out, NEW)
    assert tree(out) == {**NEW, **NOTES, "link": b"link -> notes.txt"}
    assert (tmp_path / "outside").read_bytes() == OLD["a.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "outside"]  # no staging directory left


def test_permission_bits_of_the_directory_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    populate(out, OLD)
    os.chmod(out, 0o750)
    write(out, NEW)
    assert (out.stat().st_mode & 0o777) == 0o750


def test_a_symbolic_link_to_a_directory_is_followed_and_kept(tmp_path: Path) -> None:
    real, link = tmp_path / "real", tmp_path / "link"
    populate(real, OLD)
    link.symlink_to(real)
    write(link, NEW)
    assert link.is_symlink() and tree(real) == NEW and tree(link) == NEW
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "made")
    write(dangling / "sub", NEW)  # a link to a directory not there yet: the directory is made where it points
    assert tree(tmp_path / "made" / "sub") == NEW


def test_leftovers_of_killed_runs_are_removed_and_never_counted(tmp_path: Path) -> None:
    """A staging directory whose process is gone is removed by the next write; one of a live process is left alone."""
    out = tmp_path / "out"
    populate(out, OLD)
    dead = tmp_path / f".out{writer.STAGE_MARK}999999999-abc"
    alive = tmp_path / f".out{writer.STAGE_MARK}1-abc"  # pid 1 is always running
    for leftover in (dead, alive):
        populate(leftover, NEW)
    assert stale(out, OLD) == []  # leftovers are never compared
    write(out, NEW)
    assert not dead.exists() and alive.exists() and tree(out) == NEW


def test_the_fallback_moves_whole_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without RENAME_EXCHANGE every file is replaced whole, one rename each, and nothing is left behind."""
    out = tmp_path / "out"
    populate(out, {**OLD, **NOTES})
    monkeypatch.setattr(writer, "_exchange", lambda first, second: False)
    write(out, NEW)
    assert tree(out) == {**NEW, **NOTES}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_exchange_swaps_two_directories(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    populate(first, {"x": b"1"})
    populate(second, {"y": b"2"})
    assert writer._exchange(first, second)
    assert tree(first) == {"y": b"2"} and tree(second) == {"x": b"1"}


# -- failures leave the old set and create nothing -------------------------------------------------------------------


@pytest.mark.parametrize("error", [OSError(28, "No space left on device", "a.tex"), KeyboardInterrupt()])
def test_a_failure_while_staging_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """A full disk or Ctrl-C while staging: the old set as it was, no staging directory, no parent directory created."""
    out = tmp_path / "out"
    populate(out, OLD)

    def fail(stage: Path, place: Path, files: object) -> None:
        (stage / "half").write_bytes(b"x")
        raise error

    monkeypatch.setattr(writer, "_fill", fail)
    with pytest.raises(PathError if isinstance(error, OSError) else KeyboardInterrupt):
        write(out, NEW)
    with pytest.raises(PathError, match="No space left on device"):
        monkeypatch.setattr(writer, "_fill", lambda stage, place, files: (_ for _ in ()).throw(OSError(28, "No space left on device")))
        write(tmp_path / "new" / "deeper" / "out", NEW)
    assert tree(out) == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize(
    ("where", "cause"),
    [
        (lambda tmp: "", "empty"),
        (lambda tmp: str(tmp / "a\0b"), "NUL"),
        (lambda tmp: str(tmp / ("n" * 300)), "name too long"),
        (lambda tmp: str(tmp / "/".join(["d" * 200] * 21)), "path too long"),
        (lambda tmp: str(tmp / "loop" / "sub"), "symbolic link loop"),
        (lambda tmp: str(tmp / "file"), "is not a directory"),
        (lambda tmp: str(tmp / "file" / "sub"), "is not a directory"),
        (lambda tmp: ".", "the current directory"),
        (lambda tmp: "..", "the current directory or one above it"),
        (lambda tmp: "/", "/, the home directory"),
        (lambda tmp: str(Path.home()), "the home directory"),
        (lambda tmp: "/proc/gradproof-out", "nothing can be created in /proc"),
        (lambda tmp: "/sys/gradproof-out", "nothing can be created in /sys"),
    ],
)
def test_an_unusable_target_is_refused_with_its_cause_and_nothing_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: object, cause: str
) -> None:
    (tmp_path / "file").write_text("")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    out = where(tmp_path)  # type: ignore[operator]
    for attempt in (lambda: ensure_writable(out), lambda: write(out, NEW)):
        with pytest.raises(PathError, match=cause.replace("(", r"\(")) as caught:
            attempt()
        assert str(caught.value).startswith("--out: ") and "\n" not in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize(
    ("blocker", "cause"), [("b.md", "b.md is a directory where a file of the set goes"), ("figures", "figures is a file where a directory")]
)
def test_a_name_of_the_set_taken_by_the_wrong_kind_is_refused_before_anything_changes(tmp_path: Path, blocker: str, cause: str) -> None:
    out = tmp_path / "out"
    populate(out, {"a.tex": OLD["a.tex"]})
    if blocker == "figures":
        (out / "figures").write_bytes(b"a file")
    else:
        (out / blocker).mkdir()
    before = tree(out)
    with pytest.raises(PathError, match=cause):
        write(out, NEW)
    assert tree(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_file_name_outside_the_directory_is_refused(tmp_path: Path) -> None:
    for name in ("../escape", "/etc/passwd"):
        with pytest.raises(PathError, match="relative name"):
            write(tmp_path / "out", {name: b"x"})
    assert list(tmp_path.iterdir()) == []


# -- the kill test -----------------------------------------------------------------------------------------------------

_CHILD = """
import sys, types
package = types.ModuleType("derive")
package.__path__ = [sys.argv[1]]
sys.modules["derive"] = package  # the writer and its errors only: no SymPy, so the child lives a fraction of a second
from derive import writer
if sys.argv[3] == "fallback":
    writer._exchange = lambda first, second: False
new = {"a.tex": b"new a\\n", "b.md": b"new b\\n", "figures/c.svg": b"<svg>new</svg>\\n", "d.pdf": b"%PDF new\\n"}
writer.write(sys.argv[2], new)
print("done", flush=True)
"""


PAUSE = 0.1  # seconds the child sleeps before the swap and after it (and between two moves of the fallback)


def _kill_once(out: Path, delay: float, mode: str) -> str:
    env = {**os.environ, writer.PAUSE_ENV: str(PAUSE)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(ROOT / "derive"), str(out), mode], env=env, stdout=subprocess.PIPE)
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    output, _ = child.communicate(timeout=30)
    return "finished" if b"done" in output else "killed"


@pytest.mark.parametrize("mode", ["exchange", "fallback"])
def test_a_killed_write_leaves_the_old_set_or_the_new_one(tmp_path: Path, mode: str) -> None:
    """60 SIGKILLs (20 for the fallback) at seeded points from the child's start to past its end. With the exchange every kill leaves exactly the
    complete old set or the complete new one (the user's files in both); with the per-file fallback a kill between two renames
    may leave a mix of whole files, which the next write repairs. The next write also removes the killed run's leftovers."""
    out = tmp_path / "out"
    rng = random.Random(0)
    seen: Counter[str] = Counter()
    old_state, new_state = {**OLD, **NOTES}, {**NEW, **NOTES}
    populate(out, old_state)
    for _ in range(60 if mode == "exchange" else 20):
        write(out, OLD)  # the old set back in place (this also removes the previous kill's leftovers)
        for extra in set(tree(out)) - set(old_state):
            (out / extra).unlink()
        assert tree(out) == old_state
        outcome = _kill_once(out, rng.uniform(0.0, 0.1 + 3 * PAUSE), mode)  # start-up, both pauses, and past the end
        state = tree(out)
        if state == old_state:
            seen[f"{outcome}, old set"] += 1
        elif state == new_state:
            seen[f"{outcome}, new set"] += 1
        else:
            assert mode == "fallback", f"a mixed set after a kill: {sorted(state)}"
            assert all(state[name] in (OLD.get(name), NEW.get(name), NOTES.get(name)) for name in state)  # every file whole
            seen["killed, mixed (fallback)"] += 1
    write(out, NEW)
    assert tree(out) == new_state
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # every leftover of the 60 kills is gone
    if mode == "exchange":
        assert seen["killed, old set"] > 0 and seen["killed, new set"] > 0  # kills landed before and after the swap
    print(dict(seen))

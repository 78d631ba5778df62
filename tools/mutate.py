"""A small mutation runner: realistic single mutations of one module, each tested in a scratch copy of the repository.

Mutations (one at a time, found with the ast module): comparison operators flipped (< <=, > >=, == !=, is / is not,
in / not in), arithmetic operators swapped (+ -, * /, ** *, // /, % //), numeric constants perturbed (0 -> 1, n -> n + 1,
1e-9 -> 1e-8, True <-> False), and/or swapped, ``not`` and unary minus removed, return values replaced by None, and a
statement removed (a call such as ``fail_unless(...)`` or an augmented assignment). Docstrings, f-strings (messages),
string constants and annotations are left alone. Each mutant is written into a scratch copy (one per worker), and the
chosen tests run in a forked child that imports the project from the copy (pytest -x -q -p no:cacheprovider, the
Hypothesis profile HYPOTHESIS_PROFILE=dev); killed = the tests fail, survived = they pass, timeout = killed on time.

    python tools/mutate.py derive/gamma_check.py --tests tests/test_gamma.py [--only check_regimes,_growth] [--workers 2]
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRELOAD = ("sympy", "numpy", "mpmath", "flint", "hypothesis", "pytest", "jinja2", "matplotlib")


@dataclass(frozen=True)
class Mutant:
    """One mutation: where (line, col, enclosing function), what (a short description), and its index in the walk order."""

    index: int
    line: int
    col: int
    function: str
    description: str


_CMP_SWAP: dict[type, type] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_BIN_SWAP: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.Pow: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.BitOr: ast.BitAnd,
    ast.BitAnd: ast.BitOr,
    ast.RShift: ast.LShift,
    ast.LShift: ast.RShift,
}
_SYMBOL: dict[type, str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.RShift: ">>",
    ast.LShift: "<<",
}


def _perturbed(value: object) -> object | None:
    """The constant a mutant puts in place of ``value``: True <-> False, n -> n + 1, 1e-9 -> 1e-8, x -> x + 1; None for strings."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 10 if 0 < abs(value) < 1 else value + 1
    return None


def _is_docstring(node: ast.AST, parent: ast.AST | None) -> bool:
    body = getattr(parent, "body", None)
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(body, list) and bool(body) and body[0] is node


class _Sites(ast.NodeVisitor):
    """Walks the tree in a fixed order and records every mutation site (node path, kind, description)."""

    def __init__(self, only: set[str] | None) -> None:
        self.only = only
        self.sites: list[tuple[tuple[int, ...], str, object, int, int, str, str]] = []
        self.path: list[int] = []
        self.function: list[str] = []

    def _in_scope(self) -> bool:
        return bool(self.function) if self.only is None else any(name in self.only for name in self.function)

    def walk(self, node: ast.AST, parent: ast.AST | None = None) -> None:
        if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Expr) and _is_docstring(node, parent)):
            return
        named = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        if named:
            self.function.append(node.name)  # type: ignore[attr-defined]
        if self._in_scope():
            self._record(node, parent)
        for i, (field, value) in enumerate(ast.iter_fields(node)):
            if field in ("annotation", "returns", "decorator_list", "type_comment"):
                continue
            items = value if isinstance(value, list) else [value]
            for j, child in enumerate(items):
                if isinstance(child, ast.AST):
                    self.path.extend((i, j))
                    self.walk(child, node)
                    del self.path[-2:]
        if named:
            self.function.pop()

    def _add(self, node: ast.AST, kind: str, arg: object, description: str) -> None:
        where = ".".join(self.function) or "<module>"
        self.sites.append((tuple(self.path), kind, arg, getattr(node, "lineno", 0), getattr(node, "col_offset", 0), where, description))

    def _record(self, node: ast.AST, parent: ast.AST | None) -> None:
        if isinstance(node, ast.Compare):
            for n, op in enumerate(node.ops):
                if type(op) in _CMP_SWAP:
                    self._add(node, "cmp", n, f"{_SYMBOL[type(op)]} -> {_SYMBOL[_CMP_SWAP[type(op)]]}")
        elif isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in _BIN_SWAP:
            self._add(node, "bin", None, f"{_SYMBOL[type(node.op)]} -> {_SYMBOL[_BIN_SWAP[type(node.op)]]}")
        elif isinstance(node, ast.BoolOp):
            self._add(node, "bool", None, "and -> or" if isinstance(node.op, ast.And) else "or -> and")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
            self._add(node, "unary", None, "not removed" if isinstance(node.op, ast.Not) else "unary minus removed")
        elif isinstance(node, ast.Constant) and _perturbed(node.value) is not None:
            self._add(node, "const", None, f"{node.value!r} -> {_perturbed(node.value)!r}")
        elif isinstance(node, ast.Return) and node.value is not None and not (isinstance(node.value, ast.Constant) and node.value.value is None):
            self._add(node, "return", None, "return value -> None")
        if isinstance(node, ast.Expr | ast.AugAssign | ast.Raise) and isinstance(parent, ast.stmt | ast.Module):
            self._add(node, "remove", None, f"statement removed: {ast.unparse(node)[:60]}")


def _locate(tree: ast.AST, path: tuple[int, ...]) -> tuple[ast.AST, ast.AST, str, int]:
    """(node, parent, field, index in the field's list or -1) for a recorded path."""
    node, parent, field, index = tree, tree, "", -1
    for i, j in zip(path[0::2], path[1::2], strict=True):
        name, value = list(ast.iter_fields(node))[i]
        parent, field, index = node, name, (j if isinstance(value, list) else -1)
        node = value[j] if isinstance(value, list) else value
    return node, parent, field, index


def _apply(tree: ast.Module, site: tuple[tuple[int, ...], str, object, int, int, str, str]) -> ast.Module:
    tree = copy.deepcopy(tree)
    path, kind, arg = site[0], site[1], site[2]
    node, parent, field, index = _locate(tree, path)
    if kind == "cmp":
        assert isinstance(node, ast.Compare) and isinstance(arg, int)
        node.ops[arg] = _CMP_SWAP[type(node.ops[arg])]()
    elif kind == "bin":
        node.op = _BIN_SWAP[type(node.op)]()  # type: ignore[attr-defined]
    elif kind == "bool":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "unary":
        assert isinstance(node, ast.UnaryOp)
        _replace(parent, field, index, node.operand)
    elif kind == "const":
        assert isinstance(node, ast.Constant)
        node.value = _perturbed(node.value)  # type: ignore[assignment]
    elif kind == "return":
        assert isinstance(node, ast.Return)
        node.value = ast.Constant(None)
    elif kind == "remove":
        _replace(parent, field, index, ast.Pass())
    return ast.fix_missing_locations(tree)


def _replace(parent: ast.AST, field: str, index: int, new: ast.AST) -> None:
    if index >= 0:
        getattr(parent, field)[index] = new
    else:
        setattr(parent, field, new)


def mutants(source: str, only: set[str] | None, sample: int = 0, seed: int = 0, indices: set[int] | None = None) -> Iterator[tuple[Mutant, str]]:
    """Every mutant of ``source`` (inside the functions ``only``, or all code inside functions and classes), with its source;
    with ``sample`` > 0, a seeded uniform sample of that many (mutation sampling: the score estimates the full run's)."""
    tree = ast.parse(source)
    sites = _Sites(only)
    sites.walk(tree)
    chosen = set(range(len(sites.sites)))
    if 0 < sample < len(chosen):
        chosen = set(random.Random(seed).sample(sorted(chosen), sample))
    if indices:
        chosen &= indices
    for index, site in enumerate(sites.sites):
        if index not in chosen:
            continue
        mutated = ast.unparse(_apply(tree, site))
        yield Mutant(index, site[3], site[4], site[5], site[6]), mutated


def _scratch() -> Path:
    """A scratch copy of the repository without caches, output or git data."""
    target = Path(tempfile.mkdtemp(prefix="gradproof-mut-"))
    ignore = shutil.ignore_patterns(".git", "__pycache__", "output", "*.egg-info", ".mypy_cache", ".ruff_cache", ".hypothesis")
    for item in ("derive", "verify", "tests", "pyproject.toml"):
        source = ROOT / item
        (shutil.copytree(source, target / item, ignore=ignore) if source.is_dir() else shutil.copy2(source, target / item))
    return target


def _run_tests(copy_root: Path, tests: list[str], timeout: float) -> str:
    """'killed', 'survived' or 'timeout': the tests run in a forked child that imports the project from ``copy_root``."""
    pid = os.fork()
    if pid == 0:  # the child: import the project from the copy, run pytest, exit with its status
        try:
            os.setsid()
            os.chdir(copy_root)
            sys.path.insert(0, str(copy_root))
            sys.dont_write_bytecode = True
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            import pytest

            code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-n", "0", *tests])  # -n 0: no xdist workers per mutant
        except BaseException:
            code = 99
        os._exit(int(code))
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return "survived" if os.waitstatus_to_exitcode(status) == 0 else "killed"
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout"
        time.sleep(0.05)


def _warm(root: Path, module: str, warm: str) -> None:
    """Import the project from the copy and run ``warm`` (e.g. fill derive_gamma's cache) before any fork, so each child
    starts warm; refused if the warm-up imports the mutated module (the children must import its mutated source)."""
    sys.path.insert(0, str(root))
    sys.dont_write_bytecode = True
    exec(warm, {})
    name = module.removesuffix(".py").replace("/", ".")
    if name in sys.modules:
        raise SystemExit(f"the warm-up imports {name}, the module under mutation")


def run_shard(
    module: str,
    tests: list[str],
    only: set[str] | None,
    shard: int,
    shards: int,
    timeout: float,
    out: Path,
    warm: str,
    sample: int,
    indices: set[int] | None = None,
) -> None:
    """Run every ``shards``-th mutant starting at ``shard``, appending one JSON line per mutant to ``out``."""
    os.environ["HYPOTHESIS_PROFILE"] = "dev"
    os.environ.pop("CI", None)
    for name in PRELOAD:
        __import__(name)
    root = _scratch()
    try:
        if warm:
            _warm(root, module, warm)
        target = root / module
        original = target.read_text()
        if _run_tests(root, tests, timeout) != "survived":  # the baseline: unmutated, the tests must pass in this setup
            raise SystemExit(f"the tests fail on the unmutated {module} (warm-up or test selection broken): no score")
        with out.open("a") as sink:
            for n, (mutant, source) in enumerate(mutants(original, only, sample, indices=indices)):
                if n % shards != shard:
                    continue
                target.write_text(source)
                start = time.monotonic()
                outcome = _run_tests(root, tests, timeout)
                target.write_text(original)
                sink.write(json.dumps({**asdict(mutant), "outcome": outcome, "seconds": round(time.monotonic() - start, 1)}) + "\n")
                sink.flush()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", help="the module to mutate, relative to the repository root")
    parser.add_argument("--tests", nargs="+", required=True, help="the test files to run against each mutant")
    parser.add_argument("--only", default="", help="comma-separated function names: mutate only inside these")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per mutant before it counts as a timeout")
    parser.add_argument("--sample", type=int, default=0, help="run a seeded uniform sample of this many mutants (0: all)")
    parser.add_argument("--indices", default="", help="comma-separated mutant indices (as listed): re-run only these")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--out", default="", help="JSON-lines results file (default: a temporary file)")
    parser.add_argument("--warm", default="", help="Python run once per worker before forking (imports from the copy; must not import the module)")
    parser.add_argument("--shard", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    indices = {int(i) for i in args.indices.split(",")} if args.indices else None
    source = (ROOT / args.module).read_text()
    if args.list:
        for mutant, _ in mutants(source, only, args.sample, indices=indices):
            print(f"#{mutant.index} {args.module}:{mutant.line}:{mutant.col} [{mutant.function}] {mutant.description}")
        return 0
    out = Path(args.out) if args.out else Path(tempfile.mkstemp(prefix="mutate-", suffix=".jsonl")[1])
    if args.shard:
        shard, shards = (int(x) for x in args.shard.split("/"))
        run_shard(args.module, args.tests, only, shard, shards, args.timeout, out, args.warm, args.sample, indices)
        return 0
    out.write_text("")
    start = time.monotonic()
    common = [sys.executable, __file__, args.module, "--tests", *args.tests, "--timeout", str(args.timeout), "--out", str(out)]
    common += ["--only", args.only] if args.only else []
    common += ["--warm", args.warm] if args.warm else []
    common += ["--sample", str(args.sample)] if args.sample else []
    common += ["--indices", args.indices] if args.indices else []
    workers = [subprocess.Popen([*common, "--shard", f"{i}/{args.workers}"]) for i in range(args.workers)]
    failed = [w.wait() for w in workers]
    return report(args.module, out, time.monotonic() - start) or int(any(failed))


def report(module: str, out: Path, seconds: float) -> int:
    """Print the counts, the score and every survivor; 0 always (a score is a measurement, not a verdict)."""
    rows = sorted((json.loads(line) for line in out.read_text().splitlines() if line.strip()), key=lambda r: r["index"])
    counts = {k: sum(r["outcome"] == k for r in rows) for k in ("killed", "survived", "timeout")}
    total = len(rows)
    score = (counts["killed"] + counts["timeout"]) / total if total else 0.0
    for r in rows:
        if r["outcome"] == "survived":
            print(f"SURVIVED #{r['index']} {module}:{r['line']}:{r['col']} [{r['function']}] {r['description']}")
    print(
        f"{module}: total {total}, killed {counts['killed']}, survived {counts['survived']}, timeout {counts['timeout']},",
        f"score {score:.1%}, wall {seconds:.0f} s",
    )
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

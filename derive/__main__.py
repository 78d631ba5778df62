"""The command line: ``python -m derive`` derives, checks and writes output/."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .activations import ACTIVATIONS
from .config import DEFAULT_SECTIONS, MAX_DIM, MAX_LAG, Config
from .errors import CheckFailed, GradproofError
from .writer import ensure_writable, stale, write

EXIT_OK, EXIT_STALE, EXIT_USAGE, EXIT_CHECK = 0, 1, 2, 3


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m derive",
        description="Derive, check and typeset why RNN gradients vanish or explode; "
        "writes the LaTeX document, the \\input-able fragment and the Markdown report.",
        epilog="Exit codes: 0 done, 1 --check found stale files, 2 bad arguments, 3 a statement failed its check.",
    )
    p.add_argument("--out", type=Path, default=Path("output"), help="directory to write into (default: output)")
    p.add_argument("--format", choices=("tex", "md", "all"), default="all", help="which outputs: tex, md or all (default: all)")
    p.add_argument("--dim", type=int, default=Config.dim, help=f"d of the explicit instance, 1 to {MAX_DIM} (default: {Config.dim})")
    p.add_argument("--lag", type=int, default=Config.lag, help=f"t-k of the explicit instance, 1 to {MAX_LAG} (default: {Config.lag})")
    p.add_argument(
        "--activation",
        action="append",
        metavar="NAME",
        help=f"activation to cover, repeatable (default: all of {', '.join(ACTIVATIONS)})",
    )
    p.add_argument(
        "--sections",
        metavar="KEYS",
        help=f"comma-separated sections, in order (default: {','.join(DEFAULT_SECTIONS)})",
    )
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if the files in --out differ from what would be generated")
    p.add_argument("--quiet", action="store_true", help="print only errors")
    return p


def cli(args: Sequence[str] | None = None) -> int:
    """Run the command line with ``args`` (default: sys.argv); returns the exit code."""
    from .app import generate  # the composition root (it loads verify)

    options = parser().parse_args(args)
    say = (lambda message: None) if options.quiet else (lambda message: print(message, file=sys.stderr))
    started = time.perf_counter()
    try:
        sections = tuple(s.strip() for s in options.sections.split(",")) if options.sections else DEFAULT_SECTIONS
        config = Config(dim=options.dim, lag=options.lag, activations=tuple(options.activation or ACTIVATIONS), sections=sections)
        if not options.check:
            ensure_writable(options.out)
        say(f"deriving and checking (d = {config.dim}, t-k = {config.lag}, {', '.join(config.activations)})")
        files = generate(config, options.format, progress=lambda line: say(f"  {line}"))
        if options.check:
            differ = stale(options.out, files)
            for name in differ:
                print(f"stale: {options.out / name}", file=sys.stderr)
            say(f"{len(files) - len(differ)} of {len(files)} files up to date in {options.out}")
            return EXIT_STALE if differ else EXIT_OK
        for path in write(options.out, files):
            say(f"wrote {path}")
    except CheckFailed as error:
        print(f"error: {error}; nothing was written", file=sys.stderr)
        return EXIT_CHECK
    except GradproofError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    say(f"done in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


def main() -> None:
    sys.exit(cli())


if __name__ == "__main__":
    main()

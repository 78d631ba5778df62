"""The command line: ``python -m verify`` sweeps random RNNs against the bound and writes CSV, SVG and PDF."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from derive import GradproofError
from derive.writer import write

from . import figure
from .activations import NUMERIC
from .sweep import SweepConfig, SweepResult, sweep

EXIT_OK, EXIT_USAGE, EXIT_CHECK = 0, 2, 3


def parser() -> argparse.ArgumentParser:
    """The argument parser; defaults come from SweepConfig."""
    defaults = SweepConfig()
    p = argparse.ArgumentParser(
        prog="python -m verify",
        description="Check ||ds_T/ds_k||_2 <= (gamma lambda)^(T-k) on seeded random RNNs "
        "(W = (c / gamma) G / ||G||_2, so gamma lambda = c, uniform in [0.5, 1.5]); prints a summary and writes sweep.csv "
        "(one row per trial) and the figure sweep.svg / sweep.pdf. The same options give the same bytes.",
        epilog="Exit codes: 0 the bound held on every lag check, 2 bad arguments, 3 some lag check broke the bound.",
    )
    p.add_argument("--activation", default=defaults.activation, metavar="NAME", help=f"{', '.join(sorted(NUMERIC))} (default: {defaults.activation})")
    p.add_argument("--dim", type=int, default=defaults.dim, help=f"d, the state size, at least 1 (default: {defaults.dim})")
    p.add_argument("--steps", type=int, default=defaults.steps, help=f"T, the sequence length, at least 1 (default: {defaults.steps})")
    p.add_argument("--trials", type=int, default=defaults.trials, help=f"how many random RNNs, at least 1 (default: {defaults.trials})")
    p.add_argument("--seed", type=int, default=defaults.seed, help=f"seed of the random draws, at least 0 (default: {defaults.seed})")
    p.add_argument("--out", type=Path, default=Path("verify-out"), help="directory to write sweep.csv, sweep.svg, sweep.pdf into (default: verify-out)")
    p.add_argument("--quiet", action="store_true", help="no progress or file lines on stderr (the summary still goes to stdout)")
    return p


def _progress(say: Callable[[str], None]) -> Callable[[int, int], None]:
    """A progress callback that says a line each time another tenth of the trials is done."""

    def report(done: int, total: int) -> None:
        if done * 10 // total > (done - 1) * 10 // total:
            say(f"  {done}/{total} trials")

    return report


def summary(result: SweepResult) -> str:
    """The result as a two-column table, one quantity per line."""
    low, high = result.gamma_lambda_range
    config = result.config
    rows = (
        ("activation", config.activation),
        ("d", str(config.dim)),
        ("T", str(config.steps)),
        ("trials", str(config.trials)),
        ("lag checks", str(result.cases)),
        ("largest norm/bound", f"{result.max_ratio:.6g}"),
        ("trials with gamma*lambda > 1", f"{result.above_one} of {config.trials}"),
        ("smallest gamma*lambda", f"{low:.6g}"),
        ("largest gamma*lambda", f"{high:.6g}"),
        ("bound holds", "yes" if result.holds else "NO"),
    )
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def cli(args: Sequence[str] | None = None) -> int:
    """Run the command line with ``args`` (default: sys.argv); returns the exit code."""
    options = parser().parse_args(args)
    say = (lambda message: None) if options.quiet else (lambda message: print(message, file=sys.stderr))
    try:
        config = SweepConfig(options.activation, options.dim, options.steps, options.trials, options.seed)
        say(f"sweeping {config.trials} random {config.activation} RNNs (d = {config.dim}, T = {config.steps}, seed {config.seed})")
        result = sweep(config.activation, config.dim, config.steps, config.trials, config.seed, _progress(say))
        files = {
            "sweep.csv": result.to_csv().encode("utf-8"),
            "sweep.svg": figure.render("svg", config.activation),
            "sweep.pdf": figure.render("pdf", config.activation),
        }
        paths = write(options.out, files)
    except GradproofError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(summary(result))
    for path in paths:
        say(f"wrote {path}")
    if not result.holds:
        print(f"error: the bound failed: largest norm/bound {result.max_ratio!r}; see {options.out / 'sweep.csv'}", file=sys.stderr)
        return EXIT_CHECK
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(cli())

"""The command line: ``python -m verify`` sweeps random RNNs against the bound and writes CSV, SVG and PDF;
``python -m verify --weights FILE`` reports on your own network instead (``verify.weights``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from derive.command import EXIT_CHECK, EXIT_OK, Parser, Streams, epilog, finish, integer, run
from derive.errors import ConfigError
from derive.writer import ensure_writable, write

from . import figure
from .activations import NUMERIC
from .sweep import MAX_SEED, MAX_STEPS, MAX_TRIALS, MAX_WIDTH, SweepConfig, SweepResult, between, sweep


def parser() -> argparse.ArgumentParser:
    """The argument parser; defaults come from SweepConfig."""
    defaults = SweepConfig()
    p = Parser(
        prog="python -m verify",
        description="Check ||ds_T/ds_k||_2 <= (gamma lambda)^(T-k) on seeded random RNNs "
        "(W = (c / gamma) G / ||G||_2, so gamma lambda = c, uniform in [0.5, 1.5]); prints a summary and writes sweep.csv "
        "(one row per trial) and the figure sweep.svg / sweep.pdf. The same options give the same bytes.\n\n"
        "With --weights FILE: your own network instead. W (and U, b) from .npy, .npz or .safetensors (keys W, U, b or "
        "nn.RNN's weight_hh_l0, weight_ih_l0, bias_ih_l0 + bias_hh_l0); gamma, lambda = sigma_max(W), rho(W), the regime, "
        "the measured ||ds_T/ds_k||_2 on --inputs (a T x m .npy) or on --steps seeded random inputs, the bound and a sharper "
        "one from the slopes reached, the top Lyapunov exponents (QR); writes weights.csv (lag, norm, bound, sharper_bound), "
        "weights.svg and weights.pdf.",
        epilog=epilog(stale="", check="some lag check broke the bound (the files are written, to show where)"),
    )
    p.add_argument("--activation", default=defaults.activation, metavar="NAME", help=f"{', '.join(sorted(NUMERIC))} (default: {defaults.activation})")
    p.add_argument("--weights", type=Path, metavar="FILE", help="report on this network (.npy, .npz or .safetensors) instead of sweeping")
    p.add_argument("--inputs", type=Path, metavar="FILE", help="with --weights: the inputs x_1 .. x_T, a T x m .npy array (default: --steps random ones)")
    p.add_argument("--dim", type=integer, default=defaults.dim, help=f"d, the state size, 1 to {MAX_WIDTH} (default: {defaults.dim})")
    p.add_argument("--steps", type=integer, default=defaults.steps, help=f"T, the sequence length, 1 to {MAX_STEPS} (default: {defaults.steps})")
    p.add_argument("--trials", type=integer, default=defaults.trials, help=f"how many random RNNs, 1 to {MAX_TRIALS} (default: {defaults.trials})")
    p.add_argument("--seed", type=integer, default=defaults.seed, help=f"seed of the random draws, 0 to 2^64 - 1 (default: {defaults.seed})")
    p.add_argument("--out", type=Path, default=Path("verify-out"), help="directory to write the CSV and the figures into (default: verify-out)")
    p.add_argument("--quiet", action="store_true", help="no progress or file lines on stderr (the summary still goes to stdout)")
    p.add_argument("--debug", action="store_true", help="on an internal error, print the traceback")
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


def network(options: argparse.Namespace, streams: Streams) -> int:
    """--weights: read the network, compute its report, write weights.csv and the figures, print the summary."""
    from . import weights as own

    if options.activation not in NUMERIC:
        raise ConfigError("--activation", options.activation, sorted(NUMERIC))
    between("--steps", options.steps, 1, MAX_STEPS)
    between("--seed", options.seed, 0, MAX_SEED)
    loaded = own.load_weights(options.weights)
    if options.inputs is not None:
        xs, source = own.load_inputs(options.inputs, loaded), f"{options.inputs} ({{}} steps)"
    else:
        m = loaded.U.shape[1] if loaded.U is not None else 1
        xs = np.random.default_rng(options.seed).standard_normal((options.steps, m)) if loaded.U is not None else np.zeros((options.steps, 1))
        source = f"standard normal, seed {options.seed} ({{}} steps)" if loaded.U is not None else "none: the file has no input weights ({} steps)"
    ensure_writable(options.out)
    streams.say(f"reading {options.weights}: {'; '.join(loaded.used)}")
    result = own.report(loaded, xs, options.activation, source.format(xs.shape[0]))
    files = {"weights.csv": result.to_csv().encode("utf-8"), **{f"weights.{fmt}": data for fmt, data in own.render(result, ("svg", "pdf")).items()}}
    paths = write(options.out, files)
    streams.committed = True
    streams.out(own.summary(result))
    for path in paths:
        streams.say(f"wrote {path}")
    return EXIT_OK


def body(options: argparse.Namespace, streams: Streams) -> int:
    """Sweep, write the CSV and the figure, print the summary; exit 3 when some lag check broke the bound."""
    if options.weights is not None:
        return network(options, streams)
    if options.inputs is not None:
        raise ConfigError("--inputs", str(options.inputs), "only with --weights FILE")
    config = SweepConfig(options.activation, options.dim, options.steps, options.trials, options.seed)
    ensure_writable(options.out)
    streams.say(f"sweeping {config.trials} random {config.activation} RNNs (d = {config.dim}, T = {config.steps}, seed {config.seed})")
    result = sweep(config.activation, config.dim, config.steps, config.trials, config.seed, _progress(streams.say))
    files = {
        "sweep.csv": result.to_csv().encode("utf-8"),
        **{f"sweep.{fmt}": data for fmt, data in figure.render_all(("svg", "pdf"), config.activation).items()},
    }
    paths = write(options.out, files)
    streams.committed = True
    streams.out(summary(result))
    for path in paths:
        streams.say(f"wrote {path}")
    if not result.holds:
        streams.error(f"error: the bound failed: largest norm/bound {result.max_ratio!r}; see {options.out / 'sweep.csv'}")
        return EXIT_CHECK
    return EXIT_OK


def cli(args: Sequence[str] | None = None) -> int:
    """Run the command line with ``args`` (default: sys.argv); returns the exit code (see derive.command)."""
    return run(parser(), body, args)


if __name__ == "__main__":
    finish(cli())

"""The command line: ``python -m derive`` derives, checks and writes output/."""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

from .activations import ACTIVATIONS, DEFAULT_ACTIVATIONS, Activation
from .command import EXIT_OK, EXIT_STALE, Parser, Streams, epilog, finish, integer, run
from .config import DEFAULT_SECTIONS, MAX_DIM, MAX_LAG, Config
from .errors import ConfigError, GradproofError
from .formats import families
from .notation import PRESETS, from_toml
from .pdf import compile_pdf, require_tex
from .render import CHECKS, DEFAULT_CHECKS, LABEL_PREFIX, check_label_prefix, check_templates
from .writer import ensure_writable, stale, write


def parser(prog: str = "python -m derive") -> argparse.ArgumentParser:
    p = Parser(
        prog=prog,
        description="Derive, check and typeset why RNN gradients vanish or explode; "
        "writes the LaTeX document and its \\input-able fragment, a beamer deck and snippets, the Markdown report, "
        "a notebook and a self-contained web page.",
        epilog=epilog(),
    )
    p.add_argument("--out", type=Path, default=Path("output"), help="directory to write into (default: output)")
    p.add_argument("--format", choices=families(), default="all", help=f"which outputs: {', '.join(families()[:-1])} or all (default: all)")
    p.add_argument("--dim", type=integer, default=Config.dim, help=f"d of the explicit instance, 1 to {MAX_DIM} (default: {Config.dim})")
    p.add_argument("--lag", type=integer, default=Config.lag, help=f"t-k of the explicit instance, 1 to {MAX_LAG} (default: {Config.lag})")
    p.add_argument(
        "--activation",
        action="append",
        metavar="NAME",
        help=f"activation to cover, repeatable (default: {' and '.join(DEFAULT_ACTIVATIONS)}; --list-activations lists all)",
    )
    p.add_argument(
        "--sections",
        metavar="KEYS",
        help=f"comma-separated sections, in order (default: {','.join(DEFAULT_SECTIONS)})",
    )
    p.add_argument(
        "--notation",
        metavar="NAME|FILE",
        default="default",
        help=f"the symbols: a preset ({', '.join(PRESETS)}) or a TOML file of a course's own (see the README; default: default)",
    )
    p.add_argument(
        "--label-prefix",
        metavar="PREFIX",
        default=LABEL_PREFIX,
        help=f"prefix of every LaTeX label, so two reports can share a document (default: {LABEL_PREFIX})",
    )
    p.add_argument(
        "--templates",
        metavar="DIR",
        type=Path,
        help="a directory of a course's own templates, laid out as derive/templates (latex/article.tex, markdown/blocks.md, ...)",
    )
    p.add_argument(
        "--checks",
        choices=CHECKS,
        default=DEFAULT_CHECKS,
        help="each statement carries a one-line note on how it was checked; the full account goes under it (inline), "
        f"to a closing section (appendix), or nowhere, the notes included (none) (default: {DEFAULT_CHECKS})",
    )
    p.add_argument("--pdf", action="store_true", help="also compile gradproof.tex to gradproof.pdf in --out with latexmk (needs TeX)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if the files in --out differ from what would be generated")
    p.add_argument("--list-activations", action="store_true", help="print each activation with its gamma (derived) and where it is attained, then stop")
    p.add_argument(
        "--activation-expr",
        metavar="FORMULA",
        help="derive gamma for your own activation, a formula in x such as 'x/(1 + abs(x))' (numbers, + - * / ** and "
        "exp, log, sqrt, abs, tanh, erf, sigmoid, softplus, max, min; never evaluated as Python), print it, then stop",
    )
    p.add_argument("--quiet", action="store_true", help="print only errors")
    p.add_argument("--debug", action="store_true", help="on an internal error, print the traceback")
    return p


def body(options: argparse.Namespace, streams: Streams) -> int:
    """Derive, check, render; then compare with --out (--check) or write the set into it."""
    from .app import generate, known_sections  # the composition root (it loads verify)

    if options.list_activations:
        streams.out(activation_table())
        return EXIT_OK
    if options.activation_expr is not None:
        streams.out(formula_report(options.activation_expr))
        return EXIT_OK
    started = time.perf_counter()
    label_prefix = check_label_prefix(options.label_prefix)
    templates = None if options.templates is None else check_templates(options.templates)
    sections = tuple(s.strip() for s in options.sections.split(",")) if options.sections is not None else DEFAULT_SECTIONS
    if options.notation not in PRESETS and not Path(options.notation).is_file():
        raise ConfigError("--notation", options.notation, [*PRESETS, "a TOML file of a course's own (see the README)"])
    chosen = options.notation if options.notation in PRESETS else from_toml(Path(options.notation))
    # Validated before verify is loaded:
    config = Config(dim=options.dim, lag=options.lag, activations=tuple(options.activation or DEFAULT_ACTIVATIONS), notation=chosen)
    config = dataclasses.replace(config, sections=known_sections(sections))
    if options.pdf and not options.check:
        require_tex()  # before any work: the one line says what to install
    if not options.check:
        ensure_writable(options.out)
    streams.say(f"deriving and checking (d = {config.dim}, t-k = {config.lag}, {', '.join(config.activations)})")
    progress = lambda line: streams.say(f"  {line}")  # noqa: E731
    files = generate(config, options.format, progress=progress, label_prefix=label_prefix, templates=templates, checks=options.checks)
    if options.check:
        differ = stale(options.out, files)
        for name in differ:
            streams.error(f"stale: {options.out / name}")
        streams.say(f"{len(files) - len(differ)} of {len(files)} files up to date in {options.out}")
        return EXIT_STALE if differ else EXIT_OK
    paths = write(options.out, files)
    streams.committed = True
    for path in paths:
        streams.say(f"wrote {path}")
    if options.pdf and "gradproof.tex" in files:
        streams.say("compiling gradproof.tex with latexmk")
        streams.say(f"wrote {compile_pdf(options.out)}")
    streams.say(f"done in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


def _where(interval: object, z: str = "z") -> str:
    """An open interval of z as a reader writes it: every z, z > 0, -1 < z < 1."""
    a, b = interval.start, interval.end  # type: ignore[attr-defined]
    if a.is_infinite and b.is_infinite:
        return f"every {z}"
    if a.is_infinite:
        return f"{z} < {b}"
    return f"{z} > {a}" if b.is_infinite else f"{a} < {z} < {b}"


def _describe(act: Activation, variable: str = "z") -> tuple[str, str]:
    """(gamma as derived, where it is attained with the kinks and notes) for one activation, as --list-activations prints them."""
    import sympy as sp

    from .activations import derive_gamma_of

    g = derive_gamma_of(act, variable)
    z = variable
    if not g.finite:
        return "gamma is infinite: the bound says nothing", f"|phi'| is unbounded (it tends to {g.limits[0]} and {g.limits[1]} at -oo and +oo)"
    if g.exact:
        value = f"gamma = {g.gamma} ~ {float(g.gamma):.10g}" if not g.gamma.is_Rational else f"gamma = {g.gamma}"
    else:
        root = max(g.roots, key=lambda r: abs(r.value_lo + r.value_hi))  # the root where |phi'| is largest
        value = f"gamma = {root.slope_form.subs(g.variable, sp.Symbol(z + '*'))} ~ {float(g.gamma):.10g}, {z}* the root of {root.equation.lhs} = 0"
    places = [_where(p, z) if isinstance(p, sp.Interval) else f"{z} = {p if g.exact else format(float(p), '.10g')}" for p in g.attaining()]
    where = f"attained at {' and '.join(places)}" if places else "not attained (a limit)"
    registered = ACTIVATIONS.get(act.name) is act
    kinks = "; ".join(
        f"kink at {k.point}: slopes {k.left} and {k.right}, " + (f"PyTorch uses {k.value}" if registered else "any value between them keeps the bound")
        for k in g.kinks
    )
    notes = "; ".join(part for part in (kinks, act.note) if part)
    return value, where + (f" ({notes})" if notes else "")


def activation_table() -> str:
    """One line per registered activation: its name, what it is, gamma = sup |phi'| as derived, where it is attained, its kinks."""
    rows = [(name, act.title, *_describe(act)) for name, act in ACTIVATIONS.items()]
    widths = [max(len(row[n]) for row in rows) for n in range(3)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}" for a, b, c, d in rows)


def formula_report(text: str) -> str:
    """gamma for a course's own formula in x (``derive.expression``): the formula as read, gamma, where it is attained."""
    from .expression import VARIABLE, activation_from_formula, parse_formula

    act = activation_from_formula(text)
    try:
        value, where = _describe(act, VARIABLE)
    except GradproofError:
        raise
    except Exception as error:  # SymPy on a formula nobody has tried: said in one line, never a traceback
        raise GradproofError(f"--activation-expr: cannot derive gamma for {text!r}: {type(error).__name__}: {error}") from error
    return f"phi({VARIABLE}) = {parse_formula(text)}\n{value}\n{where}"


def cli(args: Sequence[str] | None = None, prog: str = "python -m derive") -> int:
    """Run the command line with ``args`` (default: sys.argv); returns the exit code (see derive.command)."""
    return run(parser(prog), body, args)


def main() -> None:
    finish(cli())


def script() -> None:
    """The installed ``gradproof`` command: the same command line, named as it was called."""
    finish(cli(prog="gradproof"))


if __name__ == "__main__":
    main()

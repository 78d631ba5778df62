"""The figure of statement 9: measured log ||ds_t/ds_k||_2 against the lag t-k, under its bound (t-k) log(gamma lambda).

One seeded RNN is drawn and its W rescaled so that gamma lambda takes each of
a few target values; the measured chain is drawn solid and its bound dashed in
the same colour. The files are byte-reproducible: matplotlib's defaults are
used whatever the local matplotlibrc says, the SVG ids come from a fixed
``svg.hashsalt``, and the metadata that would carry a date or a version
(PDF CreationDate, Creator, Producer; SVG Date, Creator) is left out, so
SOURCE_DATE_EPOCH makes no difference either. No pyplot: the figure is a bare
``matplotlib.figure.Figure``, so importing this module never changes the
caller's backend and no figure is kept alive in pyplot's registry.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from derive import ConfigError

from .activations import Array, numeric
from .engine import chain_log_norms, run
from .sweep import INPUT_DIM, MAX_SEED, MAX_STEPS, MAX_WIDTH, between

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: The gamma lambda of each drawn RNN: below, at and above the threshold 1.
TARGETS = (0.7, 1.0, 1.5)
FORMATS = ("pdf", "svg")
#: The hidden size of the figure's network.
FIGURE_DIM = 16
#: The figure's sequence length.
FIGURE_STEPS = 60

#: Metadata set to None is left out of the file: no date, no matplotlib version.
METADATA: dict[str, dict[str, Any]] = {
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
    "svg": {"Creator": None, "Date": None},
}


@dataclass(frozen=True, eq=False)
class Line:
    """One RNN of the figure: its gamma lambda and log ||ds_t/ds_k||_2 for the lags t-k = 1 .. T."""

    target: float
    gamma_lambda: float
    log_norms: Array  # entry i is lag i + 1
    log_sharper: Array  # ln of statement 11's product over the lag's steps of max_i |phi'(a_{j,i})| lambda, by lag

    @property
    def lags(self) -> Array:
        """The lags t-k = 1 .. T."""
        return np.arange(1, len(self.log_norms) + 1, dtype=np.float64)

    @property
    def log_bound(self) -> Array:
        """(t-k) log(gamma lambda), the log of the bound of statement 9."""
        return self.lags * np.log(self.gamma_lambda)


def figure_lines(
    activation: str = "tanh", dim: int = FIGURE_DIM, steps: int = FIGURE_STEPS, seed: int = 0, targets: tuple[float, ...] = TARGETS
) -> tuple[Line, ...]:
    """The measured chains of one seeded RNN whose W is rescaled to lambda = target / gamma for each target."""
    gamma = numeric(activation).gamma
    between("--dim", dim, 1, MAX_WIDTH)
    between("--steps", steps, 1, MAX_STEPS)
    between("--seed", seed, 0, MAX_SEED)
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((dim, dim))
    U = rng.standard_normal((dim, INPUT_DIM))
    b = 0.5 * rng.standard_normal(dim)
    xs = rng.standard_normal((steps, INPUT_DIM))
    lines = []
    for target in targets:
        W = G * (target / gamma / np.linalg.norm(G, 2))
        log_norms = chain_log_norms(W, U, b, xs, np.zeros(dim), activation)[::-1]  # reversed: by lag, not by k
        lam = float(np.linalg.norm(W, 2))
        reached = np.max(numeric(activation).log_slope(run(W, U, b, xs, np.zeros(dim), activation)), axis=1)  # ln max_i |phi'(a_j,i)|
        log_sharper = np.cumsum(reached[::-1]) + np.arange(1, steps + 1) * np.log(lam)  # lag n: the last n steps
        lines.append(Line(target, gamma * lam, log_norms, log_sharper))
    return tuple(lines)


def _draw(lines: tuple[Line, ...], activation: str, dim: int) -> Figure:
    from matplotlib.figure import Figure  # imported when a figure is drawn: matplotlib takes half a second to import

    figure = Figure(figsize=(5.6, 3.9))  # small enough that its text stays legible at 0.85 of a line and on a slide
    axes = figure.add_subplot()
    for index, line in enumerate(lines):
        colour = f"C{index}"
        axes.plot(line.lags, line.log_norms, color=colour, label=rf"$\gamma\lambda = {line.target:g}$")
        axes.plot(line.lags, line.log_sharper, color=colour, linestyle=":", linewidth=1.2)
        axes.plot(line.lags, line.log_bound, color=colour, linestyle="--", linewidth=1.0)
    axes.plot([], [], color="0.4", linestyle=":", linewidth=1.2, label="sharper, from the slopes reached")
    axes.plot([], [], color="0.4", linestyle="--", linewidth=1.0, label=r"bound $(t-k)\,\ln\gamma\lambda$")
    axes.set_xlabel(r"lag $t-k$")
    axes.set_ylabel(r"$\ln\|\partial s_t/\partial s_k\|_2$")
    axes.set_title(rf"{activation}, $d = {dim}$: measured, sharper bound, bound")
    axes.legend(loc="lower left")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def render(fmt: str, activation: str = "tanh", dim: int = FIGURE_DIM, steps: int = FIGURE_STEPS, seed: int = 0) -> bytes:
    """The figure as the bytes of a ``fmt`` ("pdf" or "svg") file; the same arguments give the same bytes."""
    return render_all((fmt,), activation, dim, steps, seed)[fmt]


def render_all(
    formats: tuple[str, ...] = FORMATS, activation: str = "tanh", dim: int = FIGURE_DIM, steps: int = FIGURE_STEPS, seed: int = 0
) -> dict[str, bytes]:
    """The figure drawn once and saved in each of ``formats``, as {format: bytes}: what ``render`` gives for each."""
    for fmt in formats:
        if fmt not in FORMATS:
            raise ConfigError("figure format", fmt, FORMATS)
    lines = figure_lines(activation, dim, steps, seed)
    return reproducible(lambda: _draw(lines, activation, dim), formats)


def reproducible(draw: Callable[[], Figure], formats: tuple[str, ...]) -> dict[str, bytes]:
    """The figure ``draw`` makes, saved in each of ``formats`` with matplotlib's defaults (whatever the local matplotlibrc
    says), a fixed SVG hash salt and no dated metadata: the same figure, the same bytes. It is drawn once: laying out its
    text is most of the work, and saving it again gives the bytes a fresh drawing would."""
    from matplotlib import rc_context, style

    files = {}
    with style.context("default"), rc_context({"svg.hashsalt": "gradproof", "svg.fonttype": "path", "font.size": 11}):
        figure = draw()
        for fmt in formats:
            buffer = io.BytesIO()
            figure.savefig(buffer, format=fmt, metadata=METADATA[fmt])
            files[fmt] = buffer.getvalue()
    return files


def plot(path: Path, activation: str = "tanh", dim: int = FIGURE_DIM, steps: int = FIGURE_STEPS, seed: int = 0) -> Path:
    """Save the figure to ``path``, PDF or SVG by its suffix, atomically (a temporary file, then a rename)."""
    path = Path(path)
    if path.suffix not in (".pdf", ".svg"):
        raise ConfigError("path", str(path), "a file name ending in .pdf or .svg")
    data = render(path.suffix[1:], activation, dim, steps, seed)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return path

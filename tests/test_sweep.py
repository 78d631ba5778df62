"""The sweep (deterministic, the bound holds, both regimes drawn), its command line, and the byte-reproducible figure."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest

import derive
from verify import SweepResult, sweep
from verify.__main__ import cli
from verify.activations import numeric
from verify.claims import log_ratios
from verify.engine import chain_bounds_batched
from verify.figure import figure_lines, plot, render
from verify.sweep import BATCH, INPUT_DIM, SweepConfig, Trial, bound_tolerance


@pytest.fixture(scope="module", params=["tanh", "sigmoid"])
def default_sweep(request: pytest.FixtureRequest) -> SweepResult:
    defaults = SweepConfig()
    return sweep(request.param, defaults.dim, defaults.steps, defaults.trials, defaults.seed)


def test_the_bound_holds_on_every_lag_check(default_sweep: SweepResult) -> None:
    assert default_sweep.cases == 200 * 50
    assert all(row.max_ratio <= 1 + row.tolerance for row in default_sweep.rows)
    assert default_sweep.holds and default_sweep.max_ratio == max(row.max_ratio for row in default_sweep.rows)
    assert default_sweep.tolerance == max(row.tolerance for row in default_sweep.rows)
    assert 0 < default_sweep.tolerance < 1e-6  # rounding, not slack: far below any ratio that would matter


def _tight(activation: str, W: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The witness of DESIGN.md: every a_j = 0, so each factor is gamma W; with W = c Q every ratio is exactly 1."""
    d = W.shape[0]
    s0 = numeric(activation).phi(np.zeros(d))
    return W[None], np.zeros((1, d, 1)), (-W @ s0)[None], np.zeros((1, steps, 1)), s0[None]


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_the_tolerance_covers_the_rounding_where_the_bound_is_attained(activation: str) -> None:
    """At the tightness witness the exact ratio is 1 at every lag: the computed one must be within 1 +- tol, not above."""
    gamma = numeric(activation).gamma
    for seed, d, c in [(0, 3, 0.8), (1, 8, 1.3), (2, 5, 1.0)]:
        Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
        W = (c / gamma) * Q
        bounds = chain_bounds_batched(*_tight(activation, W, 60), activation)
        lam = float(np.linalg.norm(W, 2))
        ratios = np.exp(log_ratios(bounds.log_norms[0], gamma, lam))
        tol = bound_tolerance(bounds.log_norms[0], bounds.log_magnitudes[0], float(bounds.slope_errors[0]), d, gamma, lam)
        assert np.all(ratios <= 1 + tol) and np.all(ratios >= 1 - tol)
        assert np.all(tol < 1e-10)


def test_the_tolerance_grows_with_the_slope_error_and_the_magnitude() -> None:
    logs, mags = np.zeros(10), np.zeros(10)
    base = bound_tolerance(logs, mags, 1e-15, 4, 1.0, 1.0)
    assert np.all(bound_tolerance(logs, mags, 1e-13, 4, 1.0, 1.0) > base)
    assert np.all(bound_tolerance(logs, mags - 30.0, 1e-15, 4, 1.0, 1.0) < base)  # a small magnitude: the componentwise bound wins
    assert np.all(np.diff(base[::-1]) > 0)  # longer lags (smaller k) get larger tolerances


def test_a_ratio_beyond_its_tolerance_fails_the_sweep() -> None:
    result = sweep("tanh", 3, 10, 4, 0)
    row = result.rows[0]
    broken = Trial(row.trial, row.scale, row.gamma_lambda, 1.0 + 2 * row.tolerance, row.lag_at_max, row.log_norm_T, row.tolerance)
    assert not broken.holds
    assert not SweepResult(result.config, (broken, *result.rows[1:])).holds
    within = Trial(row.trial, row.scale, row.gamma_lambda, 1.0 + row.tolerance / 2, row.lag_at_max, row.log_norm_T, row.tolerance)
    assert SweepResult(result.config, (within, *result.rows[1:])).holds


def test_the_default_range_draws_gamma_lambda_on_both_sides_of_1(default_sweep: SweepResult) -> None:
    low, high = default_sweep.gamma_lambda_range
    assert low < 1 < high
    assert 0 < default_sweep.above_one < len(default_sweep.rows)


def test_same_seed_same_csv_other_seed_other_csv() -> None:
    first, second = (sweep("sigmoid", 4, 12, 25, 7).to_csv() for _ in range(2))
    assert first == second
    assert sweep("sigmoid", 4, 12, 25, 8).to_csv() != first


def test_csv_is_a_header_and_one_exact_row_per_trial() -> None:
    result = sweep("tanh", 3, 10, 6, 1)
    table = list(csv.DictReader(io.StringIO(result.to_csv())))
    assert len(table) == 6 and result.to_csv().count("\n") == 7
    for record, row in zip(table, result.rows, strict=True):
        assert (record["activation"], record["dim"], record["steps"], record["seed"]) == ("tanh", "3", "10", "1")
        assert float(record["gamma_lambda"]) == row.gamma_lambda and float(record["log_norm_T"]) == row.log_norm_T
        assert 1 <= int(record["lag_at_max"]) <= 10


def test_progress_is_called_after_every_batch() -> None:
    calls: list[tuple[int, int]] = []
    result = sweep("tanh", 2, 5, 2 * BATCH + 2, 0, progress=lambda done, total: calls.append((done, total)))
    total = 2 * BATCH + 2
    assert calls == [(BATCH, total), (2 * BATCH, total), (total, total)]
    assert [row.trial for row in result.rows] == list(range(total))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("swish2", 8, 50, 10, 0), "--activation: 'swish2' is not allowed (allowed: elu, gelu, hard_sigmoid"),
        (("tanh", 0, 50, 10, 0), "--dim: 0 is not allowed (allowed: an integer from 1 to 512)"),
        (("tanh", 513, 50, 10, 0), "--dim: 513 is not allowed (allowed: an integer from 1 to 512)"),
        (("tanh", 8, 10_001, 10, 0), "--steps: 10001 is not allowed (allowed: an integer from 1 to 10000)"),
        (("tanh", 8, 50, 100_001, 0), "--trials: 100001 is not allowed (allowed: an integer from 1 to 100000)"),
        (("tanh", 8, 50, 10, 2**64), "--seed: 18446744073709551616 is not allowed (allowed: an integer from 0 to 18446744073709551615)"),
        (("tanh", 8, 0, 10, 0), "--steps: 0 is not allowed"),
        (("tanh", 8, 50, 0, 0), "--trials: 0 is not allowed"),
        (("tanh", 8, 50, 10, -1), "--seed: -1 is not allowed (allowed: an integer from 0 to"),
        (("tanh", True, 50, 10, 0), "--dim: True is not allowed"),
        (("tanh", 2.5, 50, 10, 0), "--dim: 2.5 is not allowed"),
    ],
)
def test_bad_arguments_raise_config_error(arguments: tuple[str, int, int, int, int], message: str) -> None:
    with pytest.raises(derive.ConfigError) as caught:
        sweep(*arguments)
    assert str(caught.value).startswith(message)


def test_cli_writes_csv_svg_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert cli(["--trials", "20", "--steps", "10", "--dim", "4", "--seed", "3", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["sweep.csv", "sweep.pdf", "sweep.svg"]
    assert (out / "sweep.csv").read_text() == sweep("tanh", 4, 10, 20, 3).to_csv()
    assert (out / "sweep.svg").read_bytes() == render("svg", "tanh")
    assert (out / "sweep.pdf").read_bytes().startswith(b"%PDF")
    captured = capsys.readouterr()
    assert "lag checks                    200" in captured.out and "bound holds                   yes" in captured.out
    assert "20/20 trials" in captured.err and "wrote" in captured.err


def test_cli_quiet_prints_only_the_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["--trials", "2", "--steps", "3", "--activation", "sigmoid", "--out", str(tmp_path), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out.startswith("activation")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dim", "0"], "error: --dim: 0 is not allowed (allowed: an integer from 1 to 512)"),
        (
            ["--activation", "swish2"],
            "error: --activation: 'swish2' is not allowed "
            "(allowed: elu, gelu, hard_sigmoid, hard_tanh, identity, leaky_relu, relu, sigmoid, silu, softplus, softsign, tanh)",
        ),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert cli([*args, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err == message + "\n" and captured.out == ""
    assert not out.exists()


def test_cli_unwritable_out_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli(["--trials", "1", "--steps", "2", "--out", str(blocker / "sub"), "--quiet"]) == 2
    assert capsys.readouterr().err.startswith("error: --out:")


def test_figure_lines_hit_their_targets_and_stay_under_the_bound() -> None:
    """The figure's networks (its draws replayed here) stay under the bound up to the sweep's rounding tolerance."""
    for activation in ("tanh", "sigmoid"):
        gamma = numeric(activation).gamma
        lines = figure_lines(activation, dim=5, steps=20, seed=2)
        rng = np.random.default_rng(2)
        G, U, b, xs = rng.standard_normal((5, 5)), rng.standard_normal((5, INPUT_DIM)), 0.5 * rng.standard_normal(5), rng.standard_normal((20, INPUT_DIM))
        assert [line.target for line in lines] == [0.7, 1.0, 1.5]
        for line in lines:
            assert line.gamma_lambda == pytest.approx(line.target, rel=1e-12)
            W = G * (line.target / gamma / np.linalg.norm(G, 2))
            bounds = chain_bounds_batched(W[None], U[None], b[None], xs[None], np.zeros((1, 5)), activation)
            np.testing.assert_allclose(bounds.log_norms[0][::-1], line.log_norms, rtol=2e-11)  # the certificate may be RELATIVE above
            tol = bound_tolerance(bounds.log_norms[0], bounds.log_magnitudes[0], float(bounds.slope_errors[0]), 5, gamma, line.gamma_lambda / gamma)
            assert np.all(line.log_norms <= line.log_bound + np.log1p(tol[::-1]))


def test_plot_is_byte_reproducible_in_one_process(tmp_path: Path) -> None:
    for suffix in (".svg", ".pdf"):
        first, second = plot(tmp_path / f"a{suffix}"), plot(tmp_path / f"b{suffix}")
        assert first.read_bytes() == second.read_bytes()
    svg = (tmp_path / "a.svg").read_text()
    assert "<dc:date>" not in svg and mpl.__version__ not in svg
    assert b"CreationDate" not in (tmp_path / "a.pdf").read_bytes()


def test_a_figure_drawn_once_and_saved_twice_is_each_format_drawn_alone() -> None:
    from verify.figure import render_all

    both = render_all(("pdf", "svg"), "sigmoid", dim=4, steps=12)
    assert both == {fmt: render(fmt, "sigmoid", dim=4, steps=12) for fmt in ("pdf", "svg")}
    with pytest.raises(derive.ConfigError, match="figure format"):
        render_all(("svg", "png"))


def test_plot_ignores_the_callers_rcparams(tmp_path: Path) -> None:
    plain = render("svg")
    with mpl.rc_context({"lines.linewidth": 5.0, "font.size": 20.0, "svg.hashsalt": None}):
        assert render("svg") == plain
    assert mpl.rcParams["svg.hashsalt"] is None


def test_plot_is_byte_reproducible_across_processes(tmp_path: Path) -> None:
    here = [plot(tmp_path / "here.svg"), plot(tmp_path / "here.pdf")]
    code = f"from pathlib import Path; from verify.figure import plot; plot(Path({str(tmp_path)!r}) / 'there.svg'); plot(Path({str(tmp_path)!r}) / 'there.pdf')"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "86400", "PYTHONHASHSEED": "123"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
    for path in here:
        assert (tmp_path / f"there{path.suffix}").read_bytes() == path.read_bytes()


def test_plot_rejects_other_suffixes(tmp_path: Path) -> None:
    with pytest.raises(derive.ConfigError, match=r"a file name ending in \.pdf or \.svg"):
        plot(tmp_path / "figure.png")

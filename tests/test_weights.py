"""python -m verify --weights: your own network, read from .npy, .npz or safetensors, against PyTorch's autograd.

tests/data/rnn-tanh.safetensors is a seeded torch.nn.RNN (float64) saved once by tools/rnn_fixture.py, beside its
inputs and the norms of its autograd Jacobians; where PyTorch is installed the tests also recompute those through the
module, and check a freshly drawn module the same way.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from derive.errors import InputError
from verify.__main__ import cli
from verify.weights import benettin, load_weights, report

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
FIXTURE, INPUTS, AUTOGRAD = DATA / "rnn-tanh.safetensors", DATA / "rnn-tanh-inputs.npy", DATA / "rnn-tanh-autograd.npy"
HAVE_TORCH = importlib.util.find_spec("torch") is not None


def _tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("rnn_fixture", ROOT / "tools" / "rnn_fixture.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _csv(path: Path) -> np.ndarray:
    lines = path.read_text().splitlines()
    assert lines[0] == "lag,norm,bound,sharper_bound"
    return np.array([[float(x) for x in line.split(",")] for line in lines[1:]])


def test_the_norms_agree_with_pytorch_autograd(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Per lag, ||ds_T/ds_k||_2 from the file equals the autograd Jacobian's through nn.RNN (committed; live where torch is)."""
    assert cli(["--weights", str(FIXTURE), "--inputs", str(INPUTS), "--out", str(tmp_path), "--quiet"]) == 0
    table = _csv(tmp_path / "weights.csv")
    expected = np.load(AUTOGRAD)[::-1]  # by lag 1 .. T
    assert table[:, 0].tolist() == list(range(1, len(expected) + 1))
    np.testing.assert_allclose(table[:, 1], expected, rtol=1e-10)
    out = capsys.readouterr().out
    assert "W = weight_hh_l0 (6 x 6); U = weight_ih_l0 (6 x 3); b = bias_ih_l0 + bias_hh_l0 (6)" in out
    if HAVE_TORCH:
        from safetensors.numpy import load_file

        live = _tool().autograd_norms(load_file(str(FIXTURE)), np.load(INPUTS))
        np.testing.assert_allclose(live[::-1], expected, rtol=1e-12)  # the committed reference is what torch gives
        _a_freshly_drawn_module_agrees(tmp_path / "fresh")


def _a_freshly_drawn_module_agrees(tmp_path: Path) -> None:
    """Where torch is installed: a new nn.RNN, saved under a module prefix, against its own autograd Jacobians."""
    import torch
    from safetensors.numpy import save_file

    tmp_path.mkdir()
    torch.manual_seed(123)
    rnn = torch.nn.RNN(2, 5, nonlinearity="tanh", dtype=torch.float64)
    state = {name: value.detach().numpy().copy() for name, value in rnn.state_dict().items()}
    save_file({f"rnn.{name}": value for name, value in state.items()}, str(tmp_path / "model.safetensors"))
    xs = np.random.default_rng(5).standard_normal((9, 2))
    np.save(tmp_path / "xs.npy", xs)
    assert cli(["--weights", str(tmp_path / "model.safetensors"), "--inputs", str(tmp_path / "xs.npy"), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    np.testing.assert_allclose(_csv(tmp_path / "out" / "weights.csv")[:, 1], _tool().autograd_norms(state, xs)[::-1], rtol=1e-10)


def test_the_comparison_catches_a_transposed_w() -> None:
    """Broken on purpose: W^T in place of W (the classic layout slip) no longer matches autograd."""
    weights = load_weights(FIXTURE)
    flipped = type(weights)(weights.W.T.copy(), weights.U, weights.b, weights.used)
    norms = report(flipped, np.load(INPUTS)).norms
    assert not np.allclose(norms, np.load(AUTOGRAD)[::-1], rtol=1e-6)


def test_the_sharper_bound_lies_between_the_norm_and_the_bound(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for scale in (0.5, 1.0, 3.0):
        W = scale * rng.standard_normal((7, 7)) / np.sqrt(7)
        np.savez(tmp_path / "w.npz", W=W, U=rng.standard_normal((7, 2)), b=rng.standard_normal(7))
        r = report(load_weights(tmp_path / "w.npz"), rng.standard_normal((40, 2)))
        assert np.all(r.norms <= r.sharper * (1 + 1e-9)) and np.all(r.sharper <= r.bound * (1 + 1e-12))
        assert np.all(r.step_slopes <= r.gamma)


def test_npy_npz_and_safetensors_read_the_same_network(tmp_path: Path) -> None:
    weights = load_weights(FIXTURE)
    np.savez(tmp_path / "w.npz", W=weights.W, U=weights.U, b=weights.b)
    np.save(tmp_path / "w.npy", weights.W)
    again = load_weights(tmp_path / "w.npz")
    assert np.array_equal(again.W, weights.W) and np.array_equal(again.U, weights.U) and np.array_equal(again.b, weights.b)
    alone = load_weights(tmp_path / "w.npy")
    assert np.array_equal(alone.W, weights.W) and alone.U is None and alone.b is None and alone.used == ("W = W (6 x 6)",)


def test_benettin_against_the_product_itself() -> None:
    """The finite-time top exponent is (1/n) ln ||J_n ... J_1 e_1||, and d exponents sum to (1/T) sum ln |det J_j|."""
    rng = np.random.default_rng(3)
    d, T = 4, 30
    W = 1.3 * rng.standard_normal((d, d)) / np.sqrt(d)
    slopes = rng.uniform(0.1, 1.0, (T, d))
    spectrum, top = benettin(slopes, W, frame=d)
    v = np.eye(d)[:, 0]
    for n in range(T):
        v = (slopes[n][:, None] * W) @ v
        assert top[n] == pytest.approx(np.log(np.linalg.norm(v)) / (n + 1), rel=1e-10, abs=1e-12)
    dets = sum(np.log(abs(np.linalg.det(slopes[n][:, None] * W))) for n in range(T))
    assert spectrum.sum() == pytest.approx(dets / T, rel=1e-10)


def _refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    out = tmp_path / "out"
    assert cli([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and "Traceback" not in err
    assert not out.exists()  # nothing written
    return err


def test_bad_files_get_one_line_naming_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    np.savez(tmp_path / "keys.npz", A=np.eye(3))
    assert "no recurrent weight matrix" in _refused(tmp_path, capsys, "--weights", str(tmp_path / "keys.npz"))
    np.savez(tmp_path / "rect.npz", W=np.ones((3, 4)))
    assert "weights" in _refused(tmp_path, capsys, "--weights", str(tmp_path / "rect.npz"))
    (tmp_path / "text.npz").write_text("not an archive")
    assert "not a .npz file" in _refused(tmp_path, capsys, "--weights", str(tmp_path / "text.npz"))
    (tmp_path / "junk.safetensors").write_bytes(b"\xff" * 64)
    assert "not a .safetensors file" in _refused(tmp_path, capsys, "--weights", str(tmp_path / "junk.safetensors"))
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY garbage")
    assert "not a .npy file" in _refused(tmp_path, capsys, "--weights", str(tmp_path / "junk.npy"))
    (tmp_path / "w.pt").write_bytes(b"")
    assert "must end in .npy, .npz or .safetensors" in _refused(tmp_path, capsys, "--weights", str(tmp_path / "w.pt"))
    assert "no such file" in _refused(tmp_path, capsys, "--weights", str(tmp_path / "missing.npz"))
    np.savez(tmp_path / "nan.npz", W=np.full((2, 2), np.nan))
    assert "not finite" in _refused(tmp_path, capsys, "--weights", str(tmp_path / "nan.npz"))


def test_bad_inputs_get_one_line_naming_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    np.save(tmp_path / "w.npy", np.eye(3) * 0.5)
    np.save(tmp_path / "xs.npy", np.ones((5, 2)))
    assert "no input weights" in _refused(tmp_path, capsys, "--weights", str(tmp_path / "w.npy"), "--inputs", str(tmp_path / "xs.npy"))
    np.save(tmp_path / "wide.npy", np.ones((5, 4)))
    assert "not T x 3" in _refused(tmp_path, capsys, "--weights", str(FIXTURE), "--inputs", str(tmp_path / "wide.npy"))
    assert "only with --weights" in _refused(tmp_path, capsys, "--inputs", str(tmp_path / "xs.npy"))
    assert "--activation" in _refused(tmp_path, capsys, "--weights", str(FIXTURE), "--activation", "swish2")


def test_missing_key_names_the_file_and_what_it_has(tmp_path: Path) -> None:
    np.savez(tmp_path / "keys.npz", A=np.eye(3), B=np.eye(2))
    with pytest.raises(InputError, match=r"keys\.npz: no recurrent weight matrix: expected a key W or weight_hh_l0 \(nn\.RNN\); the file has A, B"):
        load_weights(tmp_path / "keys.npz")


def test_random_inputs_are_seeded_and_the_files_are_reproducible(tmp_path: Path) -> None:
    for run in ("a", "b"):
        assert cli(["--weights", str(FIXTURE), "--steps", "30", "--seed", "4", "--out", str(tmp_path / run), "--quiet"]) == 0
    for name in ("weights.csv", "weights.svg", "weights.pdf"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert len(_csv(tmp_path / "a" / "weights.csv")) == 30


def test_a_two_layer_file_uses_layer_0_and_says_so(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    layers = {f"{kind}_l{n}": rng.standard_normal(shape) for n in (0, 1) for kind, shape in (("weight_hh", (4, 4)), ("weight_ih", (4, 3 if n == 0 else 4)))}
    np.savez(tmp_path / "two.npz", **layers)
    weights = load_weights(tmp_path / "two.npz")
    assert np.array_equal(weights.W, layers["weight_hh_l0"]) and weights.b is None
    assert weights.used[-1] == "layer 0 of 2 (the bound is per layer)"


def test_two_candidates_for_w_are_refused_by_name(tmp_path: Path) -> None:
    np.savez(tmp_path / "both.npz", W=np.eye(2), **{"rnn.weight_hh_l0": np.eye(2)})
    with pytest.raises(InputError, match=r"ambiguous: W, rnn\.weight_hh_l0"):
        load_weights(tmp_path / "both.npz")

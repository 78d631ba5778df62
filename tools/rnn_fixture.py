"""Make the PyTorch nn.RNN fixture the tests of ``python -m verify --weights`` read (needs torch and safetensors).

    python tools/rnn_fixture.py            # writes tests/data/rnn-tanh.safetensors, rnn-tanh-inputs.npy, rnn-tanh-autograd.npy

The module is seeded and in float64; its state_dict is saved as safetensors (weight_ih_l0, weight_hh_l0, bias_ih_l0,
bias_hh_l0), the inputs as .npy, and ||ds_T/ds_k||_2 for k = 0 .. T-1 from the autograd Jacobian through the module
(``autograd_norms``) as .npy, so that the suite compares against PyTorch where PyTorch is not installed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SEED, INPUTS, HIDDEN, STEPS, SCALE = 7, 3, 6, 12, 1.6


def autograd_norms(state: dict[str, np.ndarray], xs: np.ndarray) -> np.ndarray:
    """||ds_T/ds_k||_2 for k = 0 .. T-1 through torch.nn.RNN (tanh, one layer, h_0 = 0), by autograd Jacobians."""
    import torch

    hidden, inputs = state["weight_hh_l0"].shape[0], state["weight_ih_l0"].shape[1]
    rnn = torch.nn.RNN(inputs, hidden, nonlinearity="tanh", dtype=torch.float64)
    rnn.load_state_dict({name: torch.from_numpy(np.asarray(value, dtype=np.float64)) for name, value in state.items()})
    x = torch.from_numpy(np.asarray(xs, dtype=np.float64))
    states = [torch.zeros(hidden, dtype=torch.float64)]
    with torch.no_grad():
        for j in range(len(x)):  # s_1 .. s_T through the module itself, one step at a time
            states.append(rnn(x[j : j + 1], states[-1][None])[1][0])
    norms = np.empty(len(x))
    for k in range(len(x)):

        def forward(h: torch.Tensor, k: int = k) -> torch.Tensor:
            return rnn(x[k:], h[None])[1][0]  # s_T from s_k, through the module (unbatched: h_n is 1 x d)

        jacobian = torch.autograd.functional.jacobian(forward, states[k])
        norms[k] = float(torch.linalg.matrix_norm(jacobian, ord=2))
    return norms


def main() -> None:
    import torch
    from safetensors.numpy import save_file

    torch.manual_seed(SEED)
    rnn = torch.nn.RNN(INPUTS, HIDDEN, nonlinearity="tanh", dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_hh_l0.mul_(SCALE)  # gamma lambda near 1: neither regime obvious
    state = {name: value.detach().numpy().copy() for name, value in rnn.state_dict().items()}
    xs = np.random.default_rng(SEED).standard_normal((STEPS, INPUTS))
    DATA.mkdir(parents=True, exist_ok=True)
    save_file(state, str(DATA / "rnn-tanh.safetensors"))
    np.save(DATA / "rnn-tanh-inputs.npy", xs)
    np.save(DATA / "rnn-tanh-autograd.npy", autograd_norms(state, xs))
    print(f"wrote {DATA.relative_to(ROOT)}: rnn-tanh.safetensors, rnn-tanh-inputs.npy, rnn-tanh-autograd.npy (torch {torch.__version__})")


if __name__ == "__main__":
    main()

"""PyTorch peer of the snu benchmarks: the SNU layer as a plain per-time-step loop, the spike's
backward pass a torch.autograd.Function with the tanh surrogate. CPU, 2 threads. See README.md.

    benchmarks/.venv/bin/python benchmarks/peers/torch_snu.py            # every workload, one process each
    benchmarks/.venv/bin/python benchmarks/peers/torch_snu.py a          # one workload
    options: --hoist (x W for all steps as one product)  --budget S  --max-first S

Prints one JSON line per workload.
"""

from __future__ import annotations

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_harness import DECAY, INITIAL_BIAS, main, make_data, tanh_spike, workload_call  # noqa: E402


def build(w: dict, args):
    import torch

    spike = tanh_spike(torch)  # y = step(z); dy/dz = 1 - tanh(z)^2

    class SNU(torch.nn.Module):
        def __init__(self, m: int, n: int):
            super().__init__()
            r = math.sqrt(6 / (m + n))  # Glorot uniform
            self.W = torch.nn.Parameter(torch.empty(m, n).uniform_(-r, r))
            self.b = torch.nn.Parameter(torch.full((n,), INITIAL_BIAS))

        def forward(self, xs: list) -> list:
            """xs: T tensors [B, m]; returns y_1..y_T, [B, n] each."""
            T = len(xs)
            # unbind (not xw[t]): its backward is one stack, where T separate selects would
            # each scatter into a zero tensor the size of the whole sequence.
            xw = (torch.stack(xs).reshape(-1, xs[0].shape[-1]) @ self.W).reshape(T, xs[0].shape[0], -1).unbind(0) if args.hoist else None
            s = y = None
            ys = []
            for t in range(T):
                a = xw[t] if args.hoist else xs[t] @ self.W  # x_t W
                if s is not None:
                    a = a + DECAY * s * (1 - y)  # + l s_{t-1} (1 - y_{t-1}), gradient through the reset gate too
                s = torch.relu(a)
                y = spike(s + self.b)
                ys.append(y)
            return ys

    sizes = [w["input_size"], *w["layers"]]
    net = torch.nn.ModuleList([SNU(m, n) for m, n in zip(sizes, sizes[1:])])
    x, y = make_data(torch, w)
    xs = list(x.unbind(0))

    def forward():
        h = xs
        for layer in net:
            h = layer(h)
        return h

    call = workload_call(torch, w, net.parameters(), forward, y)
    notes = ["x W hoisted out of the time loop" if args.hoist else "x_t W per step", "Adam (torch.optim, foreach)" if w["kind"] == "train" else ""]
    return call, {"notes": [n for n in notes if n]}


if __name__ == "__main__":
    main(
        "torch",
        build,
        add_args=lambda p: p.add_argument("--hoist", action="store_true", help="compute x W for all steps as one product"),
        peer_suffix=lambda a: "+hoist" if a.hoist else "",
    )

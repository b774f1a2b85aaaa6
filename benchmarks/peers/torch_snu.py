"""PyTorch peer of the snu benchmarks: the SNU layer as a plain per-time-step loop, the spike's
backward pass a torch.autograd.Function with the tanh surrogate. CPU, 2 threads. See README.md.

    benchmarks/.venv/bin/python benchmarks/peers/torch_snu.py            # every workload, one process each
    benchmarks/.venv/bin/python benchmarks/peers/torch_snu.py a          # one workload
    options: --hoist (x W, conv(x, W) and pooling for all steps as one call)  --budget S  --max-first S

Prints one JSON line per workload.
"""

from __future__ import annotations

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_harness import DECAY, conv_plan, initial_bias, main, make_data, tanh_spike, workload_call  # noqa: E402


def build_cell(torch, w: dict):
    """A workload with `cell`: PyTorch's own nn.LSTM / nn.GRU (its fused CPU kernels) for every
    layer but the last, and an nn.Linear output at every step."""
    Cell = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[w["cell"]]
    sizes = [w["input_size"], *w["layers"]]
    rnns = torch.nn.ModuleList([Cell(a, b) for a, b in zip(sizes[:-2], sizes[1:-1])])
    out = torch.nn.Linear(sizes[-2], sizes[-1])
    net = torch.nn.ModuleList([rnns, out])
    x, y = make_data(torch, w)

    def forward():
        h = x  # [T, B, m]
        for rnn in rnns:
            h, _ = rnn(h)
        return list(out(h).unbind(0))

    call = workload_call(torch, w, net.parameters(), forward, y)
    mkldnn = torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled
    return call, {"notes": [f"torch.nn.{Cell.__name__} (oneDNN {'available' if mkldnn else 'off'})", "Adam (torch.optim, foreach)"]}


def build(w: dict, args):
    import torch

    if "cell" in w:
        return build_cell(torch, w)

    F = torch.nn.functional
    spike = tanh_spike(torch)  # y = step(z); dy/dz = 1 - tanh(z)^2

    def recur(a_seq, b) -> list:
        """The SNU state and spikes over time from the input terms a_t = x_t W (or conv(x_t, W))."""
        s = y = None
        ys = []
        for a in a_seq:
            if s is not None:
                a = a + DECAY * s * (1 - y)  # + l s_{t-1} (1 - y_{t-1}), gradient through the reset gate too
            s = torch.relu(a)
            y = spike(s + b)
            ys.append(y)
        return ys

    def per_step_or_hoisted(xs: list, product) -> list:
        """product(x) of each step's input, or, with --hoist, of all T steps as one call.
        unbind (not [t]): its backward is one stack, where T separate selects would each
        scatter into a zero tensor the size of the whole sequence."""
        if not args.hoist:
            return [product(x) for x in xs]
        T, B = len(xs), xs[0].shape[0]
        h = product(torch.stack(xs).reshape(T * B, *xs[0].shape[1:]))
        return h.reshape(T, B, *h.shape[1:]).unbind(0)

    class SNU(torch.nn.Module):
        def __init__(self, m: int, n: int):
            super().__init__()
            r = math.sqrt(6 / (m + n))  # Glorot uniform
            self.W = torch.nn.Parameter(torch.empty(m, n).uniform_(-r, r))
            self.b = torch.nn.Parameter(torch.full((n,), initial_bias(w)))

        def forward(self, xs: list) -> list:
            """xs: T tensors [B, m]; returns y_1..y_T, [B, n] each."""
            return recur(per_step_or_hoisted(xs, lambda x: x @ self.W), self.b)

    class SNUConv(torch.nn.Module):
        """SNU dynamics on a convolution, one bias per filter, then average pooling."""

        def __init__(self, c: int, filters: int, kernel: int, padding: int, pool: int):
            super().__init__()
            r = math.sqrt(6 / ((c + filters) * kernel * kernel))  # Glorot uniform over the kernel
            self.W = torch.nn.Parameter(torch.empty(filters, c, kernel, kernel).uniform_(-r, r))
            self.b = torch.nn.Parameter(torch.full((filters, 1, 1), initial_bias(w)))
            self.padding, self.pool = padding, pool

        def forward(self, xs: list) -> list:
            """xs: T tensors [B, C, H, W]; returns the pooled spikes, [B, filters, H', W'] each."""
            ys = recur(per_step_or_hoisted(xs, lambda x: F.conv2d(x, self.W, padding=self.padding)), self.b)
            return per_step_or_hoisted(ys, lambda y: F.avg_pool2d(y, self.pool))

    plan, m = conv_plan(w)
    layers = [SNUConv(l["channels"], l["filters"], l["kernel"], l["padding"], l["pool"]) for l in plan]
    conv_layers = len(layers)
    x, y = make_data(torch, w)
    sizes = [m, *w["layers"]]
    layers += [SNU(a, b) for a, b in zip(sizes, sizes[1:])]
    net = torch.nn.ModuleList(layers)
    xs = list(x.unbind(0))

    def forward():
        h = xs
        for i, layer in enumerate(net):
            if i == conv_layers and conv_layers:
                h = [v.flatten(1) for v in h]
            h = layer(h)
        return h

    call = workload_call(torch, w, net.parameters(), forward, y)
    notes = [
        ("x W and conv(x, W) hoisted out of the time loop" if args.hoist else "x_t W and conv(x_t, W) per step"),
        "F.conv2d (oneDNN) and F.avg_pool2d" if conv_layers else "",
        "Adam (torch.optim, foreach)" if w["kind"] == "train" else "",
    ]
    return call, {"notes": [n for n in notes if n]}


if __name__ == "__main__":
    main(
        "torch",
        build,
        add_args=lambda p: p.add_argument("--hoist", action="store_true", help="compute x W, conv(x, W) and pooling for all steps as one call"),
        peer_suffix=lambda a: "+hoist" if a.hoist else "",
    )

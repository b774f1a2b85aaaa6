"""snnTorch peer of the snu benchmarks: snnTorch's nearest neuron to the SNU, `snn.Leaky` with
reset_mechanism="zero", beta 0.8 and threshold 1, behind an `nn.Linear`, stepped in a plain
time loop (the snnTorch tutorials' style). CPU, 2 threads. See README.md for how it differs
from the SNU.

    benchmarks/.venv/bin/python benchmarks/peers/snntorch_leaky.py          # every workload, one process each
    benchmarks/.venv/bin/python benchmarks/peers/snntorch_leaky.py a d
    options: --surrogate atan|tanh (default atan, snnTorch's default)  --budget S  --max-first S

Prints one JSON line per workload.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_harness import DECAY, main, make_data, tanh_spike, workload_call  # noqa: E402


def build(w: dict, args):
    import torch
    import snntorch as snn

    if args.surrogate == "tanh":
        spike_grad = tanh_spike(torch)  # the SNU's surrogate, 1 - tanh(z)^2
    else:
        spike_grad = None  # snnTorch's default: surrogate.atan(alpha=2)

    sizes = [w["input_size"], *w["layers"]]
    fcs = torch.nn.ModuleList([torch.nn.Linear(m, n) for m, n in zip(sizes, sizes[1:])])
    lifs = torch.nn.ModuleList(
        [snn.Leaky(beta=DECAY, threshold=1.0, reset_mechanism="zero", spike_grad=spike_grad) for _ in w["layers"]]
    )
    net = torch.nn.ModuleList([fcs, lifs])
    x, y = make_data(torch, w)

    def forward():
        mems = [lif.reset_mem() for lif in lifs]
        ys = []
        for t in range(w["steps"]):
            h = x[t]
            for i, (fc, lif) in enumerate(zip(fcs, lifs)):
                h, mems[i] = lif(fc(h), mems[i])
            ys.append(h)
        return ys

    call = workload_call(torch, w, net.parameters(), forward, y)
    notes = [
        f"snn.Leaky(beta={DECAY}, threshold=1, reset_mechanism='zero') after nn.Linear; surrogate {args.surrogate}",
        "reset detached (snnTorch), no relu on the membrane",
    ]
    return call, {"notes": notes, "fields": {"snntorch": snn.__version__}}


if __name__ == "__main__":
    main(
        "snntorch",
        build,
        add_args=lambda p: p.add_argument("--surrogate", choices=["atan", "tanh"], default="atan"),
        peer_suffix=lambda a: "" if a.surrogate == "atan" else f"+{a.surrogate}",
    )

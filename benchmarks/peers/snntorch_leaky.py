"""snnTorch peer of the snu benchmarks: snnTorch's nearest neuron to the SNU, `snn.Leaky` with
reset_mechanism="zero", beta 0.8 and threshold 1 (minus the SNU's initial bias), behind an
`nn.Linear` or `nn.Conv2d`, stepped in a plain time loop (the snnTorch tutorials' style). CPU,
2 threads. See README.md for how it differs from the SNU.

    benchmarks/.venv/bin/python benchmarks/peers/snntorch_leaky.py          # every workload, one process each
    benchmarks/.venv/bin/python benchmarks/peers/snntorch_leaky.py a d
    options: --surrogate atan|tanh (default atan, snnTorch's default)  --budget S  --max-first S

Prints one JSON line per workload.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_harness import DECAY, conv_plan, initial_bias, main, make_data, refuse_cells, tanh_spike, workload_call  # noqa: E402


def build(w: dict, args):
    import torch
    import snntorch as snn

    refuse_cells(w)

    if args.surrogate == "tanh":
        spike_grad = tanh_spike(torch)  # the SNU's surrogate, 1 - tanh(z)^2
    else:
        spike_grad = None  # snnTorch's default: surrogate.atan(alpha=2)

    F = torch.nn.functional
    x, y = make_data(torch, w)

    def leaky():
        return snn.Leaky(beta=DECAY, threshold=-initial_bias(w), reset_mechanism="zero", spike_grad=spike_grad)

    # Convolutions (snnTorch's tutorial style: nn.Conv2d, then Leaky, then pooling of the
    # spikes), then the dense layers on the flattened spikes.
    plan, m = conv_plan(w)
    convs = torch.nn.ModuleList([torch.nn.Conv2d(l["channels"], l["filters"], l["kernel"], padding=l["padding"]) for l in plan])
    pools = [l["pool"] for l in plan]
    sizes = [m, *w["layers"]]
    fcs = torch.nn.ModuleList([torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])
    lifs = torch.nn.ModuleList([leaky() for _ in [*convs, *fcs]])
    net = torch.nn.ModuleList([convs, fcs, lifs])

    def forward():
        mems = [lif.reset_mem() for lif in lifs]
        ys = []
        for t in range(w["steps"]):
            h = x[t]
            for i, (conv, pool) in enumerate(zip(convs, pools)):
                h, mems[i] = lifs[i](conv(h), mems[i])
                h = F.avg_pool2d(h, pool)
            if convs:
                h = h.flatten(1)
            for i, fc in enumerate(fcs, start=len(convs)):
                h, mems[i] = lifs[i](fc(h), mems[i])
            ys.append(h)
        return ys

    call = workload_call(torch, w, net.parameters(), forward, y)
    notes = [
        f"snn.Leaky(beta={DECAY}, threshold={-initial_bias(w):g}, reset_mechanism='zero') after nn.Linear" + (" and nn.Conv2d (average pooling of the spikes)" if convs else "") + f"; surrogate {args.surrogate}",
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

"""Norse peer of the snu benchmarks (optional): Norse's nearest neuron to the SNU,
`LIFBoxCell` (a LIF neuron without a synaptic current, reset to 0), behind an `nn.Linear`,
stepped in a plain time loop. tau_mem_inv = 200/s with dt = 1 ms gives the SNU's decay
l = 1 - dt/tau = 0.8 (Norse scales the input by dt/tau = 0.2, which only rescales W).
Norse's default surrogate (SuperSpike, alpha 100); its reset is not detached. CPU, 2 threads.

    benchmarks/.venv/bin/python benchmarks/peers/norse_lif.py            # every workload, one process each
    benchmarks/.venv/bin/python benchmarks/peers/norse_lif.py a d

Prints one JSON line per workload.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_harness import DECAY, Unsupported, main, make_data, refuse_cells, workload_call  # noqa: E402

DT = 1e-3


def build(w: dict, args):
    import torch
    import norse
    from norse.torch import LIFBoxCell, LIFBoxParameters

    refuse_cells(w)
    if "conv" in w:
        raise Unsupported("this peer builds dense LIF layers only (the conv workloads are measured against PyTorch and snnTorch)")
    p = LIFBoxParameters(tau_mem_inv=torch.as_tensor((1 - DECAY) / DT), v_th=torch.as_tensor(1.0), v_reset=torch.as_tensor(0.0))
    sizes = [w["input_size"], *w["layers"]]
    fcs = torch.nn.ModuleList([torch.nn.Linear(m, n) for m, n in zip(sizes, sizes[1:])])
    cells = torch.nn.ModuleList([LIFBoxCell(p, dt=DT) for _ in w["layers"]])
    net = torch.nn.ModuleList([fcs, cells])
    x, y = make_data(torch, w)

    def forward():
        states = [None] * len(cells)
        ys = []
        for t in range(w["steps"]):
            h = x[t]
            for i, (fc, cell) in enumerate(zip(fcs, cells)):
                h, states[i] = cell(fc(h), states[i])
            ys.append(h)
        return ys

    call = workload_call(torch, w, net.parameters(), forward, y)
    notes = ["norse LIFBoxCell (l = 0.8 via tau_mem_inv = 200/s, dt = 1 ms) after nn.Linear; SuperSpike surrogate; reset not detached; no relu on the membrane"]
    return call, {"notes": notes, "fields": {"norse": getattr(norse, "__version__", "?")}}


if __name__ == "__main__":
    main("norse", build)

"""Run the NIR file examples/nir-snntorch.ts wrote in snnTorch, on the same input spikes, and
compare its spike counts with snu's (docs/nir.md, "Guide").

    python examples/nir_snntorch.py nir-guide
"""
import contextlib
import json
import sys
from pathlib import Path

import nir
import numpy as np
import torch
from snntorch.import_nir import import_from_nir

folder = Path(sys.argv[1] if len(sys.argv) > 1 else "nir-guide")
meta = json.loads((folder / "meta.json").read_text())
steps, batch, features = meta["steps"], meta["batch"], meta["features"]
x = np.fromfile(folder / "inputs.f32", dtype=np.float32).reshape(steps, batch, features)
snu_counts = np.fromfile(folder / "snu-counts.f32", dtype=np.float32).reshape(batch, -1)
labels = np.array(meta["labels"])

with contextlib.redirect_stdout(sys.stderr):  # the importer prints progress
    net = import_from_nir(nir.read(folder / "mnist.nir"))
print("snnTorch modules:", ", ".join(f"{name} {type(m).__name__}" for name, m in net.named_children()))
state = None
counts = 0
with torch.no_grad():
    for t in range(steps):
        step = torch.from_numpy(x[t])
        y, state = net(step) if state is None else net(step, state)
        counts = counts + y.numpy()
right = int((counts.argmax(1) == labels).sum())
print(f"snnTorch: {right} of {batch} test images right ({100 * right / batch:.1f} %)")
same = int((counts == snu_counts).all(1).sum())
print(f"spike counts equal to snu's for {same} of {batch} images; largest difference {np.abs(counts - snu_counts).max():.0f} spikes")

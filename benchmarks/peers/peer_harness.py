"""Shared harness of the Python benchmark peers (torch_snu.py, snntorch_leaky.py, norse_lif.py).

The workloads are those of benchmarks/workloads.json (read here, as by the JavaScript runners). A peer script defines `build(workload, args)`
returning a callable that runs one call of the workload (train step, forward+backward, or
forward), and calls `main(peer_name, build)`.

With one workload the script measures it in its own process; with none or several it runs
each workload in a child process of its own (so that peak RSS belongs to one workload) and
prints the children's JSON lines. A child whose first repetition takes longer than
--max-first seconds (default 120) is stopped and the workload reported as skipped-too-slow.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time

def _load_workloads() -> tuple[dict, dict]:
    """benchmarks/workloads.json, with the keys the Python peers use (`input_size`)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "workloads.json")
    with open(path) as f:
        data = json.load(f)
    workloads = {}
    for wid, w in data["workloads"].items():
        w = dict(w)
        w["input_size"] = w.pop("inputSize")
        workloads[wid] = w
    return workloads, data["unit"]


WORKLOADS, _UNIT = _load_workloads()
DECAY = float(_UNIT["decay"])
INITIAL_BIAS = float(_UNIT["initialBias"])


def initial_bias(w: dict) -> float:
    """The workload's initial bias of every SNU layer (its own, or the unit's); in snnTorch and
    Norse terms the threshold is its negative."""
    return float(w.get("initialBias", INITIAL_BIAS))
LR = float(_UNIT["lr"])
# Gate blocks of a recurrent cell (as CELL_GATES in workloads.mjs).
CELL_GATES = {"lstm": 4, "gru": 3}
THREADS = 2
# A first repetition longer than SLOW seconds is timed once more only; longer than TOO_SLOW,
# it is the only measurement.
SLOW = 30.0
TOO_SLOW = 45.0


def conv_plan(w: dict) -> tuple[list[dict], int]:
    """The workload's convolutions (stride 1, then pooling), each with its input channels and
    output size `[filters, OH, OW]` before pooling, and the flat size the dense layers receive."""
    if "conv" not in w:
        return [], w["input_size"]
    plan = []
    c, h, wd = w["inputShape"]
    for l in w["conv"]:
        oh, ow = h + 2 * l["padding"] - l["kernel"] + 1, wd + 2 * l["padding"] - l["kernel"] + 1
        plan.append(dict(l, channels=c, out_h=oh, out_w=ow))
        c, h, wd = l["filters"], oh // l["pool"], ow // l["pool"]
    return plan, c * h * wd


def dense_flops(w: dict) -> float:
    """As denseFlops in workloads.mjs: 2·T·B·(multiply-adds), three times that with a backward pass."""
    plan, m = conv_plan(w)
    macs = sum(l["filters"] * l["out_h"] * l["out_w"] * l["channels"] * l["kernel"] ** 2 for l in plan)
    for i, n in enumerate(w["layers"]):
        gates = CELL_GATES[w["cell"]] if "cell" in w and i < len(w["layers"]) - 1 else 0
        macs += gates * n * (m + n) if gates else m * n
        m = n
    forward = 2 * w["steps"] * w["batch"] * macs
    return forward if w["kind"] == "predict" else 3 * forward


def rss_mb(field: str = "VmRSS") -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux; also read VmHWM where it exists (same number, process-wide).
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_data(torch, w: dict, seed: int = 1):
    """Time-major spikes x [T, B, m] (or [T, B, C, H, W] with an inputShape) with `density` active inputs, and the targets of
    benchmarks/snu-bench.ts: row r has a one at unit r % n (rows = B, or T*B for a
    sequence readout)."""
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(w["steps"], w["batch"], w["input_size"], generator=g) < w["density"]).float()
    if "inputShape" in w:
        x = x.reshape(w["steps"], w["batch"], *w["inputShape"])
    out = w["layers"][-1]
    rows = w["steps"] * w["batch"] if w["readout"] == "sequence" else w["batch"]
    y = torch.zeros(rows, out)
    y[torch.arange(rows), torch.arange(rows) % out] = 1.0
    return x, y


def tanh_spike(torch):
    """The SNU's spike for torch: y = step(z) = [z > 0] forward, dy/dz = 1 - tanh(z)^2 backward."""

    class Spike(torch.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return (z > 0).to(z.dtype)

        @staticmethod
        def backward(ctx, dy):
            (z,) = ctx.saved_tensors
            return dy * (1 - torch.tanh(z) ** 2)

    return Spike.apply


def workload_call(torch, w: dict, params, forward, y):
    """The call a workload times: a train step (forward, BPTT, torch.optim.Adam), a forward and
    backward pass, or an inference forward pass; `forward()` returns the outputs y_1..y_T."""
    opt = torch.optim.Adam(params, lr=LR)
    params = list(opt.param_groups[0]["params"])

    def train():
        opt.zero_grad(set_to_none=True)
        loss_fn(torch, w, forward(), y).backward()
        opt.step()

    def gradients():
        for p in params:
            p.grad = None
        loss_fn(torch, w, forward(), y).backward()

    def predict():
        with torch.inference_mode():
            torch.stack(forward()).sum(0)

    return {"train": train, "gradients": gradients, "predict": predict}[w["kind"]]


def loss_fn(torch, w: dict, ys: list, y):
    """Losses of docs/equations.md on the readout of the last layer's spikes `ys` (T tensors [B, n])."""
    F = torch.nn.functional
    if w["readout"] == "last":  # o = y_T
        return F.cross_entropy(ys[-1], y) if w["loss"] == "softmaxCrossEntropy" else F.mse_loss(ys[-1], y)
    if w["loss"] == "softmaxCrossEntropy":  # mean over B of Σ_k t_k (logΣe^o - o_k), o = Σ_t y_t
        return F.cross_entropy(torch.stack(ys).sum(0), y)
    if w["loss"] == "mse":  # mean over B of (1/n) Σ_k (o_k - t_k)^2
        return F.mse_loss(torch.stack(ys).sum(0), y)
    # sigmoid BCE with the spikes of every step as logits, summed over units, mean over T·B rows
    o = torch.stack(ys).reshape(-1, ys[0].shape[-1])
    return F.binary_cross_entropy_with_logits(o, y, reduction="sum") / o.shape[0]


class _TooSlow(Exception):
    pass


class Unsupported(Exception):
    """Raised by a peer's build() for a workload it does not model (reported, not measured)."""


def refuse_cells(w: dict) -> None:
    """For the spiking peers: the LSTM / GRU workloads are measured against PyTorch's own cells."""
    if "cell" in w:
        raise Unsupported(f"an {w['cell'].upper()} workload, measured against torch.nn.{w['cell'].upper()} (the torch peer)")


def _measure(peer: str, build, wid: str, args) -> dict:
    import torch

    torch.set_num_threads(THREADS)
    torch.manual_seed(1)
    w = WORKLOADS[wid]
    try:
        call, extra = build(w, args)
    except Unsupported as e:
        return dict(peer=peer, workload=wid, samplesPerSec=None, peakRssMB=None, note=f"not measured: {e}")
    # RSS once the libraries are imported and the model is built: the part of peak RSS that
    # is not the workload's own (the CUDA build of torch maps ~0.5 GB of libraries).
    base = dict(peer=peer, workload=wid, threads=torch.get_num_threads(), torch=torch.__version__, baselineRssMB=rss_mb(), **extra.get("fields", {}))

    def on_alarm(signum, frame):
        raise _TooSlow()

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(args.max_first))
    t0 = time.perf_counter()
    try:
        call()
    except _TooSlow:
        return dict(base, samplesPerSec=None, peakRssMB=peak_rss_mb(), note=f"skipped-too-slow: first repetition still running after {args.max_first:g} s")
    finally:
        signal.alarm(0)
    first = time.perf_counter() - t0

    if first > TOO_SLOW:
        reps, times = 0, [first]
    else:
        reps = 1 if first > SLOW else max(3, min(30, int(args.budget / first)))
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
    times.sort()
    median = times[len(times) // 2]
    notes = [
        f"first repetition only ({first:.1f} s), no separate warm-up" if reps == 0 else f"median of {reps} after 1 warm-up ({first:.2f} s)",
        *extra.get("notes", []),
    ]
    return dict(
        base,
        samplesPerSec=w["batch"] / median,
        secondsPerCall=median,
        gflops=dense_flops(w) / median / 1e9,
        peakRssMB=peak_rss_mb(),
        repetitions=len(times),
        note="; ".join(notes),
    )


def _use_venv() -> None:
    """Re-run under benchmarks/.venv's Python when this one has no torch and that one exists."""
    try:
        import torch  # noqa: F401
        return
    except ImportError:
        pass
    venv_py = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".venv", "bin", "python")
    if os.path.exists(venv_py) and os.path.abspath(sys.executable) != os.path.abspath(venv_py) and not os.environ.get("SNU_PEER_NO_REEXEC"):
        os.environ["SNU_PEER_NO_REEXEC"] = "1"
        os.execv(venv_py, [venv_py, *sys.argv])


def main(peer: str, build, add_args=None, peer_suffix=None) -> None:
    _use_venv()
    p = argparse.ArgumentParser(description=f"{peer} peer of the snu benchmarks")
    p.add_argument("workloads", nargs="*", help=f"any of {', '.join(WORKLOADS)} (default: all, each in its own process)")
    p.add_argument("--budget", type=float, default=float(os.environ.get("SNU_PEER_BUDGET", 10)), help="seconds of timed repetitions per workload (default 10)")
    p.add_argument("--max-first", type=float, default=120.0, help="skip a workload whose first repetition takes longer (default 120 s)")
    if add_args:
        add_args(p)
    args = p.parse_args()
    for wid in args.workloads:
        if wid not in WORKLOADS:
            p.error(f"unknown workload {wid}; known: {', '.join(WORKLOADS)}")
    if peer_suffix:
        peer = peer + peer_suffix(args)

    if len(args.workloads) == 1:
        wid = args.workloads[0]
        try:
            result = _measure(peer, build, wid, args)
        except ImportError as e:
            result = dict(peer=peer, workload=wid, samplesPerSec=None, peakRssMB=None, note=f"not installed: {e} (run benchmarks/peers/install-python-peers.sh)")
        print(json.dumps(result), flush=True)
        return

    # Parent: one child process per workload.
    flags = [a for a in sys.argv[1:] if a not in WORKLOADS]
    for wid in args.workloads or list(WORKLOADS):
        proc = subprocess.run([sys.executable, sys.argv[0], wid, *flags], stdout=subprocess.PIPE, text=True)
        lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
        for l in proc.stdout.splitlines():
            if not l.startswith("{") and l.strip():
                print(l, file=sys.stderr)
        if lines:
            print(lines[-1], flush=True)
        else:
            print(json.dumps(dict(peer=peer, workload=wid, samplesPerSec=None, peakRssMB=None, note=f"failed: exit {proc.returncode}")), flush=True)

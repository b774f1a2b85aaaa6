#!/usr/bin/env bash
# Installs the Python benchmark peers into benchmarks/.venv: CPU PyTorch, snnTorch and
# (optionally) Norse, from PyPI alone. Idempotent: a second run only checks.
#
#   bash benchmarks/peers/install-python-peers.sh            # torch + snntorch + norse
#   SNU_PEERS_NO_NORSE=1 bash benchmarks/peers/install-python-peers.sh
#
# Why not plain `pip install torch`: PyPI's Linux x86-64 torch wheel is the CUDA build, and
# its dependencies (cuda-toolkit, cudnn, nccl, cusparselt, nvshmem, triton, ...) come to
# about 2.9 GB of downloads. CPU-only wheels (`+cpu`) are served only by PyTorch's own index,
# which this machine cannot reach. The wheel cannot be installed with --no-deps alone either:
# libtorch.so links libtorch_cuda.so, which links libcudart, cublas, cudnn, ... at load
# time, so `import torch` fails without them. So we install torch with --no-deps, its
# pure-Python dependencies, and only the NVIDIA runtime libraries that torch's shared
# objects actually link (read from torch's own metadata, at the versions it pins), leaving
# out triton, cuda-bindings, cusolver and nvtx, which are only used on a GPU. That is
# about 2.3 GB of downloads instead of 2.9 GB; nothing CUDA-related is ever initialised
# on CPU. Set SNU_PEERS_FULL_TORCH=1 to install torch with all of its dependencies instead.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${SNU_PEERS_VENV:-$(cd "$HERE/.." && pwd)/.venv}"
PYTHON="${PYTHON:-python3}"
TORCH_VERSION="${SNU_PEERS_TORCH_VERSION:-2.15.0}"
SNNTORCH_VERSION="${SNU_PEERS_SNNTORCH_VERSION:-1.0.0}"
NORSE_VERSION="${SNU_PEERS_NORSE_VERSION:-1.1.0}"

log() { printf '[install-python-peers] %s\n' "$*" >&2; }

if [ ! -x "$VENV/bin/python" ]; then
  log "creating venv $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
pip_() { "$PY" -m pip --disable-pip-version-check "$@"; }

have() { "$PY" - "$@" <<'EOF' 2>/dev/null
import importlib, sys
mod, want = sys.argv[1], sys.argv[2]
m = importlib.import_module(mod)
if mod == "torch":
    import torch
    (torch.ones(2, requires_grad=True) * 2).sum().backward()
sys.exit(0 if m.__version__.split("+")[0] == want else 1)
EOF
}

# --- torch -------------------------------------------------------------------------------
if have torch "$TORCH_VERSION"; then
  log "torch $TORCH_VERSION already works"
elif [ "${SNU_PEERS_FULL_TORCH:-0}" = 1 ]; then
  log "installing torch $TORCH_VERSION with all dependencies"
  pip_ install "torch==$TORCH_VERSION" numpy
else
  log "installing torch $TORCH_VERSION (--no-deps) and the libraries it links"
  pip_ install --no-deps "torch==$TORCH_VERSION"
  # Requirements of the installed torch, minus the GPU-only ones. cuda-toolkit's extras
  # name the CUDA libraries; cusolver (lazily loaded CUDA linear algebra) and nvtx (GPU
  # profiling markers) are dropped, as are triton (GPU compiler) and cuda-bindings.
  mapfile -t REQS < <("$PY" - <<'EOF'
import re
from importlib.metadata import distribution
skip = {"triton", "cuda-bindings"}
drop_extras = {"cusolver", "nvtx"}
out = []
for line in distribution("torch").requires or []:
    spec, _, marker = line.partition(";")
    marker = marker.strip()
    if "extra ==" in marker:
        continue  # optional extras (optree, opt-einsum, pyyaml)
    if marker and 'platform_system == "Linux"' not in marker and "python_version" not in marker:
        continue
    spec = spec.strip()
    name = re.split(r"[\[<>=!~ ]", spec, 1)[0].lower()
    if name in skip:
        continue
    m = re.match(r"([^\[]+)\[([^\]]*)\](.*)", spec)
    if m:
        extras = [e for e in m.group(2).split(",") if e.strip() not in drop_extras]
        spec = f"{m.group(1)}[{','.join(extras)}]{m.group(3)}"
    out.append(spec.replace(" ", ""))
print("\n".join(out))
EOF
  )
  log "torch requirements installed: ${REQS[*]}"
  pip_ install "${REQS[@]}" numpy
  if ! have torch "$TORCH_VERSION"; then
    log "trimmed torch does not import; falling back to the full dependency set"
    pip_ install "torch==$TORCH_VERSION"
  fi
fi

# --- snnTorch (declares no dependencies; needs torch and numpy) ---------------------------
if have snntorch "$SNNTORCH_VERSION"; then
  log "snntorch $SNNTORCH_VERSION already works"
else
  if pip_ install --no-deps "snntorch==$SNNTORCH_VERSION"; then
    have snntorch "$SNNTORCH_VERSION" || log "WARNING: snntorch installed but does not import"
  else
    log "WARNING: snntorch did not install; snntorch_leaky.py will report it as not installed"
  fi
fi

# --- Norse (optional; --no-deps so that it cannot pull a second torch) ----------------------
if [ "${SNU_PEERS_NO_NORSE:-0}" = 1 ]; then
  log "skipping norse (SNU_PEERS_NO_NORSE=1)"
elif have norse "$NORSE_VERSION"; then
  log "norse $NORSE_VERSION already works"
else
  # norse is an sdist (setuptools_scm); nir needs h5py. torchvision is only used by norse's
  # example tasks, which the benchmark does not import.
  if pip_ install --no-deps "norse==$NORSE_VERSION" nir nirtorch && pip_ install h5py; then
    have norse "$NORSE_VERSION" || log "WARNING: norse installed but does not import (optional peer)"
  else
    log "WARNING: norse did not install (optional peer)"
  fi
fi

"$PY" - <<'EOF'
import importlib
for mod in ("torch", "snntorch", "norse", "numpy"):
    try:
        m = importlib.import_module(mod)
        print(f"{mod} {m.__version__}")
    except Exception as e:  # noqa: BLE001
        print(f"{mod} unavailable: {type(e).__name__}: {e}")
import torch
print("torch threads", torch.get_num_threads(), "| cuda available", torch.cuda.is_available())
EOF
du -sh "$VENV" 2>/dev/null | awk '{print "venv size " $1}'

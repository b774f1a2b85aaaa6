"""NIR interoperability checks run by __test__/nir-python.test.ts with the Python `nir` package
(and snnTorch, where installed). Each command prints one JSON document on stdout.

  describe FILE              nir.read(FILE): node types, parameters and edges (nested graphs too)
  snntorch-run FILE INPUT    snnTorch's import_from_nir(FILE) run over INPUT ([T][B][n] JSON)
  snntorch-make FILE INPUT   a seeded snnTorch network (Linear + Leaky, twice) run over INPUT,
                             then written to FILE with snnTorch's export_to_nir
"""
import contextlib
import json
import sys

import numpy as np
import nir


def describe_graph(g):
    nodes = {}
    for name, node in g.nodes.items():
        kind = type(node).__name__
        if kind == "NIRGraph":
            nodes[name] = {"type": kind, "graph": describe_graph(node)}
            continue
        params = {}
        for key, value in vars(node).items():
            if key in ("input_type", "output_type", "metadata") or value is None:
                continue
            a = np.asarray(value)
            if a.dtype.kind in "fiu":
                params[key] = {"shape": list(a.shape), "data": a.astype(float).ravel().tolist()}
        if kind in ("Input", "Output"):
            t = node.input_type if kind == "Input" else node.output_type
            params["shape"] = {"shape": [], "data": np.asarray(list(t.values())[0]).astype(float).ravel().tolist()}
        nodes[name] = {"type": kind, "params": params}
    return {"nodes": nodes, "edges": [list(e) for e in g.edges], "metadata": {k: (v if isinstance(v, str) else float(np.asarray(v))) for k, v in g.metadata.items()}}


def run(net, x):
    import torch

    state = None
    out = []
    with torch.no_grad():
        for step in x:
            y, state = net(torch.tensor(step, dtype=torch.float32), state) if state is not None else net(torch.tensor(step, dtype=torch.float32))
            out.append(y.numpy().tolist())
    return out


def snntorch_make(path, x):
    import torch
    import snntorch as snn
    from snntorch.export_nir import export_to_nir

    torch.manual_seed(7)
    n_in, hidden, n_out = len(x[0][0]), 16, 5

    def leaky(n, beta, threshold):
        return snn.Leaky(beta=torch.full((n,), beta), threshold=torch.full((n,), threshold), init_hidden=True, reset_mechanism="zero", reset_delay=False)

    def synaptic(n, alpha, beta, threshold):
        return snn.Synaptic(alpha=torch.full((n,), alpha), beta=torch.full((n,), beta), threshold=torch.full((n,), threshold), init_hidden=True, reset_mechanism="zero", reset_delay=False)

    # Linear layers with biases (snu's input bias), a Leaky and a Synaptic (CubaLIF) layer.
    net = torch.nn.Sequential(
        torch.nn.Linear(n_in, hidden), leaky(hidden, 0.8, 0.4),
        torch.nn.Linear(hidden, n_out), synaptic(n_out, 0.5, 0.6, 0.3),
    )
    with torch.no_grad():
        for layer in (net[0], net[2]):
            layer.weight.mul_(2.0)
    out = []
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (snn.Leaky, snn.Synaptic)):
                m.reset_hidden()
        for step in x:
            out.append(net(torch.tensor(step, dtype=torch.float32)).numpy().tolist())
    with contextlib.redirect_stdout(sys.stderr):
        graph = export_to_nir(net, torch.zeros(1, n_in), ignore_dims=[0])
    nir.write(path, graph)
    return out


def main():
    command, path = sys.argv[1], sys.argv[2]
    if command == "describe":
        print(json.dumps(describe_graph(nir.read(path))))
    elif command == "snntorch-run":
        import torch
        from snntorch.import_nir import import_from_nir

        torch.set_num_threads(1)
        x = json.load(open(sys.argv[3]))
        with contextlib.redirect_stdout(sys.stderr):  # the importer prints progress
            net = import_from_nir(nir.read(path))
        print(json.dumps(run(net, x)))
    elif command == "snntorch-make":
        import torch

        torch.set_num_threads(1)
        print(json.dumps(snntorch_make(path, json.load(open(sys.argv[3])))))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()

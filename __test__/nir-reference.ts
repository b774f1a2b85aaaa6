// An independent reference for NIR files: reads the file with h5wasm directly (not through
// ts/nir/hdf5.ts) and steps each node's NIR equation by Euler over dt in f64 (not through
// snu's mapping to SNU layers). Top-level graphs (the shared files have no nested ones): nodes
// run in depth-first order from the input, and an edge that closes a cycle carries the previous
// step's value (a recurrent connection); a node's inputs are summed.
//
//   Affine y = W x + b;  Linear y = W x;  Conv2d (stride, padding, dilation; groups 1)
//   LIF  v += dt/tau (v_leak - v + r I);  IF  v += dt r I;  z = v > v_threshold;  v = v_reset where z
//   CubaLIF  I += dt/tau_syn (w_in S - I), then v as the LIF's (tau_mem) with that I
//   SumPool2d / AvgPool2d over windows of kernel_size moved by stride;  Flatten keeps the values
import h5wasm from 'h5wasm/node';

interface RefNode {
  name: string;
  type: string;
  p: Record<string, { data: number[]; shape: number[] }>;
}

async function readGraph(path: string): Promise<{ nodes: Map<string, RefNode>; edges: [string, string][] }> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'r');
  try {
    const group = (p: string) => f.get(p) as InstanceType<typeof h5wasm.Group>;
    const flat = (f.get('node/edges') as InstanceType<typeof h5wasm.Dataset>).value as string[];
    const edges: [string, string][] = [];
    for (let i = 0; i < flat.length; i += 2) edges.push([flat[i]!, flat[i + 1]!]);
    const nodes = new Map<string, RefNode>();
    for (const name of group('node/nodes').keys()) {
      const g = group(`node/nodes/${name}`);
      const p: RefNode['p'] = {};
      for (const key of g.keys()) {
        if (key === 'type') continue;
        const d = g.get(key) as InstanceType<typeof h5wasm.Dataset>;
        const v = d.value as number | bigint | ArrayLike<number | bigint>;
        p[key] = { data: typeof v === 'object' ? Array.from(v, Number) : [Number(v)], shape: d.shape ?? [] };
      }
      nodes.set(name, { name, type: (g.get('type') as InstanceType<typeof h5wasm.Dataset>).value as string, p });
    }
    return { nodes, edges };
  } finally {
    f.close();
  }
}

/** Runs the file's graph over `steps` of `x` (`[T, inputs]`, one sample); returns `[T, outputs]`. */
export async function simulateNir(path: string, dt: number, x: Float32Array, steps: number, inputDims: number[]): Promise<Float64Array[]> {
  const { nodes, edges } = await readGraph(path);
  // Depth-first from the input: an edge to a node on the current path closes a cycle.
  const order: string[] = [];
  const back = new Set<string>();
  const done = new Set<string>();
  const visit = (n: string, path: string[]) => {
    for (const [a, b] of edges) {
      if (a !== n) continue;
      if (path.includes(b)) back.add(`${a}>${b}`);
      else if (!done.has(b)) visit(b, [...path, b]);
    }
    done.add(n);
    order.push(n);
  };
  visit('input', ['input']);
  order.reverse();
  const state = new Map<string, Float64Array>();
  const width = x.length / steps;
  const out: Float64Array[] = [];
  // Before the first step every neuron's output is 0, so what a cycle carries into step 0 is
  // its weights applied to zeros: an Affine's bias (as snnTorch's recurrent layers give).
  let prev = new Map<string, [Float64Array, number[]]>();
  for (const key of back) {
    const source = nodes.get(key.split('>')[0]!)!;
    if (source.type === 'Affine') prev.set(source.name, [Float64Array.from(source.p.bias!.data), [source.p.bias!.data.length]]);
  }
  for (let t = 0; t < steps; t++) {
    const now = new Map<string, [Float64Array, number[]]>();
    for (const name of order) {
      let input: [Float64Array, number[]] | undefined;
      if (name === 'input') input = [Float64Array.from(x.subarray(t * width, (t + 1) * width)), [...inputDims]];
      for (const [a, b] of edges) {
        if (b !== name) continue;
        const source = back.has(`${a}>${b}`) ? prev.get(a) : now.get(a);
        if (!source) continue; // a recurrent input at the first step
        if (!input) input = [Float64Array.from(source[0]), source[1]];
        else {
          const sum = input[0];
          source[0].forEach((v, i) => {
            sum[i] = sum[i]! + v;
          });
        }
      }
      if (input) now.set(name, stepNode(nodes.get(name)!, input[0], input[1], dt, state));
    }
    out.push(now.get('output')![0]);
    prev = now;
  }
  return out;
}

function stepNode(node: RefNode, x: Float64Array, dims: number[], dt: number, state: Map<string, Float64Array>): [Float64Array, number[]] {
  const p = node.p;
  switch (node.type) {
    case 'Input':
    case 'Output':
    case 'Flatten':
      return [x, node.type === 'Flatten' ? [x.length] : dims];
    case 'Affine':
    case 'Linear': {
      const [n, m] = p.weight!.shape as [number, number];
      const y = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        let acc = node.type === 'Affine' ? p.bias!.data[j]! : 0;
        for (let i = 0; i < m; i++) acc += p.weight!.data[j * m + i]! * x[i]!;
        y[j] = acc;
      }
      return [y, [n]];
    }
    case 'LIF':
    case 'IF':
    case 'CubaLIF': {
      const at = (key: string, j: number) => (p[key] ? p[key]!.data[p[key]!.data.length === 1 ? 0 : j]! : 0);
      let v = state.get(node.name);
      if (!v) state.set(node.name, (v = new Float64Array(x.length)));
      if (node.type === 'CubaLIF') {
        let current = state.get(`${node.name}#I`);
        if (!current) state.set(`${node.name}#I`, (current = new Float64Array(x.length)));
        for (let j = 0; j < x.length; j++) current[j]! += (dt / at('tau_syn', j)) * (at('w_in', j) * x[j]! - current[j]!);
        x = Float64Array.from(current);
      }
      const z = new Float64Array(x.length);
      for (let j = 0; j < x.length; j++) {
        if (node.type === 'IF') v[j]! += dt * at('r', j) * x[j]!;
        else v[j]! += (dt / at(node.type === 'LIF' ? 'tau' : 'tau_mem', j)) * (at('v_leak', j) - v[j]! + at('r', j) * x[j]!);
        if (v[j]! > at('v_threshold', j)) {
          z[j] = 1;
          v[j] = at('v_reset', j);
        }
      }
      return [z, dims];
    }
    case 'Conv2d': {
      const [o, c, kh, kw] = p.weight!.shape as [number, number, number, number];
      const [, h, w] = dims as [number, number, number];
      const [sh, sw] = p.stride!.data as [number, number];
      const [ph, pw] = p.padding!.data as [number, number];
      const [dh, dw] = p.dilation!.data as [number, number];
      const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
      const ow = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
      const y = new Float64Array(o * oh * ow);
      for (let f = 0; f < o; f++)
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++) {
            let acc = p.bias!.data[f]!;
            for (let ch = 0; ch < c; ch++)
              for (let u = 0; u < kh; u++)
                for (let q = 0; q < kw; q++) {
                  const yy = i * sh - ph + u * dh;
                  const xx = j * sw - pw + q * dw;
                  if (yy >= 0 && xx >= 0 && yy < h && xx < w) acc += p.weight!.data[((f * c + ch) * kh + u) * kw + q]! * x[(ch * h + yy) * w + xx]!;
                }
            y[(f * oh + i) * ow + j] = acc;
          }
      return [y, [o, oh, ow]];
    }
    case 'SumPool2d':
    case 'AvgPool2d': {
      const [kh, kw] = p.kernel_size!.data as [number, number];
      const [sh, sw] = p.stride!.data as [number, number];
      const [c, h, w] = dims as [number, number, number];
      const oh = Math.floor((h - kh) / sh) + 1;
      const ow = Math.floor((w - kw) / sw) + 1;
      const scale = node.type === 'AvgPool2d' ? 1 / (kh * kw) : 1;
      const y = new Float64Array(c * oh * ow);
      for (let ch = 0; ch < c; ch++)
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++) {
            let acc = 0;
            for (let u = 0; u < kh; u++) for (let q = 0; q < kw; q++) acc += x[(ch * h + i * sh + u) * w + j * sw + q]!;
            y[(ch * oh + i) * ow + j] = acc * scale;
          }
      return [y, [c, oh, ow]];
    }
    default:
      throw new Error(`the reference has no ${node.type} node`);
  }
}

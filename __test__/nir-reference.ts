// An independent reference for NIR files: reads the file with h5wasm directly (not through
// ts/nir/hdf5.ts) and steps each node's NIR equation by Euler over dt in f64 (not through
// snu's mapping to SNU layers). Chains only (Input -> ... -> Output), which the shared files are.
//
//   Affine y = W x + b;  Linear y = W x;  Conv2d (stride, padding, dilation; groups 1)
//   LIF  v += dt/tau (v_leak - v + r I);  IF  v += dt r I;  z = v > v_threshold;  v = v_reset where z
//   SumPool2d / AvgPool2d over windows of kernel_size moved by stride;  Flatten keeps the values
import h5wasm from 'h5wasm/node';

interface RefNode {
  name: string;
  type: string;
  p: Record<string, { data: number[]; shape: number[] }>;
}

async function readChain(path: string): Promise<RefNode[]> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'r');
  try {
    const group = (p: string) => f.get(p) as InstanceType<typeof h5wasm.Group>;
    const edgesSet = f.get('node/edges') as InstanceType<typeof h5wasm.Dataset>;
    const flat = edgesSet.value as string[];
    const next = new Map<string, string>();
    for (let i = 0; i < flat.length; i += 2) next.set(flat[i]!, flat[i + 1]!);
    const nodes: RefNode[] = [];
    for (let name: string | undefined = 'input'; name !== undefined; name = next.get(name)) {
      const g = group(`node/nodes/${name}`);
      const p: RefNode['p'] = {};
      for (const key of g.keys()) {
        const d = g.get(key) as InstanceType<typeof h5wasm.Dataset>;
        if (key === 'type') continue;
        const v = d.value as number | bigint | ArrayLike<number | bigint>;
        const data = typeof v === 'object' ? Array.from(v, Number) : [Number(v)];
        p[key] = { data, shape: d.shape ?? [] };
      }
      nodes.push({ name, type: (g.get('type') as InstanceType<typeof h5wasm.Dataset>).value as string, p });
    }
    return nodes;
  } finally {
    f.close();
  }
}

/** Runs the file's graph over `steps` of `x` (`[T, inputs]`, one sample); returns `[T, outputs]`. */
export async function simulateNir(path: string, dt: number, x: Float32Array, steps: number, inputDims: number[]): Promise<Float64Array[]> {
  const nodes = await readChain(path);
  const state = new Map<string, Float64Array>();
  const width = x.length / steps;
  const out: Float64Array[] = [];
  for (let t = 0; t < steps; t++) {
    let v: Float64Array = Float64Array.from(x.subarray(t * width, (t + 1) * width));
    let dims = [...inputDims];
    for (const node of nodes) [v, dims] = stepNode(node, v, dims, dt, state);
    out.push(v);
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
    case 'IF': {
      let v = state.get(node.name);
      if (!v) state.set(node.name, (v = new Float64Array(x.length)));
      const at = (key: string, j: number) => (p[key] ? p[key]!.data[p[key]!.data.length === 1 ? 0 : j]! : 0);
      const z = new Float64Array(x.length);
      for (let j = 0; j < x.length; j++) {
        if (node.type === 'LIF') v[j]! += (dt / at('tau', j)) * (at('v_leak', j) - v[j]! + at('r', j) * x[j]!);
        else v[j]! += dt * at('r', j) * x[j]!;
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

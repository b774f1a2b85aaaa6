// NIR files: the HDF5 layout `nir.write` (the Python `nir` package) produces and `nir.read`
// accepts, through h5wasm (the HDF5 C library compiled to WebAssembly). The graph itself is
// mapped to and from snu's layers in the Rust core (crates/snu-core/src/nir); this file only
// moves it between that flat form and the file.
//
//   /version                    string, the NIR version the file follows
//   /node/type                  "NIRGraph"
//   /node/nodes/<name>/type     "Affine", "LIF", ... ("NIRGraph" for a nested graph, which has
//                               its own nodes/, edges and metadata/)
//   /node/nodes/<name>/<param>  one dataset per parameter (float32/float64; sizes int64)
//   /node/edges                 [E, 2] strings, from -> to
//   <group>/metadata/<key>      optional: strings, numbers
//
// Strings are variable-length UTF-8, as h5py's `string_dtype()` writes them; arrays are gzipped
// as `nir.write` does. Nothing is stored as an HDF5 attribute (nir reads none).
import { open } from 'node:fs/promises';
import type { NirArray, NirEdge, NirGraphData, NirMeta, NirNodeData } from '../../native/index.d.cts';
import { MAX_NIR_DEPTH, MAX_NIR_NODES, MAX_NIR_VALUES } from '../generated/limits.js';

/**
 * The NIR version written into files (that of the `nir` package the layout was checked with).
 *
 * @example
 * ```ts
 * console.log(`snu writes NIR ${NIR_VERSION} files`);
 * ```
 */
export const NIR_VERSION = '1.0.8';

type H5 = typeof import('h5wasm/node').default;
type Group = InstanceType<H5['Group']>;
type Dataset = InstanceType<H5['Dataset']>;

let loaded: Promise<H5> | undefined;

/** h5wasm, loaded (and its WebAssembly compiled) on first use only. */
function h5(): Promise<H5> {
  loaded ??= import('h5wasm/node').then(async (m) => {
    await m.default.ready;
    return m.default;
  });
  return loaded;
}

/** h5wasm's dtype codes (Python struct style) for NIR's dtypes. */
const DTYPES = { float32: '<f', float64: '<d', int64: '<q' } as const;

function arrayData(a: NirArray): Float32Array | Float64Array | BigInt64Array {
  if (a.dtype === 'float32') return Float32Array.from(a.data);
  if (a.dtype === 'float64') return Float64Array.from(a.data);
  return BigInt64Array.from(a.data, (v) => BigInt(v));
}

function writeArray(group: Group, a: NirArray): void {
  const data = arrayData(a);
  const gzip = a.shape.length > 0 && data.length > 0;
  group.create_dataset({
    name: a.key,
    data,
    shape: a.shape,
    dtype: DTYPES[a.dtype as keyof typeof DTYPES],
    ...(gzip ? { chunks: a.shape, compression: 'gzip' as const } : {}),
  });
}

function writeMeta(group: Group, metadata: NirMeta[]): void {
  if (metadata.length === 0) return; // nir.write leaves out an empty metadata group
  const g = group.create_group('metadata');
  for (const m of metadata) {
    if (m.text != null) g.create_dataset({ name: m.key, data: m.text });
    else if (m.array != null) writeArray(g, { ...m.array, key: m.key });
  }
}

/** Writes the graph at `path` (`""`: the top level) of `graph` into `group`. */
function writeGraph(group: Group, graph: NirGraphData, path: string, metadata: NirMeta[]): void {
  group.create_dataset({ name: 'type', data: 'NIRGraph' });
  const nodes = group.create_group('nodes');
  for (const node of graph.nodes.filter((n) => n.graph === path)) {
    const g = nodes.create_group(node.name);
    if (node.kind === 'NIRGraph') {
      writeGraph(g, graph, path === '' ? node.name : `${path}/${node.name}`, node.metadata);
      continue;
    }
    g.create_dataset({ name: 'type', data: node.kind });
    for (const p of node.params) writeArray(g, p);
    writeMeta(g, node.metadata);
  }
  const edges = graph.edges.filter((e) => e.graph === path).flatMap((e) => [e.from, e.to]);
  group.create_dataset({ name: 'edges', data: edges, shape: [edges.length / 2, 2] });
  writeMeta(group, metadata);
}

/**
 * Writes `graph` as a NIR file at `path` (replacing it). h5wasm writes through its own file
 * system layer, so the caller writes to a temporary path and renames it into place.
 */
export async function writeNirFile(path: string, graph: NirGraphData): Promise<void> {
  const lib = await h5();
  const file = new lib.File(path, 'w');
  try {
    file.create_dataset({ name: 'version', data: NIR_VERSION });
    writeGraph(file.create_group('node'), graph, '', graph.metadata);
  } finally {
    file.close();
  }
}

/**
 * One file being read: the h5wasm module, the file's path for errors, and the values still
 * allowed (MAX_NIR_VALUES over all its datasets). A small file can hold datasets far larger
 * than itself (chunks never written read as zeros, and one array can be linked from many
 * nodes), so each dataset's size is taken from its shape before its values are read.
 */
class Reader {
  private left = MAX_NIR_VALUES;
  constructor(
    readonly lib: H5,
    readonly file: string,
  ) {}

  /** `d`'s value, once its values are counted against the file's budget. */
  value(d: Dataset, at: string): Dataset['value'] {
    const n = (d.shape ?? []).reduce((a, b) => a * Number(b), 1);
    if (n > this.left) {
      throw new Error(`${this.file}: ${at} would take the file past ${MAX_NIR_VALUES} values, the most a NIR file may hold`);
    }
    this.left -= n;
    return d.value;
  }

  /** A dataset's values as numbers with NIR's dtype, or undefined for what is not numeric. */
  array(key: string, d: Dataset, at: string): NirArray | undefined {
    const meta = d.metadata;
    // H5T classes: 0 integer, 1 float.
    if (meta.type !== 0 && meta.type !== 1) return undefined;
    const value = this.value(d, at);
    if (value == null) return undefined;
    // Straight from the typed array, without a JS array of its numbers between.
    const data =
      typeof value === 'number' || typeof value === 'bigint'
        ? Float64Array.of(Number(value))
        : value instanceof BigInt64Array || value instanceof BigUint64Array
          ? Float64Array.from(value, Number)
          : new Float64Array(value as ArrayLike<number>);
    const dtype = meta.type === 0 ? 'int64' : meta.size === 4 ? 'float32' : 'float64';
    return { key, dtype, shape: d.shape ?? [], data };
  }

  text(d: Dataset, at: string): string | undefined {
    if (d.metadata.type !== 3) return undefined; // H5T_STRING
    const v = this.value(d, at);
    return typeof v === 'string' ? v : undefined;
  }

  meta(group: Group, at: string): NirMeta[] {
    const g = group.get('metadata');
    if (!(g instanceof this.lib.Group)) return [];
    const out: NirMeta[] = [];
    for (const key of g.keys()) {
      const d = g.get(key);
      if (!(d instanceof this.lib.Dataset)) continue;
      const text = this.text(d, `${at} metadata ${JSON.stringify(key)}`);
      const array = text === undefined ? this.array(key, d, `${at} metadata ${JSON.stringify(key)}`) : undefined;
      if (text !== undefined || array !== undefined) out.push({ key, text, array });
    }
    return out;
  }

  /**
   * Reads the graph in `group` into `out` under `path`, `depth` graphs deep. HDF5 groups can
   * be linked from several places, and h5wasm cannot tell a second link from a copy: the
   * engine's limits on nesting and node count (MAX_NIR_DEPTH, MAX_NIR_NODES) are checked
   * while reading, so that a file whose links loop back or fan out is refused instead of
   * unfolded without end.
   */
  graph(group: Group, path: string, depth: number, out: NirGraphData): void {
    const { lib, file } = this;
    if (depth > MAX_NIR_DEPTH) throw new Error(`${file}: graphs nested more than ${MAX_NIR_DEPTH} deep (at ${path}): a NIR file whose groups link back to themselves?`);
    const nodes = group.get('nodes');
    if (!(nodes instanceof lib.Group)) throw new Error(`${file}: the graph ${path || '(top level)'} has no nodes group: not a NIR file`);
    for (const name of nodes.keys()) {
      const g = nodes.get(name);
      if (!(g instanceof lib.Group)) continue;
      if (out.nodes.length >= MAX_NIR_NODES) throw new Error(`${file}: more than ${MAX_NIR_NODES} nodes, the most a NIR graph may hold`);
      const nodePath = path === '' ? name : `${path}/${name}`;
      const at = `node ${JSON.stringify(nodePath)}`;
      const typeSet = g.get('type');
      const kind = typeSet instanceof lib.Dataset ? this.text(typeSet, `${at} type`) : undefined;
      if (kind === undefined) throw new Error(`${file}: node ${JSON.stringify(name)} has no type string: not a NIR file`);
      const node: NirNodeData = { graph: path, name, kind, params: [], metadata: this.meta(g, at) };
      out.nodes.push(node);
      if (kind === 'NIRGraph') {
        this.graph(g, nodePath, depth + 1, out);
        continue;
      }
      for (const key of g.keys()) {
        const d = g.get(key);
        if (key === 'type' || !(d instanceof lib.Dataset)) continue;
        const array = this.array(key, d, `${at} ${JSON.stringify(key)}`);
        if (array) node.params.push(array);
      }
    }
    const edgeSet = group.get('edges');
    const flat = edgeSet instanceof lib.Dataset ? this.value(edgeSet, `the edges of graph ${JSON.stringify(path)}`) : null;
    const names = Array.isArray(flat) ? flat : typeof flat === 'string' ? [flat] : [];
    for (let i = 0; i + 1 < names.length; i += 2) {
      out.edges.push({ graph: path, from: String(names[i]), to: String(names[i + 1]) } satisfies NirEdge);
    }
  }
}

/** HDF5's signature, at the start of a file written without a user block (as h5py writes). */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Reads the NIR file at `path` (any version from 0.1 on) as a flat graph. */
export async function readNirFile(path: string): Promise<NirGraphData> {
  // The HDF5 library reports a file it cannot parse on stderr and with an unhelpful message:
  // the signature check says what is wrong first.
  const head = new Uint8Array(8);
  const handle = await open(path, 'r');
  try {
    await handle.read(head, 0, 8, 0);
  } finally {
    await handle.close();
  }
  if (!HDF5_SIGNATURE.every((b, i) => head[i] === b)) throw new Error(`${path}: not an HDF5 file (NIR files are HDF5)`);
  const lib = await h5();
  let file: InstanceType<H5['File']>;
  try {
    file = new lib.File(path, 'r');
  } catch (e) {
    throw new Error(`${path}: an HDF5 file that cannot be read (${(e as Error).message})`);
  }
  try {
    const root = file.get('node');
    if (!(root instanceof lib.Group)) throw new Error(`${path}: no /node group: not a NIR file`);
    const reader = new Reader(lib, path);
    const out: NirGraphData = { nodes: [], edges: [], metadata: reader.meta(root, 'the graph') };
    reader.graph(root, '', 0, out);
    return out;
  } finally {
    file.close();
  }
}

// NIR import: a file written by snnTorch, Norse, Sinabs, Spyx, ... (or by `model.toNir`) as an
// snu model. The mapping lives in the Rust core (crates/snu-core/src/nir/import.rs); this file
// reads the file, builds the model from the layers the core returns and sets its weights.
import { access } from 'node:fs/promises';
import { checkKeys, checkNumber, checkObject, checkString } from '../checks.js';
import { type CompileOptions, Sequential } from '../model.js';
import { native } from '../native.js';
import type { LayerSpec } from '../spec.js';
import { readNirFile } from './hdf5.js';

export { NIR_VERSION } from './hdf5.js';

/**
 * Options of `loadNir`.
 *
 * @example
 * ```ts
 * const options: LoadNirOptions = { dt: 1e-3, compile: { loss: 'softmaxCrossEntropy', readout: 'sum' } };
 * ```
 */
export interface LoadNirOptions {
  /**
   * The time step (seconds) to run the neurons at. NIR files do not record one, and libraries
   * write for different ones: snnTorch 1e-4, Norse 1e-3, Sinabs and Spyx 1. Default: the one
   * the file records (files written by snu do); otherwise a file with LIF or IF neurons needs it.
   */
  dt?: number;
  /** How the model is compiled (it keeps the file's weights). Default `{ loss: 'softmaxCrossEntropy' }`. */
  compile?: CompileOptions;
}

/**
 * A model from a NIR file (docs/nir.md). The graph must be a chain of layers from its input to
 * its output: `Affine`/`Linear` or `Conv2d` into `LIF` or `IF` neurons become `snu` and
 * `snuConv2d` layers (recurrent when the neuron sits on a cycle with an `Affine`), other
 * `Affine`/`Conv2d` nodes `dense`/`conv2d` layers, and `SumPool2d`, `AvgPool2d`, `Flatten`
 * the pooling and flatten layers. A LIF stepped over `dt` is the SNU with decay `l = 1 - dt/tau`
 * and its weights scaled by `r dt/tau`; an IF has decay 1 and weights scaled by `r dt`. What
 * has no snu counterpart (CubaLIF's synaptic current, a constant input current, a reset
 * potential other than 0, branching graphs) is refused with an error naming the node.
 *
 * @example
 * ```ts
 * const model = await loadNir('lif_norse.nir', { dt: 1e-3 });
 * const spikes = model.predict(new Float32Array(100).fill(1), { steps: 100, batch: 1 });
 * ```
 */
export async function loadNir(path: string, options: LoadNirOptions = {}): Promise<Sequential> {
  checkString('loadNir: path', path);
  const o = checkObject('loadNir options', options);
  checkKeys('loadNir options', o, ['dt', 'compile']);
  // The engine checks the range of dt (one place for the rule).
  const dt = o.dt === undefined ? undefined : checkNumber('loadNir: dt', o.dt);
  try {
    await access(path);
  } catch (e) {
    throw new Error(`loadNir: ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const graph = await readNirFile(path).catch((e: unknown) => {
    throw new Error(`loadNir: ${(e as Error).message}`);
  });
  let imported: ReturnType<typeof native.importNir>;
  try {
    imported = native.importNir(graph, { dt });
  } catch (e) {
    throw new Error(`loadNir: ${path}: ${(e as Error).message}`);
  }
  const layers = JSON.parse(imported.layers) as LayerSpec[];
  const shape = imported.inputShape;
  const model = new Sequential(layers, shape ? { inputShape: [shape[0]!, shape[1]!, shape[2]!] } : { inputSize: imported.inputSize });
  model.compile((o.compile as CompileOptions | undefined) ?? { loss: 'softmaxCrossEntropy' });
  model.setWeights(Object.fromEntries(imported.weights.map((w) => [w.name, w.values])));
  return model;
}

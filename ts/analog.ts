// Simulated phase-change-memory crossbars (docs/design.md §3): put layers' weights on PCM devices,
// evaluate them at a time after programming, train with the devices in the loop, read the
// devices' statistics. The simulation runs in the native engine (crates/snu-core/src/pcm).
import { MAX_SEED, NAME_SEPARATOR } from './generated/limits.js';
import { checkInteger, checkJsonData, checkKeys, checkNumber, checkObject, describe } from './checks.js';
import { IDEAL_PCM as ENGINE_IDEAL_PCM } from './generated/spec.js';
import type { NativeNetwork } from './native.js';
import type { FullPcmConfig } from './spec.js';
/**
 * Conductance counts over equal bins of `[lo, hi]` µS.
 *
 * @example
 * ```ts
 * const h: ConductanceHistogram = model.analog.stats('snu_0').gPlus;
 * const width = (h.hi - h.lo) / h.counts.length; // µS per bin
 * ```
 */
export interface ConductanceHistogram {
  lo: number;
  hi: number;
  counts: number[];
}

/**
 * Device statistics of one crossbar.
 *
 * @example
 * ```ts
 * const s: AnalogStats = model.analog.stats('snu_0');
 * console.log(s.devices, s.totalPulses / s.devices, s.refreshes);
 * ```
 */
export interface AnalogStats {
  /** Devices on the tile (two per weight and pair). */
  devices: number;
  /** Histograms of the present G+ and G- conductances. */
  gPlus: ConductanceHistogram;
  gMinus: ConductanceHistogram;
  /** SET pulses since the tile was made, in all and per device (pair-major, `[pairs, k, n]`). */
  totalPulses: number;
  pulsesPlus: Uint32Array;
  pulsesMinus: Uint32Array;
  /** Pairs refreshed since the tile was made. */
  refreshes: number;
}

/**
 * What one training step sent to the devices.
 *
 * @example
 * ```ts
 * model.trainOnBatch(batch);
 * const u: DeviceUpdate = model.analog.lastUpdate; // e.g. { pulsesPlus: 8, pulsesMinus: 1, refreshes: 0, capped: 0 }
 * ```
 */
export interface DeviceUpdate {
  pulsesPlus: number;
  pulsesMinus: number;
  refreshes: number;
  /** Weights whose pulses were held back by `update.maxPulsesPerUpdate`. */
  capped: number;
}

/**
 * A PCM crossbar configuration: any subset of each section of the engine's `FullPcmConfig` (the
 * type is derived from the generated one, so a field added in Rust appears here); every field left out
 * keeps the default of docs/design.md §3 (gMax 25 µS, programming noise, drift and 1/f read noise of
 * Nandakumar et al. as aihwkit implements them, DAC 7 bits + sign, ADC 9 bits with bound 12,
 * output noise 0.06, one differential pair per weight, global drift compensation on).
 *
 * @example
 * ```ts
 * const pcm: PcmConfig = { cell: { pairsPerWeight: 2 }, periphery: { adcBits: null } };
 * ```
 */
export type PcmConfig = {
  [K in keyof FullPcmConfig]?: FullPcmConfig[K] extends object ? Partial<FullPcmConfig[K]> : FullPcmConfig[K];
};

/**
 * A configuration with every non-ideality off: the crossbar computes `x W` exactly.
 *
 * @example
 * ```ts
 * model.analog.program('all', { config: IDEAL_PCM }); // then switch effects on one at a time
 * ```
 */
export const IDEAL_PCM: PcmConfig = ENGINE_IDEAL_PCM;

/**
 * How `AnalogControl.program` puts weights on devices.
 *
 * @example
 * ```ts
 * const options: ProgramOptions = { seed: 7, weightRange: 2, config: { device: { driftScale: 0 } } };
 * model.analog.program('all', options);
 * ```
 */
export interface ProgramOptions {
  /** The crossbar configuration (docs/design.md §3 defaults for whatever is left out). */
  config?: PcmConfig;
  /** Seed of the first layer's devices (layer `i` of the list gets `seed + i`). Default 0. */
  seed?: number;
  /**
   * The weight that maps to `gMax` (larger ones clip). Default: each matrix's `max|W|`. Give
   * room above the present weights to train in the loop from a fresh initialisation.
   */
  weightRange?: number;
}

/**
 * The crossbar controls of a model (`model.analog`). Layers are named as in the model spec
 * (`snu_0`, `dense_1`, ... when not named).
 *
 * @example
 * ```ts
 * model.analog.program(['snu_0', 'dense_1'], { seed: 1 });   // trained weights onto devices
 * model.analog.setTime(3600);                                 // one hour of drift
 * const { loss } = await model.evaluate(test);
 * ```
 */
export class AnalogControl {
  readonly #net: NativeNetwork;
  /** The layers with a matrix a crossbar can hold. */
  readonly #weightLayers: string[];

  /** @internal Made by `Sequential.analog`. */
  constructor(net: NativeNetwork, weightLayers: string[]) {
    this.#net = net;
    this.#weightLayers = weightLayers;
  }

  /**
   * Puts the layers' weight matrices (`W` of snu and untied dense layers) on crossbars and
   * programs the present weights onto the devices (programming noise, `t = 0`). Layer `i` of
   * the list gets devices seeded by `seed + i`. Training afterwards runs with the devices in
   * the loop: forward on the devices, backward in software, updates by mixed precision.
   *
   * @example
   * ```ts
   * model.analog.program('all', { seed: 1 });               // every snu and untied dense layer
   * model.analog.program(['dense_1'], { config: IDEAL_PCM }); // one layer, without non-idealities
   * ```
   */
  program(layers: string[] | 'all' = 'all', options: ProgramOptions = {}): void {
    const names = this.#resolve(layers);
    const o = checkObject('program: options', options, true);
    checkKeys('program: options', o, ['config', 'seed', 'weightRange']);
    const seed = checkInteger('seed', o.seed ?? 0, 0, MAX_SEED - names.length);
    checkJsonData('config', o.config ?? {});
    const config = JSON.stringify(o.config ?? {});
    const range = options.weightRange === undefined ? undefined : checkNumber('weightRange', options.weightRange, { min: 1e-30 });
    names.forEach((name, i) => this.#net.setAnalog(name, config, seed + i, range));
  }

  /**
   * Takes layers off their crossbars; they keep the weights the devices hold now.
   *
   * @example
   * ```ts
   * model.analog.remove(['dense_1']);
   * model.analog.remove(); // all
   * ```
   */
  remove(layers: string[] | 'all' = 'all'): void {
    const names = layers === 'all' ? this.layers() : this.#resolve(layers);
    for (const name of names) this.#net.setAnalog(name, null, 0);
  }

  /**
   * The layers on crossbars.
   *
   * @example
   * ```ts
   * model.analog.layers(); // e.g. ['snu_0', 'dense_1']
   * ```
   */
  layers(): string[] {
    return this.#net.analogLayers();
  }

  /**
   * Moves every crossbar to `seconds` after programming: drift, then one read with 1/f noise.
   *
   * @example
   * ```ts
   * for (const t of [1, 3600, 86_400]) {
   *   model.analog.setTime(t);
   *   console.log(t, (await model.evaluate(test)).loss);
   * }
   * ```
   */
  setTime(seconds: number): void {
    this.#net.setAnalogTime(checkNumber('seconds', seconds, { min: 0 }));
  }

  /**
   * Global drift compensation on or off (on by default).
   *
   * @example
   * ```ts
   * model.analog.setDriftCompensation(false); // see what drift alone does
   * ```
   */
  setDriftCompensation(on: boolean): void {
    if (typeof on !== 'boolean') throw new TypeError(`on: expected a boolean, got ${describe(on)}`);
    this.#net.setDriftCompensation(on);
  }

  /**
   * Conductance histograms and pulse counts of a layer's devices; `bins` overrides the
   * configured number of histogram bins.
   *
   * @example
   * ```ts
   * const { devices, totalPulses, gPlus } = model.analog.stats('snu_0', 25);
   * ```
   */
  stats(layer: string, bins?: number): AnalogStats {
    return this.#net.analogStats(layer, bins);
  }

  /**
   * Pulses and refreshes the last training step sent to the devices.
   *
   * @example
   * ```ts
   * await model.trainOnBatchAsync(batch);
   * console.log(model.analog.lastUpdate.pulsesPlus);
   * ```
   */
  get lastUpdate(): DeviceUpdate {
    return this.#net.lastDeviceUpdate;
  }

  #resolve(layers: string[] | 'all'): string[] {
    if (layers === 'all') return [...this.#weightLayers];
    if (!Array.isArray(layers) || layers.some((l) => typeof l !== 'string')) {
      throw new TypeError(`layers: expected 'all' or an array of layer names, got ${describe(layers)}`);
    }
    return layers;
  }
}

/**
 * Limited weight precision: rounds every weight matrix `W` (or those of `layers`) to `bits`-bit
 * symmetric uniform levels, `W_q = round(W / d) · d` with `d = max|W| / (2^(bits-1) - 1)`
 * per matrix (so `2^bits - 1` levels, 0 among them). Returns the quantised weights to pass to
 * `model.setWeights`.
 *
 * @example
 * ```ts
 * model.setWeights(quantizeWeights(model.getWeights(), 4));
 * ```
 */
export function quantizeWeights(weights: Record<string, Float32Array>, bits: number, layers?: string[]): Record<string, Float32Array> {
  if (typeof weights !== 'object' || weights === null) throw new TypeError(`weights: expected a record of parameter name to Float32Array (model.getWeights()), got ${describe(weights)}`);
  checkInteger('bits', bits, 2, 24);
  if (layers !== undefined && (!Array.isArray(layers) || layers.some((l) => typeof l !== 'string'))) throw new TypeError(`layers: expected an array of layer names, got ${describe(layers)}`);
  const levels = 2 ** (bits - 1) - 1;
  const out: Record<string, Float32Array> = {};
  for (const [name, w] of Object.entries(weights)) {
    const [layer, param] = name.split(NAME_SEPARATOR);
    if (param !== 'W' || (layers && !layers.includes(layer!))) continue;
    if (!(w instanceof Float32Array)) throw new TypeError(`weights['${name}']: expected a Float32Array, got ${describe(w)}`);
    let max = 0;
    for (let i = 0; i < w.length; i++) {
      const v = w[i]!;
      if (!Number.isFinite(v)) throw new RangeError(`weights['${name}']: value at index ${i} is ${v}, expected a finite number`);
      max = Math.max(max, Math.abs(v));
    }
    const d = max / levels;
    out[name] = d === 0 ? w.slice() : w.map((v) => Math.round(v / d) * d);
  }
  return out;
}

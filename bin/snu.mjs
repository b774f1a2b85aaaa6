#!/usr/bin/env node
// The `snu` command (see `snu --help`). In a clone of the repository (TypeScript sources and tsx
// present) it builds the native addon if it is missing or stale and runs ts/cli/main.ts through
// tsx, so that `node bin/snu.mjs` works right after `npm install` and never runs an outdated
// build. In an installed package (no sources) it runs the compiled dist/cli/main.js, and never
// tsx or cargo. Help and --version need no addon, so they never build it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = (relative) => fileURLToPath(new URL(relative, import.meta.url));

/** Prints a message without a stack trace and exits. */
function fail(message, code = 1) {
  process.stderr.write(`${message.startsWith('snu: ') ? '' : 'snu: '}${message}\n`);
  process.exit(code);
}

async function tsxRegister() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return undefined; // tsx is a dev dependency: absent from an installed package
  }
}

/** True for `snu`, `snu help …`, `snu --version` and any `--help`: these need no native addon. */
function needsNoAddon(args) {
  const [first] = args;
  return first === undefined || ['help', '-v', '--version'].includes(first) || args.includes('--help') || args.includes('-h');
}

async function loadMain() {
  const source = file('../ts/cli/main.ts');
  const register = existsSync(source) ? await tsxRegister() : undefined;
  if (register) {
    const ensure = file('../scripts/ensure-native.mjs');
    if (existsSync(ensure) && !needsNoAddon(process.argv.slice(2))) {
      // Its messages go to stderr: stdout carries results (`snu eval --json`).
      const r = spawnSync(process.execPath, [ensure], { stdio: ['ignore', 2, 2] });
      if (r.status !== 0) process.exit(r.status ?? 1);
    }
    register();
    return import(new URL('../ts/cli/main.ts', import.meta.url).href);
  }
  const built = file('../dist/cli/main.js');
  if (existsSync(built)) return import(new URL('../dist/cli/main.js', import.meta.url).href);
  return fail('neither dist/cli/main.js nor the TypeScript sources with tsx were found; run `npm run build` or `npm install`');
}

let cli;
try {
  cli = await loadMain();
} catch (error) {
  // A module that fails to load (the native addon, most likely) explains itself in its message.
  fail(error instanceof Error ? error.message : String(error));
}
await cli.run();

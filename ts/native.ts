// The one file that imports the native addon (napi-rs). Everything else imports from here.
//
// The addon is loaded on first use, not on import: `snu --help`, the config checks and anything
// else that never touches the engine work without it, and a missing addon is reported once it is
// needed, with what to install or build, instead of failing every import of the package.
import { createRequire } from 'node:module';
import type * as Binding from '../native/index.d.cts';

const require = createRequire(import.meta.url);

/** The napi-rs platform names of the prebuilt packages (package.json `napi.targets`). */
const PREBUILT = ['linux-x64-gnu', 'linux-arm64-gnu', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc'];

/** This machine in napi-rs's naming (`linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`, …). */
function platformName(): string {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform === 'win32') return `${base}-msvc`;
  if (process.platform !== 'linux') return base;
  let glibc = true;
  try {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    glibc = typeof report?.header?.glibcVersionRuntime === 'string';
  } catch {
    // keep glibc: by far the common case
  }
  return `${base}-${glibc ? 'gnu' : 'musl'}`;
}

function packageVersion(): string {
  try {
    return (require('../package.json') as { version: string }).version;
  } catch {
    return 'latest';
  }
}

/** First lines of an error and of its `cause` chain (the napi loader chains every attempt). */
function causes(error: unknown): string[] {
  const lines: string[] = [];
  for (let e: unknown = error, depth = 0; e != null && depth < 10; depth++) {
    const message = e instanceof Error ? e.message : String(e);
    const first = message.split('\n')[0]!.trim();
    // The loader's own summary blames an npm bug, and snu has no WASI build: the native
    // attempts say what happened.
    if (first && !first.startsWith('Cannot find native binding') && !/wasi/i.test(first) && !lines.includes(first)) lines.push(first);
    e = e instanceof Error ? e.cause : undefined;
  }
  return lines.reverse(); // the chain holds the last attempt first
}

/** The error for an addon that did not load: which platform, what to install, how to build it. */
function missingAddon(error: unknown): Error {
  const platform = platformName();
  const version = packageVersion();
  const pkg = `snu-${platform}`;
  const build = 'To build it from source: in a clone of the repository, `npm run build:native` (needs Rust >= 1.89 and a C linker).';
  const advice = PREBUILT.includes(platform)
    ? `Its prebuilt binary is the package ${pkg}, an optional dependency of snu that npm installs with it. ` +
      `Install it with \`npm install ${pkg}@${version}\`; if npm left it out (--omit=optional, or a package-lock.json ` +
      'written on another platform), delete node_modules and package-lock.json and run `npm install` again.'
    : `There is no prebuilt binary for ${platform} (prebuilt: ${PREBUILT.join(', ')}).`;
  const detail = causes(error);
  return new Error(
    `snu's native addon could not be loaded on ${platform} (${process.platform} ${process.arch}, Node ${process.version}).\n` +
      `${advice}\n${build}` +
      (detail.length > 0 ? `\nDetails: ${detail.slice(0, 4).join('; ')}` : ''),
    { cause: error },
  );
}

let binding: typeof Binding | undefined;

/**
 * Loads the addon now (if not loaded yet) and returns it; throws the error above when it cannot.
 * The `snu` command calls it before any command that needs the engine, so that a missing addon
 * is reported as such and not as a failure of whatever used it first.
 */
export function loadBinding(): typeof Binding {
  if (binding === undefined) {
    try {
      binding = require('../native/index.cjs') as typeof Binding;
    } catch (error) {
      throw missingAddon(error);
    }
  }
  return binding;
}

/** The addon's exports, loaded on first access (see above). */
export const native: typeof Binding = new Proxy({} as typeof Binding, {
  get: (_target, key) => Reflect.get(loadBinding(), key),
  has: (_target, key) => Reflect.has(loadBinding(), key),
});
export type NativeNetwork = Binding.Network;
export type NativeBatch = Binding.BatchArg;

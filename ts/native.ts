// The one file that imports the native addon (napi-rs). Everything else imports from here.
import { createRequire } from 'node:module';
import type * as Binding from '../native/index.d.cts';

const require = createRequire(import.meta.url);

function loadBinding(): typeof Binding {
  try {
    return require('../native/index.cjs') as typeof Binding;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `snu: the native addon could not be loaded (${reason}). ` +
        'In a clone of the repository, build it with `npm run build:native` (needs Rust).',
    );
  }
}

export const native = loadBinding();
export type NativeNetwork = Binding.Network;

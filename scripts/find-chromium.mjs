// Where headless Chromium is: $SNU_CHROMIUM, else the first of chromium, chromium-browser,
// google-chrome on the PATH (Debian's chromium package installs /usr/bin/chromium).
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** @returns {string | undefined} */
export function findChromium() {
  if (process.env.SNU_CHROMIUM) return process.env.SNU_CHROMIUM;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome']) if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

// File writes that never leave a half-written file in place of a good one.
import { open, rename, rm } from 'node:fs/promises';

/** Writes `data` to a temporary file beside `path`, flushes it, then renames it into place. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(tmp, path);
}

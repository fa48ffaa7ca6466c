// Probing a file's flock(2) from this process, to see whether a lock held elsewhere (through ssh) is there.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';

const fsExt = createRequire(import.meta.url)('fs-ext') as { flockSync(fd: number, mode: string): void };

/** True when this process can take (and at once release) an exclusive lock on `path` without waiting. */
export function canFlockLocally(path: string): boolean {
  const fd = fs.openSync(path, 'r');
  try {
    fsExt.flockSync(fd, 'exnb');
    fsExt.flockSync(fd, 'un');
    return true;
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

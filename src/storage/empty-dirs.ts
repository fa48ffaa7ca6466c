// Removing the directories that deletes leave empty (delete, rename's cleanup, apply): carbon-cache
// creates a directory per path component and never removes one, so a tree that lost its metrics keeps
// thousands of empty directories that every listing walks. Only directories a delete emptied are
// tried (and then their parents), never a storage root, and a directory that is not empty is left.
import { posix } from 'node:path';
import type { StorageDriver } from './driver.js';

/**
 * Remove each directory that is empty now, then its parents as they become empty: level by level from
 * the deepest, so a parent is tried only after every child candidate. Never the root ('' and '.' are
 * never tried). Returns what was removed, deepest first.
 */
export async function removeEmptyDirs(driver: StorageDriver, dirs: Iterable<string>): Promise<string[]> {
  const removed: string[] = [];
  const levels = new Map<number, Set<string>>();
  const add = (d: string) => {
    if (d === '.' || d === '') return;
    const n = d.split('/').length;
    let s = levels.get(n);
    if (s === undefined) levels.set(n, (s = new Set()));
    s.add(d);
  };
  for (const d of dirs) add(d);
  for (let n = Math.max(0, ...levels.keys()); n >= 1; n--) {
    for (const d of levels.get(n) ?? []) {
      if (!(await driver.removeEmptyDir(d))) continue;
      removed.push(d);
      add(posix.dirname(d));
    }
  }
  return removed;
}

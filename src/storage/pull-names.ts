// The temp names of a node-to-node pull (src/storage/ssh-pull.ts), in a module of their own so the
// apply layer can name them without loading the ssh client.
import { posix } from 'node:path';

/** Longest basename a pull handles (the temp name adds about 40 bytes; NAME_MAX is 255). */
const MAX_BASENAME = 200;

/** The tag in every pull temp name of a plan. */
export function pullTag(planSha: string): string {
  return `ringshift-${planSha.slice(0, 12)}-pull.tmp`;
}

/** The temp name a pull gives a file: hidden, beside it, named by the plan (a resumed run overwrites it). */
export function pullTempRel(rel: string, planSha: string): string {
  const dir = posix.dirname(rel);
  const name = `.${posix.basename(rel)}.${pullTag(planSha)}`;
  return dir === '.' ? name : `${dir}/${name}`;
}

/** Whether a path can travel by pull (its temp name must fit the filesystem's name limit). */
export function pullable(rel: string): boolean {
  return Buffer.byteLength(posix.basename(rel)) <= MAX_BASENAME;
}

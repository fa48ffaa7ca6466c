// Tests read the ground-truth vectors from ../shared (beside the checkout), never from a copy.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = resolve(PROJECT_ROOT, '../shared');

export function sharedPath(...parts: string[]): string {
  const p = resolve(SHARED, ...parts);
  if (!existsSync(p)) throw new Error(`missing shared ground truth: ${p} (is ../shared beside the checkout?)`);
  return p;
}

// carbon's tagged-series storage facts (lib/carbon/util.py TaggedSeries.encode): a stored name is
// tagged when it contains ';', and its file sits under `_tagged/<h[0:3]>/<h[3:6]>/`, h being the hex
// sha256 of the UTF-8 stored name. carbon-cache stores every name normalised first
// (TaggedSeries.parse(name).path, the same rule as TAG_RELAY_NORMALIZED: src/ring/tag-normalize.ts).
import { createHash } from 'node:crypto';
import { normalizeTaggedName } from '../ring/tag-normalize.js';

/** The name carbon-cache stores `name` under (its CacheFeedingProcessor normalises every name). */
export function storedName(name: string): string {
  return normalizeTaggedName(name);
}

/** carbon's only test for a tagged name. */
export function isTaggedName(stored: string): boolean {
  return stored.includes(';');
}

/** Hex sha256 of the UTF-8 name, the hash carbon's `_tagged/` layout uses. */
export function taggedHash(stored: string): string {
  return createHash('sha256').update(stored, 'utf8').digest('hex');
}

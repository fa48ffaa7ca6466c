// carbon's carbonHash(key, hash_type) (lib/carbon/hashing.py; graphite-web's render/hashing.py is a
// copy): the function that places both replica keys and metric names.
import { fnv1aPosition16 } from './hash/fnv1a.js';
import { md5Position16 } from './hash/md5.js';
import { mmh3Hash } from './hash/mmh3.js';
import type { PositionFn } from './types.js';

export type CarbonHashType = 'carbon_ch' | 'fnv1a_ch' | 'mmh3_ch';

/** carbon_ch: MD5 first two bytes; fnv1a_ch: folded 32-bit FNV-1a (unsigned bytes); mmh3_ch: signed 32 bit. */
export function carbonHashFunction(hash: CarbonHashType): (key: string) => number {
  switch (hash) {
    case 'carbon_ch':
      return md5Position16;
    case 'fnv1a_ch':
      return fnv1aPosition16;
    case 'mmh3_ch':
      return mmh3Hash;
  }
}

/** The 16-bit position function of a carbon hash type, when it has one. */
export function carbonPositionFn(hash: CarbonHashType): PositionFn | undefined {
  return hash === 'carbon_ch' ? 'md5-16' : hash === 'fnv1a_ch' ? 'fnv1a32-16' : undefined;
}

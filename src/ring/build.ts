// PLACEHOLDER owned by the ring-core work: replaced by the real factory.
import type { Ring, RingSpec } from './types.js';

/** Build the ring an implementation would build from `spec`; throws ConfigError for configurations it refuses. */
export function buildRing(_spec: RingSpec): Ring {
  throw new Error('buildRing: not implemented yet');
}

// Building a RingSpec with the documented defaults of each implementation.
import type { RingSpec } from './types.js';

/** Defaults: impl carbon, carbon_ch, consistent-hashing, RF 1, DIVERSE_REPLICAS true, sanitize on. */
export function makeRingSpec(partial: Partial<RingSpec> & Pick<RingSpec, 'destinations'>): RingSpec {
  return {
    impl: 'carbon',
    hash: 'carbon_ch',
    router: 'consistent-hashing',
    replication: 1,
    diverse: true,
    tagRelayNormalized: false,
    sanitize: true,
    ...partial,
  };
}

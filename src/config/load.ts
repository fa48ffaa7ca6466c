// PLACEHOLDER owned by the config work: replaced by the real loaders.
import type { RingSpec } from '../ring/types.js';

export type RingFormat = 'carbon' | 'graphite-web' | 'carbon-c-relay' | 'carbonate' | 'cluster' | 'bucky';

export interface LoadRingOptions {
  /** Override content-based format detection. */
  format?: RingFormat;
  /** Cluster to use in multi-cluster files (c-relay: cluster name; carbonate: section, default main). */
  cluster?: string;
}

/** Read a ring from any supported config file. Throws ConfigError with file:line on bad input. */
export async function loadRingSpec(_path: string, _opts: LoadRingOptions = {}): Promise<RingSpec> {
  throw new Error('loadRingSpec: not implemented yet');
}

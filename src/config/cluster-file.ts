// PLACEHOLDER owned by the config work: replaced by the real cluster-file loader.
import type { RingSpec } from '../ring/types.js';

/** ringshift's cluster file (YAML): a ring plus where each member's whisper tree lives. */
export interface ClusterFile {
  /** Absolute path of the cluster file. */
  path: string;
  ring: RingSpec;
  /**
   * storage: key is "server" or "server:instance" exactly as written; value is an absolute local path
   * (resolved against the cluster file's directory) or an ssh:// URL, kept as written.
   */
  storage: { key: string; location: string; line?: number }[];
}

export async function loadClusterFile(_path: string): Promise<ClusterFile> {
  throw new Error('loadClusterFile: not implemented yet');
}

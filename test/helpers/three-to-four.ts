// The ring change the ssh tests settle: three nodes to four, replication 2. The old and new cluster
// files have local roots (the view the planner's oracle and the checks use); ssh.yaml has the new
// ring with each node's storage where the test puts it (an ssh:// URL or the local root).
import type { Ring } from '../../src/ring/types.js';
import type { TestCluster } from '../audit-cluster.js';

export const NODES3 = ['n1:2004:a', 'n2:2004:a', 'n3:2004:a'];
export const NODES4 = [...NODES3, 'n4:2004:a'];
export const ALL = ['n1', 'n2', 'n3', 'n4'];
/** Storage of each node under the test cluster's nodes/ directory. */
export const STORE3 = { n1: 'n1', n2: 'n2', n3: 'n3' };
export const STORE4 = { ...STORE3, n4: 'n4' };

export interface ThreeToFour {
  oldPath: string;
  newPath: string;
  sshPath: string;
  oldRing: Ring;
  newRing: Ring;
}

/** Write old.yaml, new.yaml and ssh.yaml into c; storageOf gives each node's storage in ssh.yaml from its local root. */
export function writeThreeToFour(c: TestCluster, storageOf: (node: string, root: string) => string): ThreeToFour {
  const oldPath = c.writeCluster('old.yaml', { destinations: NODES3, replication: 2 }, STORE3);
  const newPath = c.writeCluster('new.yaml', { destinations: NODES4, replication: 2 }, STORE4);
  const storage = Object.fromEntries(ALL.map((n) => [n, storageOf(n, c.root(n))]));
  const sshPath = c.writeClusterAt('ssh.yaml', { destinations: NODES4, replication: 2 }, storage);
  return { oldPath, newPath, sshPath, oldRing: c.ring('old.yaml'), newRing: c.ring('new.yaml') };
}

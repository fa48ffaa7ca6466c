// `ringshift nodes` as a library (bucky servers, and what an operator checks before a shuffle): for
// every storage location, can it be reached, how full is its filesystem (bytes and inodes), how many
// whisper files it holds (through the metric filter), how far its clock is from ours (ssh: the remote
// `date`), and whether each ring member writing there answers on its carbon-cache port (a TCP connect
// with a timeout, nothing sent). Every probe has a timeout; one location's failure never hides another.
import * as fs from 'node:fs';
import { connect } from 'node:net';
import { memberId } from '../ring/types.js';
import type { StorageDriver } from '../storage/driver.js';
import type { MetricFilter } from '../storage/metric-filter.js';
import type { ToolboxCluster } from './toolbox-cluster.js';

export interface PortCheck {
  member: string;
  host: string;
  port: number;
  open: boolean;
  /** Why not (refused, timeout, unknown host). */
  error?: string;
}

export interface NodeStatus {
  node: string;
  url: string;
  reachable: boolean;
  error?: string;
  /** Filesystem bytes: total, available to a writer, and the share used. */
  bytes?: { total: number; available: number; used: number };
  /** Inodes: total, free, and the share used (null when the filesystem does not say). */
  inodes?: { total: number; free: number; used: number } | null;
  /** Whisper files (passing the filter). */
  files?: number;
  /** Milliseconds the location's clock is ahead of ours (0 for a local directory). */
  clockOffsetMs?: number;
  carbon: PortCheck[];
}

interface Probes {
  /** TCP connect timeout per member. */
  portTimeoutMs: number;
  filter: MetricFilter | null;
  /** Count the whisper files (a full listing; false skips it). */
  countFiles: boolean;
}

export async function nodeStatus(cluster: ToolboxCluster, selected: readonly number[], probes: Probes): Promise<NodeStatus[]> {
  return Promise.all(selected.map((i) => oneNode(cluster, i, probes)));
}

async function oneNode(cluster: ToolboxCluster, i: number, probes: Probes): Promise<NodeStatus> {
  const loc = cluster.locations[i]!;
  const carbonP = Promise.all(loc.members.map((m) => portCheck(memberId(m), m.server, m.port, probes.portTimeoutMs)));
  const st: NodeStatus = { node: loc.id, url: loc.url, reachable: false, carbon: [] };
  try {
    if (cluster.isAbsent(i)) throw new Error(`${loc.root} does not exist`);
    const d = await cluster.driver(i);
    const free = await d.freeSpace();
    st.reachable = true;
    st.bytes = { total: free.total, available: free.available, used: free.total > 0 ? 1 - free.available / free.total : 0 };
    st.inodes = await inodes(d);
    st.clockOffsetMs = await clockOffset(d);
    if (probes.countFiles) {
      let n = 0;
      for await (const batch of cluster.scan(i, probes.filter))
        n += batch.filter((e) => e.kind !== 'symlink' && e.kind !== 'unreadable').length;
      st.files = n;
    }
  } catch (err) {
    st.error = err instanceof Error ? err.message : String(err);
  }
  st.carbon = await carbonP;
  return st;
}

interface RemoteShell {
  exec(command: string): Promise<{ code: number; stdout: Buffer; stderr: string }>;
  clockOffsetMs(): Promise<number>;
}

function remote(d: StorageDriver): RemoteShell | null {
  return d.scheme === 'ssh' ? (d as unknown as RemoteShell) : null;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

async function inodes(d: StorageDriver): Promise<{ total: number; free: number; used: number } | null> {
  const r = remote(d);
  if (r === null) {
    const s = await fs.promises.statfs(d.root);
    return s.files > 0 ? { total: s.files, free: s.ffree, used: 1 - s.ffree / s.files } : null;
  }
  const out = await r.exec(`LC_ALL=C df -Pi -- ${shq(d.root)}`);
  const f = (out.stdout.toString('utf8').trim().split('\n').pop() ?? '').split(/\s+/);
  if (out.code !== 0 || !/^[0-9]+$/.test(f[1] ?? '') || !/^[0-9]+$/.test(f[3] ?? '')) return null;
  const total = Number(f[1]);
  const free = Number(f[3]);
  return total > 0 ? { total, free, used: 1 - free / total } : null;
}

async function clockOffset(d: StorageDriver): Promise<number> {
  const r = remote(d);
  return r === null ? 0 : r.clockOffsetMs();
}

/** Does host:port accept a TCP connection within the timeout? Nothing is sent. */
export function portCheck(member: string, host: string, port: number, timeoutMs: number): Promise<PortCheck> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (error?: string) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ member, host, port, open: error === undefined, ...(error !== undefined ? { error } : {}) });
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
    sock.once('connect', () => done());
    sock.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

// The runbook's backfill and verify for a pair with a side on an ssh:// node. Local pairs read only the
// window's slots (windowed-fill.ts); here the files travel whole, as apply's remote fill reads them, and
// the fill is the same gap-only fill restricted to the window. carbon-cache's flock is held only while
// slots are written (never across the transfer), and a source that changed while it was read is read
// again. Verify compares the two files as read, without a lock across the network: a write landing
// between the reads can only make a point look missing (verify fails, nothing is deleted), never
// present.
import type { WhisperImage } from '../whisper/pair.js';
import { SourceChanged, fillOnce, type FillContext } from './actions.js';
import type { Nodes } from './nodes.js';
import { compareImages, type PairVerdict } from './verify-pair.js';

/** One pair of the runbook: the old holder's file and the new owner's. */
export interface RunbookPair {
  from: string;
  to: string;
  path: string;
  toPath: string;
}

export interface RemoteBackfill {
  /** Slots written (0 in a dry run: counted by the local pairs only). */
  filled: number;
  bytesRead: number;
  bytesWritten: number;
  /** One of the two files does not exist. */
  missing: boolean;
}

const ATTEMPTS = 5;

/** Gap-only fill of `p` restricted to [from, until), for a pair not on local disks. */
export async function backfillRemotePair(
  nodes: Nodes,
  p: RunbookPair,
  window: { from: number; until: number },
  lockTimeoutMs: number,
): Promise<RemoteBackfill> {
  const counts = { bytesRead: 0, bytesWritten: 0 };
  const ctx: FillContext = {
    nodes,
    bucket: null,
    lockTimeoutMs,
    onRead: (_node, n) => (counts.bytesRead += n),
    onWritten: (_node, n) => (counts.bytesWritten += n),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await fillOnce(ctx, p.from, p.path, p.to, p.toPath, p.to, window);
      if (r === 'dst-missing' || r === 'src-missing') return { filled: 0, ...counts, missing: true };
      return { filled: r.slots, ...counts, missing: false };
    } catch (err) {
      if (err instanceof SourceChanged && attempt < ATTEMPTS) continue;
      throw err;
    }
  }
}

/** verifyPair for a pair not on local disks; null when the source is gone. */
export async function verifyRemotePair(nodes: Nodes, p: RunbookPair, now: number, until: number): Promise<PairVerdict | null> {
  const src = await readImage(nodes, p.from, p.path);
  if (src === null) return null;
  const dst = await readImage(nodes, p.to, p.toPath);
  if (dst === null) return { destMissing: true, points: 0, missing: 0, superseded: 0, firstMissing: null };
  return compareImages(src, dst, now, until);
}

async function readImage(nodes: Nodes, loc: string, rel: string): Promise<WhisperImage | null> {
  const d = await nodes.driver(loc);
  const info = await d.stat(rel);
  if (info === null) return null;
  try {
    return { path: `${d.url}/${rel}`, data: await d.readFile(rel) };
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null;
    throw err;
  }
}

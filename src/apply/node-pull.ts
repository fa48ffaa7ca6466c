// Copies between two ssh:// nodes by node-to-node pull: the destination fetches from the source with
// its own ssh, so the data crosses the network once and never the controller (relaying every byte
// through the controller costs two transfers and the controller's CPU). Copies of one pair that are
// waiting join one batch (one tar stream, one syncfs, one sha256sum on the node); one batch per pair
// runs at a time, and the next takes everything that queued meanwhile: every batch costs a login on
// the source (the node user's startup files run each time), so few big batches beat many small ones.
//
// The evidence a pulled copy gives is the one a very large relayed copy gives: the source node's
// sha256 of the source equals the destination node's sha256 of the durable temp file, the header and
// structure are checked, the source's stamp is unchanged. The per-slot check needs the bytes on the
// controller: `--transport relay` keeps it.
//
// `auto` pulls where the destination can log in to the source non-interactively (BatchMode, host key
// already known to the destination: the trust the operator set up, as carbonate's carbon-sync needs);
// where it cannot, that pair relays, said once in the report's notes.
import { pullTempRel } from '../storage/pull-names.js';
import type { SshDriver } from '../storage/ssh-driver.js';
import type { ClusterFile } from '../config/cluster-file.js';
import { UsageError } from '../errors.js';
import { isRemote, type Nodes } from './nodes.js';

export type TransportMode = 'auto' | 'relay' | 'pull';

/** What a pull gave one file: the temp file on the destination and its sha256 (both nodes agree), or why not. */
export type PullOutcome = { tempRel: string; sha256: string } | { relay: string };

interface Waiting {
  rel: string;
  size: number;
  resolve: (o: PullOutcome) => void;
  reject: (e: unknown) => void;
}

interface Pair {
  from: string;
  to: string;
  state: 'unknown' | 'ok' | 'off';
  queue: Waiting[];
  /** A batch of this pair is on its way (one at a time). */
  running: boolean;
}

const MAX_FILES = 2048;
const MAX_BYTES = 512 << 20;

export class NodePull {
  private readonly pairs = new Map<string, Pair>();
  /** Files pulled, per "from → to". */
  readonly pulled = new Map<string, number>();

  constructor(
    readonly mode: Exclude<TransportMode, 'relay'>,
    private readonly nodes: Nodes,
    private readonly planSha: string,
    /** Extra arguments for ssh on the destination node (the cluster file's node_ssh). */
    private readonly sshArgs: readonly string[],
    /** Where notes for the operator go (once per pair). */
    private readonly note: (s: string) => void,
  ) {}

  /** Start the pull shell of a receiving ssh:// node in the background (errors surface at its first batch). */
  warm(to: string): void {
    void this.nodes
      .driver(to)
      .then((d) => (isRemote(d) ? (d as unknown as SshDriver).warmPullShell() : undefined))
      .catch(() => undefined);
  }

  /** Whether a copy from → to may try the pull (both nodes ssh, the pair not found unable). */
  async wants(from: string, to: string): Promise<boolean> {
    if (from === to) return false;
    const [s, d] = await Promise.all([this.nodes.driver(from), this.nodes.driver(to)]);
    if (!isRemote(s) || !isRemote(d)) return false;
    return this.pairOf(from, to).state !== 'off';
  }

  /** Pull one file (same relative path on both nodes) into a temp file on the destination. */
  copy(from: string, to: string, rel: string, size: number): Promise<PullOutcome> {
    const p = this.pairOf(from, to);
    if (p.state === 'off') return Promise.resolve({ relay: 'node-to-node ssh unavailable' });
    return new Promise((resolve, reject) => {
      p.queue.push({ rel, size, resolve, reject });
      this.schedule(p);
    });
  }

  private pairOf(from: string, to: string): Pair {
    const k = `${from}\n${to}`;
    let p = this.pairs.get(k);
    if (p === undefined) this.pairs.set(k, (p = { from, to, state: 'unknown', queue: [], running: false }));
    return p;
  }

  private schedule(p: Pair): void {
    if (p.running || p.queue.length === 0) return;
    p.running = true;
    // Copies asked meanwhile join the batch: this turn of the event loop, or, for a pair's first batch,
    // the next 50 ms.
    const wait = (f: () => void) => (p.state === 'ok' ? setImmediate(f) : setTimeout(f, 50));
    wait(() => {
      const batch: Waiting[] = [];
      let bytes = 0;
      while (p.queue.length > 0 && batch.length < MAX_FILES && (batch.length === 0 || bytes + p.queue[0]!.size <= MAX_BYTES)) {
        const w = p.queue.shift()!;
        bytes += w.size;
        batch.push(w);
      }
      this.runBatch(p, batch, bytes)
        .catch((err: unknown) => {
          for (const w of batch) w.reject(err);
        })
        .finally(() => {
          p.running = false;
          this.schedule(p);
        });
    });
  }

  private async runBatch(p: Pair, batch: Waiting[], bytes: number): Promise<void> {
    if (batch.length === 0) return;
    if (p.state === 'off') {
      for (const w of batch) w.resolve({ relay: 'node-to-node ssh unavailable' });
      return;
    }
    const src = (await this.nodes.driver(p.from)) as unknown as SshDriver;
    const dst = (await this.nodes.driver(p.to)) as unknown as SshDriver;
    const { runPullBatch } = await import('../storage/ssh-pull.js');
    // Directories first, through the controller's own session (created and confined to the root).
    await Promise.all([...new Set(batch.map((w) => dirOf(w.rel)))].map((d) => dst.prepareDir(d)));
    const rels = batch.map((w) => w.rel);
    // Generous: 2 minutes plus 1 MB/s for the bytes (a stalled ssh is caught by its keepalives sooner).
    const timeoutMs = 120_000 + bytes / 1000;
    const [res, srcSums] = await Promise.all([
      runPullBatch(dst, { url: src.url, root: src.root }, this.planSha, rels, this.sshArgs, timeoutMs),
      Promise.all(rels.map((r) => src.sha256(r).catch(() => null))),
    ]);
    if (res.sshFailure !== null) {
      const why = `${p.to} cannot pull from ${p.from} over ssh: ${res.sshFailure}`;
      if (this.mode === 'pull' && p.state !== 'ok')
        throw new UsageError(why, {
          expected: 'the destination node can ssh to the source non-interactively (see node_ssh in docs/apply.md)',
        });
      if (p.state === 'unknown') {
        p.state = 'off';
        this.note(`${why}; copies between them go through this machine (--transport relay)`);
      }
      for (const w of batch) w.resolve({ relay: why });
      return this.drainOff(p);
    }
    if (p.state === 'unknown') p.state = 'ok';
    batch.forEach((w, i) => {
      const temp = pullTempRel(w.rel, this.planSha);
      const there = res.sums.get(temp);
      const here = srcSums[i];
      if (there === undefined) w.resolve({ relay: `the pulled copy is missing${res.stderr ? ` (${res.stderr})` : ''}` });
      else if (here === null || here === undefined) w.resolve({ relay: 'no sha256 of the source' });
      else if (here !== there) w.resolve({ relay: 'the source changed while it was pulled' });
      else w.resolve({ tempRel: temp, sha256: there });
    });
  }

  /** A pulled copy was placed (counted for the report's note). */
  placed(from: string, to: string): void {
    const key = `${from} → ${to}`;
    this.pulled.set(key, (this.pulled.get(key) ?? 0) + 1);
  }

  /** A pair found unable: what waits goes the relay way. */
  private drainOff(p: Pair): void {
    for (const w of p.queue.splice(0)) w.resolve({ relay: 'node-to-node ssh unavailable' });
  }
}

function dirOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

/** The cluster file's node_ssh arguments (none when absent). */
export function nodeSshArgs(cluster: ClusterFile): string[] {
  const v = cluster.sections?.node_ssh;
  return Array.isArray(v) ? (v as string[]) : [];
}

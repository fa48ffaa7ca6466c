// The audit's reads of file contents, group by group: every local file's header (so corrupt and truncated
// files get their own class) and, for files the ring does not place where they are, the last point
// (liveness.ts). Classification is synchronous; local files are read on demand, remote (ssh://) ones are
// collected while a group is classified, fetched together, and the group is classified again. Remote
// headers are not checked by the audit (one round trip per file); `plan` verifies every file it moves.
import type { StorageDriver } from '../storage/driver.js';
import { openDriver, type StorageLocation } from '../storage/locations.js';
import type { SshOptions } from '../storage/ssh-driver.js';
import { liveCutoff, probeRemoteFile, probeUnderRoot, staleByMtime, type FileProbe, type LivenessPolicy } from './liveness.js';
import type { GroupEntry } from './audit-findings.js';

/** What liveness says about one file. */
export interface Liveness {
  state: 'live' | 'stale' | 'pending';
  /** How it was decided: the mtime filter, or the file's finest archive. */
  by?: 'mtime' | 'file';
  lastPoint?: number | null;
  step?: number;
  /** Points after this time make the file live. */
  cutoff?: number;
}

export class FileProbes {
  private readonly cache = new Map<GroupEntry, FileProbe | null>();
  private pending: GroupEntry[] = [];
  private readonly drivers = new Map<number, Promise<StorageDriver>>();

  constructor(
    readonly locations: readonly StorageLocation[],
    readonly policy: LivenessPolicy,
    private readonly ssh: SshOptions | undefined = undefined,
    /** Check local headers (corrupt, truncated). */
    private readonly checkHeaders = true,
  ) {}

  /** Forget the previous group's results (memory follows one group). */
  beginGroup(): void {
    this.cache.clear();
    this.pending = [];
  }

  private local(e: GroupEntry): boolean {
    return this.locations[e.loc]!.scheme === 'file';
  }

  /** The header check of a local file (undefined: not checked — remote, or switched off). */
  health(e: GroupEntry): FileProbe | null | undefined {
    // A remote file read for its liveness (second classification of its group) has its header checked too.
    if (!this.local(e)) return this.cache.get(e);
    if (!this.checkHeaders) return undefined;
    let p = this.cache.get(e);
    if (p === undefined && !this.cache.has(e)) {
      p = probeUnderRoot(this.locations[e.loc]!.root, e.path, () => false);
      this.cache.set(e, p);
    }
    return p;
  }

  /** Is this file still written? (Only asked for files no owner of the ring holds.) */
  liveness(e: GroupEntry): Liveness {
    if (staleByMtime(e.mtimeMs, this.policy)) return { state: 'stale', by: 'mtime' };
    let p = this.cache.get(e);
    if (this.local(e)) {
      if (p === undefined || (p !== null && p.lastPoint === undefined)) {
        p = probeUnderRoot(this.locations[e.loc]!.root, e.path, () => true);
        this.cache.set(e, p);
      }
    } else if (p === undefined) {
      if (!this.cache.has(e)) this.pending.push(e);
      return { state: 'pending' };
    }
    // Gone since the scan, or unreadable: nothing writes a file that is not there; a corrupt one is
    // reported by its class. Treat what cannot be read as live: never moved on a guess.
    if (p === null) return { state: 'stale', by: 'file', lastPoint: null };
    if (p.lastPoint === undefined) return { state: 'live', by: 'file' };
    const step = p.step ?? 1;
    const cutoff = liveCutoff(step, this.policy);
    const live = p.lastPoint !== null && p.lastPoint > cutoff;
    return { state: live ? 'live' : 'stale', by: 'file', lastPoint: p.lastPoint, step, cutoff };
  }

  /** Remote files asked for while classifying the current group. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Read the pending remote files (a few at a time), then the group can be classified again. */
  async fetchPending(): Promise<void> {
    const todo = this.pending;
    this.pending = [];
    const LIMIT = 8;
    for (let i = 0; i < todo.length; i += LIMIT) {
      await Promise.all(
        todo.slice(i, i + LIMIT).map(async (e) => {
          const d = await this.driver(e.loc);
          this.cache.set(e, await probeRemoteFile(d, e.path, () => true));
        }),
      );
    }
  }

  private driver(i: number): Promise<StorageDriver> {
    let d = this.drivers.get(i);
    if (d === undefined) this.drivers.set(i, (d = openDriver(this.locations[i]!, this.ssh === undefined ? {} : { ssh: this.ssh })));
    return d;
  }

  async close(): Promise<void> {
    const all = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => null))?.close()));
  }
}

// The storage locations a plan names, opened lazily (an --only-dest job on one node never connects to
// nodes it does not touch) and checked against the cluster file: the plan's location must still be
// the cluster's location of that id, at the same place.
import * as fs from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import type { PlanLocation } from '../plan/plan-file.js';
import type { StorageDriver } from '../storage/driver.js';
import { LocalDriver } from '../storage/local-driver.js';
import { openDriver, type ResolvedStorage, type StorageLocation } from '../storage/locations.js';
import type { RemoteFile, RemoteLock, SshOptions } from '../storage/ssh-driver.js';

/** What apply needs beyond StorageDriver from the ssh driver (duck-typed so local runs never load it). */
export interface RemoteCapable extends StorageDriver {
  clockOffsetMs(): Promise<number>;
  /** Start the node's command shell now (copies and fills onto it need one); a read-only use never does. */
  warmShell(): void;
  readonly mtimeGranularityMs: number;
  sha256(rel: string): Promise<string | null>;
  lock(rel: string, mode: 'ex' | 'sh', timeoutMs: number): Promise<RemoteLock>;
  openFile(rel: string): Promise<RemoteFile>;
  /** A file's bytes as they arrive (read into `into` when it is big enough: the chunks are its views, in order). */
  readChunks?(rel: string, into?: Buffer): AsyncGenerator<Buffer>;
  /** Place a temp file a command on the node wrote (a node-to-node pull), without replacing anything. */
  placeTemp?(tempRel: string, rel: string, onPlaced?: () => void): Promise<void>;
}

export function isRemote(d: StorageDriver): d is RemoteCapable {
  return d.scheme === 'ssh';
}

/** Where a plan location's url points: a local directory or an ssh:// URL. */
function planTarget(url: string): { scheme: 'file' | 'ssh'; where: string } {
  if (url.startsWith('ssh://')) return { scheme: 'ssh', where: url };
  if (url.startsWith('file://')) return { scheme: 'file', where: fileURLToPath(url) };
  return { scheme: 'file', where: url };
}

export class Nodes {
  private readonly drivers = new Map<string, Promise<StorageDriver>>();
  private readonly offsets = new Map<string, number>();
  readonly byId = new Map<string, PlanLocation>();
  /** Things worth telling the operator (directories created). */
  readonly notes: string[] = [];
  private readonly located = new Map<string, StorageLocation>();

  constructor(
    readonly locations: readonly PlanLocation[],
    private readonly resolved: ResolvedStorage | null,
    private readonly ssh: SshOptions,
  ) {
    for (const l of locations) this.byId.set(l.id, l);
  }

  /** The location to open for a plan location id (the cluster file's, when it still matches the plan). */
  location(id: string): StorageLocation {
    let l = this.located.get(id);
    if (l === undefined) this.located.set(id, (l = this.locate(id)));
    return l;
  }

  private locate(id: string): StorageLocation {
    const p = this.byId.get(id);
    if (p === undefined) throw new ConfigError(`the plan has no location ${JSON.stringify(id)}`);
    const t = planTarget(p.url);
    if (this.resolved !== null) {
      const c = this.resolved.locations.find((l) => l.id === id);
      if (c === undefined) {
        const problem = this.resolved.problems.find((x) => x.key === id || id.split('+').includes(x.key));
        // A new node's directory the planner saw missing and planned as empty: create it (not its
        // parents, so an unmounted data disk is not papered over by a tree on the root filesystem).
        if (problem !== undefined && t.scheme === 'file' && /ENOENT/.test(problem.message) && problem.location === t.where) {
          try {
            fs.mkdirSync(t.where, { mode: 0o755 });
          } catch (err) {
            throw new ConfigError(`location ${id}: cannot create ${t.where}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
              expected: 'an existing parent directory (is the data disk mounted?)',
            });
          }
          this.notes.push(`created the storage directory ${t.where} of ${id}, which the plan treated as an empty location`);
          const real = fs.realpathSync(t.where);
          return { id, scheme: 'file', url: pathToFileURL(real).href, root: real, keys: [], members: [] };
        }
        throw new ConfigError(`location ${id}: ${problem?.message ?? 'not in the cluster file any more'}`, {
          expected: 'the storage the plan was made for',
        });
      }
      const same = c.root === t.where || c.url === t.where || (t.scheme === 'ssh' && c.url === new URL(t.where).href);
      if (!same) {
        throw new ConfigError(`location ${id} moved since the plan was made: the plan says ${p.url}, the cluster file now ${c.url}`, {
          expected: 'a new plan for the new storage',
        });
      }
      return c;
    }
    return { id, scheme: t.scheme, url: t.where, root: t.scheme === 'file' ? t.where : new URL(t.where).pathname, keys: [], members: [] };
  }

  driver(id: string): Promise<StorageDriver> {
    let d = this.drivers.get(id);
    if (d === undefined) {
      d = (async () => openDriver(this.location(id), { ssh: this.ssh }))();
      d.catch(() => this.drivers.delete(id));
      this.drivers.set(id, d);
    }
    return d;
  }

  /** Absolute local path of `rel` at a local location, or null for a remote one. */
  async localPath(id: string, rel: string): Promise<string | null> {
    const d = await this.driver(id);
    if (!(d instanceof LocalDriver)) return null;
    return d.root === '/' ? '/' + rel : d.root + '/' + rel;
  }

  /** The location host's clock, in ms. */
  async hostNow(id: string): Promise<number> {
    const d = await this.driver(id);
    if (!isRemote(d)) return Date.now();
    let off = this.offsets.get(id);
    if (off === undefined) {
      off = await d.clockOffsetMs();
      this.offsets.set(id, off);
    }
    return Date.now() + off;
  }

  /**
   * How recent a modification must be for a stamp to prove nothing: a later write in the same
   * timestamp tick would not change it (1 s locally; whole-second SFTP times and clock offset remotely).
   */
  async racyWindowMs(id: string): Promise<number> {
    const d = await this.driver(id);
    return isRemote(d) ? 1000 + d.mtimeGranularityMs + 1000 : 1000;
  }

  async closeAll(): Promise<void> {
    const all = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.all(all.map((p) => p.then((d) => d.close()).catch(() => undefined)));
  }
}

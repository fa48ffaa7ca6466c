// What every toolbox command (stale, du, delete, rename, backup, restore, nodes) needs from a cluster
// file: its ring, its storage locations (a configured directory that does not exist yet is an empty
// location, as audit and plan treat it), drivers opened once per location and closed at the end, the
// locations that own a metric, and a filtered scan of one location.
import { openCluster, type ClusterSetup } from '../audit/audit-pipeline.js';
import { UsageError } from '../errors.js';
import { memberId } from '../ring/types.js';
import type { StorageDriver } from '../storage/driver.js';
import { checkStorageKeys, openDriver, pathLocation, storageKeysFor, type StorageLocation } from '../storage/locations.js';
import { filterBatches, type MetricFilter } from '../storage/metric-filter.js';
import { scanDriver, type ScanEntry } from '../storage/scan.js';
import type { SshOptions } from '../storage/ssh-driver.js';

export interface ToolboxOptions {
  ssh?: SshOptions | undefined;
}

export class ToolboxCluster {
  private readonly drivers = new Map<number, Promise<StorageDriver>>();
  private readonly memberLocation = new Map<string, number>();

  private constructor(
    /** The cluster file (or directory) as the user named it. */
    readonly path: string,
    readonly setup: Pick<ClusterSetup, 'locations' | 'absent' | 'warnings'> & { ring: ClusterSetup['ring'] | null },
    private readonly opts: ToolboxOptions,
  ) {
    setup.locations.forEach((loc, i) => {
      for (const m of loc.members) this.memberLocation.set(memberId(m), i);
    });
  }

  static async open(path: string, opts: ToolboxOptions = {}): Promise<ToolboxCluster> {
    const setup = await openCluster(path);
    checkStorageKeys(setup.cluster, path);
    return new ToolboxCluster(path, setup, opts);
  }

  /** One whisper directory given on the command line (no ring: owners() is not available). */
  static async directory(path: string, opts: ToolboxOptions = {}): Promise<ToolboxCluster> {
    const loc = await pathLocation(path);
    return new ToolboxCluster(path, { locations: [loc], absent: new Set(), warnings: [], ring: null }, opts);
  }

  get locations(): readonly StorageLocation[] {
    return this.setup.locations;
  }

  /** The configured directory does not exist yet (a new node): nothing to scan there. */
  isAbsent(i: number): boolean {
    return this.setup.absent.has(i);
  }

  /** Location indexes selected by --node (all when undefined); a usage error lists the choices. */
  select(node: string | undefined): number[] {
    const all = this.setup.locations.map((_, i) => i);
    if (node === undefined) return all;
    const hits = all.filter((i) => {
      const loc = this.setup.locations[i]!;
      return (
        loc.id === node ||
        loc.keys.some((k) => k.key === node) ||
        loc.members.some((m) => memberId(m) === node || storageKeysFor(m).includes(node))
      );
    });
    if (hits.length === 0)
      throw new UsageError(`--node ${JSON.stringify(node)} names no storage location of ${this.path}`, {
        expected: `one of: ${this.setup.locations.map((l) => l.id).join(', ')}`,
      });
    return hits;
  }

  /** The driver of location i, opened once (a missing local directory is created when `create`). */
  async driver(i: number, create = false): Promise<StorageDriver> {
    let d = this.drivers.get(i);
    if (d === undefined) {
      const loc = this.setup.locations[i]!;
      if (this.isAbsent(i)) {
        if (!create) throw new UsageError(`${loc.id}: ${loc.root} does not exist yet`, { expected: 'an existing storage directory' });
        const fs = await import('node:fs');
        const { dirname } = await import('node:path');
        if (!fs.existsSync(dirname(loc.root)))
          throw new UsageError(`${loc.id}: neither ${loc.root} nor its parent exists (is the data disk mounted?)`, {
            expected: 'an existing storage directory or parent',
          });
        fs.mkdirSync(loc.root, { mode: 0o755 });
        this.setup.absent.delete(i);
      }
      d = openDriver(loc, this.opts.ssh === undefined ? {} : { ssh: this.opts.ssh });
      this.drivers.set(i, d);
      d.catch(() => this.drivers.delete(i));
    }
    return d;
  }

  /** Locations owning `metric` under the ring, primary first, each once; members without storage are left out. */
  owners(metric: string): number[] {
    const out: number[] = [];
    if (this.setup.ring === null) throw new UsageError('owners need a ring', { expected: '--cluster FILE' });
    for (const d of this.setup.ring.locate(metric).owners) {
      const i = this.memberLocation.get(memberId(d));
      if (i !== undefined && !out.includes(i)) out.push(i);
    }
    return out;
  }

  /** The scan of location i in batches, only entries passing the filter; nothing for an absent location. */
  async *scan(
    i: number,
    filter: MetricFilter | null,
    opts: { stat?: boolean; onProgress?: (files: number) => void } = {},
  ): AsyncGenerator<ScanEntry[]> {
    if (this.isAbsent(i)) return;
    const driver = await this.driver(i);
    const loc = this.setup.locations[i]!;
    const onProgress = opts.onProgress;
    const batches = scanDriver(driver, loc.id, {
      stat: opts.stat === true,
      ...(onProgress !== undefined ? { onProgress: (p: { files: number }) => onProgress(p.files) } : {}),
    });
    yield* filter === null ? batches : filterBatches(batches, filter);
  }

  async close(): Promise<void> {
    const all = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => null))?.close().catch(() => undefined)));
  }
}

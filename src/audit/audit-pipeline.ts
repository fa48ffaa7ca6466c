// The audit pipeline shared by `ringshift audit` and `ringshift plan`: open the cluster, scan every
// location into the path grouper, then classify one group at a time.
import { pathToFileURL } from 'node:url';
import { loadClusterFile, type ClusterFile } from '../config/cluster-file.js';
import { UsageError } from '../errors.js';
import { plural } from '../units.js';
import { withCrelayRules } from '../config/crelay-routing.js';
import { buildLabelledRing, resolveRingSource, ringSourceFromArg } from '../config/ring-source.js';
import type { Ring } from '../ring/types.js';
import { memberId } from '../ring/types.js';
import { checkStorageKeys, resolveLocations, type StorageLocation } from '../storage/locations.js';
import type { MetricFilter } from '../storage/metric-filter.js';
import { scanLocationBatches } from '../storage/scan.js';
import type { SshOptions } from '../storage/ssh-driver.js';
import { AuditContext } from './audit-context.js';
import { classifyGroup, type ClassifiedGroup } from './classify.js';
import { FileProbes } from './file-probes.js';
import type { LivenessPolicy } from './liveness.js';
import { nowSeconds } from '../clock.js';
import { PathGrouper, type GrouperOptions } from './group.js';
import type { Progress } from './stage-progress.js';
import { loadRawNames } from './variants.js';

export interface ClusterSetup {
  cluster: ClusterFile;
  ring: Ring;
  /** Every location: scanned ones, and configured directories that do not exist yet (empty). */
  locations: StorageLocation[];
  /** Indexes of locations whose directory does not exist yet (new nodes): nothing to scan. */
  absent: Set<number>;
  /** Things the operator should know (members without storage, locations without members). */
  warnings: string[];
}

/** Load the cluster file and resolve its storage. Missing directories become empty locations. */
export async function openCluster(path: string): Promise<ClusterSetup> {
  const cluster = await loadClusterFile(path);
  // a ring.source that is a carbon-c-relay config: files are judged by where its rules send each name
  const ring = withCrelayRules(buildLabelledRing(cluster.ring, cluster.path));
  const resolved = await resolveLocations(cluster);
  const locations = [...resolved.locations];
  const absent = new Set<number>();
  const warnings: string[] = [];
  for (const p of resolved.problems) {
    const missing = /ENOENT/.test(p.message) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(p.location);
    if (!missing) throw new UsageError(p.message, { file: cluster.path, line: p.line, expected: 'a readable storage directory' });
    // A node that has not received anything yet: an empty location the planner may copy into.
    const sameDir = locations.findIndex((l, i) => absent.has(i) && l.root === p.location);
    if (sameDir >= 0) {
      const loc = locations[sameDir]!;
      loc.keys.push({ key: p.key, location: p.location, ...(p.line !== undefined ? { line: p.line } : {}) });
      loc.members.push(...p.members);
      loc.id = loc.keys.map((k) => k.key).join('+');
      continue;
    }
    absent.add(locations.length);
    locations.push({
      id: p.key,
      scheme: 'file',
      url: pathToFileURL(p.location).href,
      root: p.location,
      keys: [{ key: p.key, location: p.location, ...(p.line !== undefined ? { line: p.line } : {}) }],
      members: [...p.members],
    });
    warnings.push(`${p.key}: ${p.location} does not exist yet; treated as an empty location`);
  }
  for (const d of resolved.unmapped) warnings.push(`ring member ${memberId(d)} has no storage entry: its files are not checked`);
  for (const loc of locations) {
    if (loc.members.length === 0) warnings.push(`${loc.id} holds no ring member: every metric file there is misplaced`);
  }
  return { cluster, ring, locations, absent, warnings };
}

/** A ring given as --old-ring: a config file or the inline `key=value;…` form. */
export async function loadOldRing(value: string): Promise<Ring> {
  const src = ringSourceFromArg(value, '--old-ring');
  return buildLabelledRing(await resolveRingSource(src), '--old-ring');
}

export interface AuditInputs {
  clusterPath: string;
  oldRing?: string;
  names?: string;
  /** @deprecated a names list is a sample unless namesComplete says otherwise. */
  namesSample?: boolean;
  /** --names-complete: the list holds every name the relays received. */
  namesComplete?: boolean;
  /** --live-window in seconds (default per file: max(10 min, 3 × finest step)). */
  liveWindow?: number;
  /** --switched-at: when the relays were switched to the current ring (unix seconds). */
  switchedAt?: number;
  /** --ring: other relays' configs that may still send (files or inline rings). */
  senders?: readonly string[];
  /** Read file headers and last points (default true). */
  probeFiles?: boolean;
  selfPrefixes?: readonly string[];
  grouper?: GrouperOptions;
  progress?: Progress;
  /** Keys and host-key policy for ssh:// locations. */
  ssh?: SshOptions;
  /** --match/--regex/--metrics: only the files passing it are audited (a subset of the cluster). */
  filter?: MetricFilter | null;
}

export interface PreparedAudit {
  setup: ClusterSetup;
  ctx: AuditContext;
  /** Files scanned per location index. */
  scanned: number[];
  grouper: PathGrouper;
}

/** Open the cluster, build the context and scan every location into a grouper. */
export async function prepareAudit(inputs: AuditInputs): Promise<PreparedAudit> {
  const setup = await openCluster(inputs.clusterPath);
  const old = inputs.oldRing === undefined ? undefined : await loadOldRing(inputs.oldRing);
  checkStorageKeys(
    setup.cluster,
    inputs.clusterPath,
    old?.members,
    old === undefined ? '; a node being emptied must be in --old-ring' : '',
  );
  const names = inputs.names === undefined ? undefined : await loadRawNames(inputs.names);
  const opts: ConstructorParameters<typeof AuditContext>[3] = {};
  if (inputs.selfPrefixes !== undefined) opts.selfPrefixes = inputs.selfPrefixes;
  if (names !== undefined) opts.names = names;
  // A names list is a sample of what the relays received unless --names-complete says it is all of it.
  if (inputs.namesComplete !== true) opts.namesSample = true;
  if (inputs.probeFiles !== false) opts.probes = new FileProbes(setup.locations, livenessPolicy(inputs), inputs.ssh);
  if (inputs.senders !== undefined && inputs.senders.length > 0) {
    const senders: { label: string; ring: Ring }[] = [];
    for (const s of inputs.senders) {
      const src = ringSourceFromArg(s, '--ring');
      senders.push({ label: `--ring ${s}`, ring: buildLabelledRing(await resolveRingSource(src), '--ring') });
    }
    opts.senders = senders;
  }
  const ctx = new AuditContext(setup.locations, setup.ring, old, opts);
  const grouper = new PathGrouper(inputs.grouper);
  const scanned = setup.locations.map(() => 0);
  try {
    for (let i = 0; i < setup.locations.length; i++) {
      if (setup.absent.has(i)) continue;
      const loc = setup.locations[i]!;
      const label = `scan ${loc.id}`;
      for await (const batch of scanLocationBatches(loc, {
        stat: true,
        onProgress: (p) => inputs.progress?.update(label, `${plural(p.files, 'file')}, ${plural(p.dirs, 'dir')}`),
        ...(inputs.ssh !== undefined ? { ssh: inputs.ssh } : {}),
      })) {
        for (const e of batch) {
          if (inputs.filter != null && !inputs.filter.matches(e)) continue;
          const key = ctx.targetPath(e.path, e.metric, e.kind);
          const ge = {
            loc: i,
            path: e.path,
            metric: e.metric,
            size: e.size ?? 0,
            mtimeMs: e.mtime === null ? 0 : Math.round(e.mtime * 1000),
            kind: e.kind,
            ...(e.note !== undefined ? { note: e.note } : {}),
          };
          grouper.add(key, ge);
        }
        scanned[i]! += inputs.filter == null ? batch.length : batch.filter((e) => inputs.filter!.matches(e)).length;
      }
    }
  } catch (err) {
    grouper.dispose();
    throw err;
  }
  inputs.progress?.done();
  return { setup, ctx, scanned, grouper };
}

/** The liveness policy of an audit or plan run. */
export function livenessPolicy(inputs: Pick<AuditInputs, 'liveWindow' | 'switchedAt'>): LivenessPolicy {
  return { now: nowSeconds(), window: inputs.liveWindow, switchedAt: inputs.switchedAt };
}

/** Classified groups, one at a time (the grouper's spill files are removed at the end). */
export async function* classifiedGroups(p: PreparedAudit, progress?: Progress): AsyncGenerator<ClassifiedGroup> {
  let n = 0;
  const total = p.grouper.size;
  const probes = p.ctx.probes;
  try {
    for await (const g of p.grouper.groups()) {
      n += g.entries.length;
      progress?.update('classify', `${n} of ${total} files`);
      probes?.beginGroup();
      let c = classifyGroup(g, p.ctx);
      // Remote files whose last point decides their class: read them, then classify again.
      if (probes?.hasPending === true) {
        await probes.fetchPending();
        c = classifyGroup(g, p.ctx);
      }
      yield c;
    }
  } finally {
    await probes?.close();
  }
  progress?.done();
}

// `ringshift rename` as a plan (bucky backfill, made resumable): every copy of each old name on every
// location — owners and strays alike, since what is on disk is what holds points — is merged gap-only
// into the new name on the new name's owners, then deleted. The plan is an ordinary apply plan
// (src/plan/plan-file.ts): copies and fills whose destination path (`toPath`) is the new name's path,
// deletes of the old paths that wait for every transfer into the new owners. So `ringshift apply`
// runs it with its journal, its temp-file copies, its flock'd fills and its delete evidence
// (each owner re-checked at the moment of the delete, refilled from the old file when in doubt), and a
// kill -9 is resumed by running apply again.
//
// Per new name N with owners O and old copies H (every holder of every old name mapped to N):
//   owner o lacks N  → copy one holder into o (one on o itself when there is, a local copy), then a
//                      gap-only fill from every other holder, after that copy;
//   owner o has N    → a gap-only fill from every holder (the new name's own points win);
//   every holder     → delete, after all of the above.
// An old file that is not a sound whisper file is skipped (never read, never deleted); an owner whose
// file of N is unsound stops the whole name (nothing of it is moved). Memory: the renamed names and
// their copies, not the tree (a map of literal names is looked up by stat, without a scan).
import { resolve } from 'node:path';
import pLimit from 'p-limit';
import { nowIso } from '../clock.js';
import { UsageError } from '../errors.js';
import {
  PLAN_FORMAT,
  PLAN_VERSION,
  ringFingerprint,
  type FileStamp,
  type PlanAction,
  type PlanHeader,
  type PlanSkip,
} from '../plan/plan-file.js';
import type { HolderCheck } from '../plan/planner.js';
import { checkFile, checkRemoteFile, headerLocations } from '../plan/run-plan.js';
import { PlanWriter } from '../plan/writer.js';
import { metricToPath } from '../storage/paths.js';
import type { RenameMap } from './rename-map.js';
import type { ToolboxCluster } from './toolbox-cluster.js';

export interface RenameInputs {
  map: RenameMap;
  cluster: ToolboxCluster;
  /** Where to write the plan; undefined: nothing written (the dry run). */
  output?: string | undefined;
  /** Header time (default now; RINGSHIFT_NOW pins it). */
  created?: string | undefined;
  /** Each action and skip as it is planned. */
  onRecord?: (rec: PlanAction | PlanSkip) => void;
  onProgress?: (node: string, listed: number) => void;
}

export interface RenameSummary {
  /** Old names found on some location. */
  oldNames: number;
  /** New names they go to. */
  newNames: number;
  copy: number;
  fill: number;
  delete: number;
  skip: number;
  /** Bytes the copies and fills read. */
  bytes: number;
  /** Literal old names of the map found on no location. */
  notFound: string[];
  /** New names several old names merge into (a note each). */
  merges: { name: string; olds: string[] }[];
  /** The plan file written, or null. */
  written: string | null;
}

interface Holder {
  loc: number;
  path: string;
}

interface Checked extends Holder {
  check: HolderCheck;
}

/** Old names, and where each is, per new name. */
type Found = Map<string, Map<string, Holder[]>>;

export async function planRename(o: RenameInputs): Promise<RenameSummary> {
  const { map, cluster } = o;
  if (cluster.setup.ring === null) throw new UsageError('rename needs a ring', { expected: 'rename --cluster FILE' });
  const found = await findOldNames(o);
  const sum: RenameSummary = {
    oldNames: 0,
    newNames: found.size,
    copy: 0,
    fill: 0,
    delete: 0,
    skip: 0,
    bytes: 0,
    notFound: [],
    merges: [],
    written: null,
  };
  const seenOld = new Set<string>();
  for (const olds of found.values()) for (const old of olds.keys()) seenOld.add(old);
  sum.oldNames = seenOld.size;
  sum.notFound = map.literalNames().filter((n) => !seenOld.has(n));

  const locs = cluster.locations;
  const header: PlanHeader = {
    type: 'header',
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    created: o.created ?? nowIso(),
    ringFingerprint: ringFingerprint(cluster.setup.ring.spec),
    ring: cluster.setup.ring.spec,
    cluster: resolve(cluster.path),
    locations: headerLocations(locs),
    options: { keepSource: false, moveSuspected: false, rename: resolve(map.file) },
  };
  const writer = o.output === undefined ? null : PlanWriter.open(o.output, header);
  let nextId = 0;
  const emitAction = (a: PlanAction) => {
    if (a.op === 'copy') sum.copy++;
    else if (a.op === 'fill') sum.fill++;
    else sum.delete++;
    if (a.op !== 'delete') sum.bytes += a.source.size;
    writer?.action(a);
    o.onRecord?.(a);
  };
  const emitSkip = (s: PlanSkip) => {
    sum.skip++;
    writer?.skip(s);
    o.onRecord?.(s);
  };
  const check = async (i: number, path: string): Promise<HolderCheck | null> => {
    if (cluster.isAbsent(i)) return null;
    const l = locs[i]!;
    return l.scheme === 'file' ? checkFile(l.root, path) : checkRemoteFile(await cluster.driver(i), path);
  };

  try {
    for (const newName of [...found.keys()].sort()) {
      const olds = found.get(newName)!;
      const oldNames = [...olds.keys()].sort();
      if (oldNames.length > 1) sum.merges.push({ name: newName, olds: oldNames });
      const newPath = metricToPath(newName);
      // The old copies, checked; an unsound one is left alone.
      const holders: (Checked & { metric: string })[] = [];
      for (const old of oldNames) {
        for (const h of olds.get(old)!) {
          const c = await check(h.loc, h.path);
          if (c === null) continue; // gone since it was listed
          if (!c.ok) {
            emitSkip({
              type: 'skip',
              metric: old,
              path: h.path,
              at: locs[h.loc]!.id,
              reason: `not renamed: not a sound whisper file (${c.error ?? 'invalid'})`,
              fix: 'ringshift whisper verify it; repair or delete it by hand',
            });
            continue;
          }
          holders.push({ ...h, check: c, metric: old });
        }
      }
      if (holders.length === 0) continue;
      const owners = cluster.owners(newName);
      const skipAll = (reason: string, fix: string) => {
        for (const h of holders) emitSkip({ type: 'skip', metric: h.metric, path: h.path, at: locs[h.loc]!.id, reason, fix });
      };
      if (owners.length === 0) {
        skipAll(`not renamed: no storage location owns ${newName}`, 'give the members that own it a storage location in the cluster file');
        continue;
      }
      const dests = await Promise.all(owners.map(async (i) => ({ loc: i, check: await check(i, newPath) })));
      const unsound = dests.find((d) => d.check !== null && !d.check.ok);
      if (unsound !== undefined) {
        skipAll(
          `not renamed: ${newName} on ${locs[unsound.loc]!.id} (${newPath}) is not a sound whisper file (${unsound.check!.error ?? 'invalid'})`,
          'repair or remove that file, then plan the rename again',
        );
        continue;
      }
      const intoOwners: number[] = [];
      const base = (h: Checked & { metric: string }) => ({
        type: 'action' as const,
        metric: newName,
        path: h.path,
        toPath: newPath,
        from: locs[h.loc]!.id,
        source: stamp(h.check.stamp),
      });
      for (const d of dests) {
        const to = locs[d.loc]!.id;
        if (d.check !== null) {
          for (const h of holders) {
            const id = nextId++;
            emitAction({ ...base(h), id, op: 'fill', to, dest: stamp(d.check.stamp) });
            intoOwners.push(id);
          }
          continue;
        }
        const first = holders.find((h) => h.loc === d.loc) ?? holders[0]!;
        const copyId = nextId++;
        emitAction({ ...base(first), id: copyId, op: 'copy', to });
        intoOwners.push(copyId);
        for (const h of holders) {
          if (h === first) continue;
          const id = nextId++;
          emitAction({ ...base(h), id, op: 'fill', to, dest: stamp(first.check.stamp), after: [copyId] });
          intoOwners.push(id);
        }
      }
      for (const h of holders) {
        emitAction({
          type: 'action',
          id: nextId++,
          op: 'delete',
          metric: h.metric,
          path: h.path,
          at: locs[h.loc]!.id,
          source: stamp(h.check.stamp),
          after: intoOwners,
        });
      }
    }
    if (writer !== null) {
      writer.commit();
      sum.written = writer.path;
    }
    return sum;
  } catch (err) {
    writer?.abort();
    throw err;
  }
}

function stamp(s: FileStamp): FileStamp {
  return { size: s.size, mtimeMs: s.mtimeMs };
}

/**
 * Every copy of every old name, grouped by new name. A map with regular expressions lists every
 * location (the names are only known by matching); a map of literal names stats each name's path on
 * each location instead.
 */
async function findOldNames(o: RenameInputs): Promise<Found> {
  const { map, cluster } = o;
  const found: Found = new Map();
  const add = (old: string, loc: number, path: string) => {
    const t = map.target(old);
    if (t === null) return;
    let olds = found.get(t.name);
    if (olds === undefined) found.set(t.name, (olds = new Map()));
    let hs = olds.get(old);
    if (hs === undefined) olds.set(old, (hs = []));
    hs.push({ loc, path });
  };
  const all = cluster.locations.map((_, i) => i).filter((i) => !cluster.isAbsent(i));
  if (map.hasRegex) {
    for (const i of all) {
      const id = cluster.locations[i]!.id;
      const onProgress = o.onProgress;
      for await (const batch of cluster.scan(i, null, onProgress === undefined ? {} : { onProgress: (n) => onProgress(id, n) })) {
        for (const e of batch) if (e.kind === 'metric' && e.metric !== null) add(e.metric, i, e.path);
      }
    }
    return found;
  }
  const names = map.literalNames();
  const limit = pLimit(16);
  for (const i of all) {
    const driver = await cluster.driver(i);
    const hits = await Promise.all(
      names.map((n) =>
        limit(async () => {
          const st = await driver.stat(metricToPath(n));
          return st !== null && st.type === 'file' ? n : null;
        }),
      ),
    );
    for (const n of hits) if (n !== null) add(n, i, metricToPath(n));
  }
  return found;
}

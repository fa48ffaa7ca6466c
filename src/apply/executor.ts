// `ringshift apply` as a library: check the plan and its ring, open (and lock) the journals of the
// destinations this job works for, clean temp files a crash left, then run the plan's actions in three
// streaming passes over the plan file: copies and fills, fills that wait for copies, deletes (after
// reloading the other destinations' journals). Work runs under a global concurrency limit and a
// per-location one (a copy counts against its source and its destination), with an optional
// bandwidth cap. Re-running the same command resumes: actions the journals show as done are skipped.
import { readdirSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { loadClusterFile } from '../config/cluster-file.js';
import { ConfigError, DataError, UsageError } from '../errors.js';
import { ringFingerprint, type PlanAction, type PlanHeader, type PlanLocation } from '../plan/plan-file.js';
import { removeEmptyDirs } from '../storage/empty-dirs.js';
import { resolveLocations } from '../storage/locations.js';
import type { SshOptions } from '../storage/ssh-driver.js';
import { ActionTable, OP } from './action-table.js';
import { outcomeOf, runCopy, runDelete, runFill, type ActionContext, type Lease, type Outcome } from './actions.js';
import { silentProgress, type NodeTotals, type ProgressSink } from './apply-progress.js';
import { ApplyReport } from './apply-report.js';
import { crashPoint } from './crash-points.js';
import { checkJournalPlan, iso, Journal, JournalBroken, journalDir, journalFileName, readJournal } from './journal.js';
import { NodePull, nodeSshArgs, type TransportMode } from './node-pull.js';
import { isRemote, Nodes } from './nodes.js';
import { IdSet, planLines, scanPlan } from './plan-reader.js';
import { TokenBucket } from './token-bucket.js';

export interface ApplyOptions {
  /** The plan file. */
  plan: string;
  /** Cluster file to check the ring against (default: the one the plan names). */
  cluster?: string | undefined;
  /** Actions moving data at once (default 16). */
  concurrency?: number | undefined;
  /** Actions moving data at once per location (default 8). */
  perNode?: number | undefined;
  /** Bytes per second for all transfers together (default: unlimited). */
  bwlimit?: number | null | undefined;
  /** Only this node's actions: copies and fills into it, deletes on it (a location id, storage key, member id or server name). */
  node?: string | undefined;
  /** @deprecated the old name of `node`. */
  onlyDest?: string | undefined;
  dryRun?: boolean | undefined;
  ssh?: SshOptions | undefined;
  /** How copies between two ssh:// nodes travel: node to node when the nodes allow it (auto), always (pull), or through this machine (relay). */
  transport?: TransportMode | undefined;
  /** How long a fill waits for the destination's flock (default 30 s). */
  lockTimeoutMs?: number | undefined;
  progress?: ProgressSink | undefined;
  /** Set (by the command's SIGINT/SIGTERM handler) to stop: the actions in flight finish, no new one starts. */
  interrupt?: { readonly signal: NodeJS.Signals | null } | undefined;
}

/** Counting semaphore: FIFO waiters, released by the holder. */
class Slots {
  private waiters: (() => void)[] = [];
  constructor(private free: number) {}
  acquire(): Promise<void> {
    if (this.free > 0 && this.waiters.length === 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const w = this.waiters.shift();
    if (w !== undefined) w();
    else this.free++;
  }
}

/** Errors that say a node cannot be reached (the ssh driver's SshError codes, duck-typed: local runs never load it). */
const UNREACHABLE = new Set(['ECONNRESET', 'ECONNREFUSED', 'ENOTCONN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND']);
function unreachable(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown };
  return e?.name === 'SshError' && typeof e.code === 'string' && UNREACHABLE.has(e.code);
}

/** The plan location --node names. */
export function selectDestination(locations: readonly PlanLocation[], query: string): PlanLocation {
  const hits = locations.filter(
    (l) =>
      l.id === query ||
      l.id.split('+').includes(query) ||
      l.members.includes(query) ||
      l.members.some((m) => m.replace(/^\[(.*)\](:.*)$/, '$1$2').split(':')[0] === query || m.split(':')[0] === query),
  );
  const exact = hits.filter((l) => l.id === query || l.members.includes(query));
  const pick = exact.length === 1 ? exact : hits;
  if (pick.length === 1) return pick[0]!;
  const choices = locations.map((l) => l.id).join(', ');
  if (pick.length === 0)
    throw new UsageError(`--node ${JSON.stringify(query)} matches no location of the plan`, { expected: `one of: ${choices}` });
  throw new UsageError(`--node ${JSON.stringify(query)} matches ${pick.length} locations (${pick.map((l) => l.id).join(', ')})`, {
    expected: 'a location id or a member id',
  });
}

const WINDOW = 1024;

export async function applyPlan(o: ApplyOptions): Promise<ApplyReport> {
  const planPath = resolve(o.plan);
  const progress = o.progress ?? silentProgress;
  const dryRun = o.dryRun === true;

  // Pass 0: check the whole plan and index its actions.
  let table: ActionTable | null = null;
  const summary = await scanPlan(planPath, (a, header) => {
    table ??= new ActionTable(header.locations.map((l) => l.id));
    table.add(a);
  });
  const header: PlanHeader = summary.header;
  const t: ActionTable = table ?? new ActionTable(header.locations.map((l) => l.id));

  // The ring must be the one the plan was made for.
  const clusterPath = o.cluster ?? header.cluster;
  const cluster = await loadClusterFile(clusterPath);
  const fp = ringFingerprint(cluster.ring);
  if (fp !== header.ringFingerprint) {
    throw new ConfigError(
      `the ring changed since the plan was made (plan ${header.ringFingerprint.slice(0, 12)}…, cluster file now ${fp.slice(0, 12)}…)`,
      {
        file: clusterPath,
        expected: 'the ring the plan was made for: make a new plan',
      },
    );
  }
  const resolved = await resolveLocations(cluster);
  const nodes = new Nodes(header.locations, resolved, o.ssh ?? {});

  const nodeQuery = o.node ?? o.onlyDest;
  const only = nodeQuery === undefined ? null : selectDestination(header.locations, nodeQuery);
  const selectedNode = (i: number) => only === null || t.locations[i] === only.id;
  const report = new ApplyReport(planPath, summary.sha256, only?.id ?? null, dryRun);
  report.planSkips = summary.skips;

  // Journals: ours (locked, appended), the others' (read).
  const dir = journalDir(planPath);
  const ours = new Map<string, Journal>();
  const selectedIds: number[] = [];
  const nodesWithWork = new Set<string>();
  for (let id = 0; id < t.op.length; id++) {
    if (t.op[id] === OP.none || !selectedNode(t.node[id]!)) continue;
    selectedIds.push(id);
    nodesWithWork.add(t.locations[t.node[id]!]!);
  }
  const readOthers = (): void => {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.ndjson'));
    } catch {
      return;
    }
    const mine = new Set([...ours.keys()].map(journalFileName));
    for (const n of names) {
      if (mine.has(n)) continue;
      const path = `${dir}/${n}`;
      const recs = readJournal(path);
      checkJournalPlan(recs, summary.sha256, path);
      t.replay(recs);
    }
  };

  const journalsToClose: Journal[] = [];
  try {
    if (!dryRun) {
      for (const node of [...nodesWithWork].sort()) {
        const j = await Journal.open(dir, node, summary.sha256);
        ours.set(node, j);
        journalsToClose.push(j);
        t.replay(j.previous);
      }
    }
    readOthers();

    // Totals.
    const totals = new Map<string, NodeTotals>();
    // Pending actions of each op: a pass over the plan (a full read and parse of it) is made only
    // for ops that have any (a run of copies alone reads the plan twice, not five times).
    const pendingOps = new Uint32Array(4);
    for (const id of selectedIds) {
      const op = t.op[id]!;
      report.selected[op === OP.copy ? 'copy' : op === OP.fill ? 'fill' : 'delete']++;
      if (op !== OP.delete) report.selected.bytes += t.bytes[id]!;
      if (t.isDone(id)) {
        report.done.earlier++;
        continue;
      }
      pendingOps[op]!++;
      const node = t.locations[t.node[id]!]!;
      const n = totals.get(node) ?? { id: node, actions: 0, bytes: 0 };
      n.actions++;
      if (op !== OP.delete) n.bytes += t.bytes[id]!;
      totals.set(node, n);
    }
    const pendingTotal = [...totals.values()].reduce((n, x) => n + x.actions, 0);

    if (dryRun) {
      await dryRunPasses(planPath, t, selectedNode, report);
      return report;
    }

    // Connect to every location this job touches before doing anything: a host key or login problem
    // stops the job here, not once per action.
    const touched = new Set<string>();
    /** Locations that receive a copy from another location (a node-to-node pull may run there). */
    const copyTargets = new Set<string>();
    /** Locations written to (copies and fills): their command shells start early. */
    const written = new Set<string>();
    for (const id of selectedIds) {
      if (t.isDone(id)) continue;
      touched.add(t.locations[t.node[id]!]!);
      if (t.op[id] !== OP.delete) touched.add(t.locations[t.from[id]!]!);
      if (t.op[id] === OP.copy) copyTargets.add(t.locations[t.node[id]!]!);
      if (t.op[id] !== OP.delete) written.add(t.locations[t.node[id]!]!);
    }
    // A delete also reaches the owners its data went to (their files are checked, maybe refilled).
    if (pendingOps[OP.delete]! > 0)
      for await (const batch of planLines(planPath)) {
        for (const { rec } of batch) {
          if (rec.type !== 'action' || rec.op !== 'delete' || !selectedNode(t.node[rec.id]!) || t.isDone(rec.id)) continue;
          // Only deletes that can run now (every owner copy verified); the others wait anyway.
          if (rec.after.every((x) => t.has(x) && (t.isDone(x) || selectedNode(t.node[x]!))))
            for (const x of rec.after) touched.add(t.locations[t.node[x]!]!);
        }
      }
    await Promise.all(
      [...touched].map((l) =>
        nodes.driver(l).then(
          (d) => {
            if (written.has(l) && isRemote(d)) d.warmShell();
          },
          (err: unknown) => {
            if (unreachable(err))
              throw new DataError(`cannot reach location ${l}: ${(err as Error).message}`, { expected: 'a node that answers ssh' });
            throw err;
          },
        ),
      ),
    );
    report.notes.push(...nodes.notes);

    const transport = o.transport ?? 'auto';
    // auto pulls only where the cluster file says how nodes reach each other (a node_ssh: section, even
    // empty): a node is never made to log in to another unless the operator declared that trust.
    const pull =
      transport === 'relay' || (transport === 'auto' && cluster.sections?.node_ssh === undefined)
        ? undefined
        : new NodePull(transport, nodes, summary.sha256, nodeSshArgs(cluster), (n) => report.notes.push(n));
    // The pull shell of each receiving node starts now, beside everything else (a slow login costs once, early).
    if (pull !== undefined) for (const l of copyTargets) pull.warm(l);
    const ctx: ActionContext = {
      nodes,
      pull,
      planSha: summary.sha256,
      table: t,
      bucket: o.bwlimit ? new TokenBucket(o.bwlimit) : null,
      lockTimeoutMs: o.lockTimeoutMs ?? 30_000,
      journal: (node) => {
        const j = ours.get(node);
        if (j === undefined) throw new Error(`no journal open for ${node}`);
        return j;
      },
      onRead: (node, n) => {
        report.done.bytesRead += n;
        progress.read(node, n);
      },
      onWritten: (node, n) => {
        report.done.bytesWritten += n;
        report.done.bytes += n;
        progress.written(node, n);
      },
    };

    // An action holds a slot of each location it moves data between, and one of the job, while it
    // moves data; it gives them back when only shared waits are left (syncs, the journal). Slots are
    // taken in one order (locations sorted, then the job's), so no two actions wait on each other.
    const global = new Slots(Math.max(1, o.concurrency ?? 16));
    const perNode = new Map<string, Slots>();
    const limiterOf = (node: string) => {
      let l = perNode.get(node);
      if (l === undefined) perNode.set(node, (l = new Slots(Math.max(1, o.perNode ?? 8))));
      return l;
    };
    const notDone = new IdSet(); // copies/fills of this job that did not end verified
    let processed = 0;
    let fatal: Error | null = null;

    const interrupted = (): boolean => {
      const sig = o.interrupt?.signal ?? null;
      if (sig !== null && report.stopped === null) report.stopped = `interrupted by ${sig}; the actions in flight finished`;
      return sig !== null;
    };
    const runOne = async (a: PlanAction, exec: (lease: Lease) => Promise<Outcome>): Promise<void> => {
      const locs = [...new Set(a.op === 'delete' ? [a.at] : [a.from, a.to])].sort();
      for (const l of locs) await limiterOf(l).acquire();
      await global.acquire();
      let held = true;
      const lease: Lease = {
        release: () => {
          if (!held) return;
          held = false;
          global.release();
          for (const l of locs) limiterOf(l).release();
        },
        reacquire: async () => {
          if (held) return;
          for (const l of locs) await limiterOf(l).acquire();
          await global.acquire();
          held = true;
        },
      };
      let out: Outcome;
      try {
        if (interrupted() || report.stopped !== null) out = { kind: 'failed', code: 'Stopped', reason: 'not run: the job stopped' };
        else out = await exec(lease);
      } catch (err) {
        if (err instanceof JournalBroken) out = { kind: 'failed', code: 'Journal', reason: err.describe(), stop: true };
        // A configuration problem (host key, login, storage) is the same for every action: stop.
        else if (err instanceof UsageError || err instanceof ConfigError) {
          fatal ??= err;
          out = { kind: 'failed', code: 'Config', reason: err.describe(), stop: true };
        } else if (unreachable(err)) {
          // A node that went away fails every action that needs it: stop, and say it once.
          out = {
            kind: 'failed',
            code: (err as { code: string }).code,
            reason: `${(err as Error).message}; run the same command again once it is back`,
            stop: true,
          };
        } else out = outcomeOf(err);
      }
      // Stop before the slots go to the next action, so it sees the stop.
      if (out.kind === 'failed' && out.stop === true && report.stopped === null)
        report.stopped = `${out.reason} (action #${a.id}); sources are intact`;
      lease.release();
      const node = a.op === 'delete' ? a.at : a.to;
      if (out.kind === 'failed' && out.code === 'Stopped') {
        if (a.op !== 'delete') notDone.add(a.id);
        return;
      }
      processed++;
      report.record(a, out);
      progress.action(node, out.kind);
      if (out.kind !== 'done' && a.op !== 'delete') notDone.add(a.id);
      if (out.kind === 'failed' || out.kind === 'skipped') {
        await ours
          .get(node)
          ?.append({ t: 'failed', id: a.id, op: a.op, code: out.code, error: out.reason, at: iso() })
          .catch(() => undefined);
      }
    };

    /** Why an action's dependencies are not all verified, or null when they are. */
    const depsProblem = (a: PlanAction, after: readonly number[]): Outcome | null => {
      for (const id of after) {
        if (!t.has(id)) return { kind: 'blocked', reason: `depends on action #${id}, which the plan does not contain` };
        if (t.isDone(id)) continue;
        const node = t.locations[t.node[id]!]!;
        if (notDone.has(id) || selectedNode(t.node[id]!))
          return { kind: 'blocked', reason: `${t.opName(id)} #${id} into ${node} is not done` };
        return {
          kind: 'waiting',
          reason: `${t.opName(id)} #${id} into ${node} is not verified yet (its job has not run, or its journal is not in ${dir})`,
        };
      }
      void a;
      return null;
    };

    const pass = async (
      ops: readonly number[],
      want: (a: PlanAction) => boolean,
      exec: (a: PlanAction, lease: Lease) => Promise<Outcome>,
    ): Promise<void> => {
      if (ops.every((op) => pendingOps[op] === 0)) return;
      const inflight = new Set<Promise<void>>();
      outer: for await (const batch of planLines(planPath)) {
        for (const { rec } of batch) {
          if (interrupted() || report.stopped !== null) break outer;
          if (rec.type !== 'action' || !selectedNode(t.node[rec.id]!) || t.isDone(rec.id) || !want(rec)) continue;
          const p: Promise<void> = runOne(rec, (lease) => exec(rec, lease)).finally(() => inflight.delete(p));
          inflight.add(p);
          if (inflight.size >= WINDOW) await Promise.race(inflight);
        }
      }
      await Promise.all(inflight);
    };

    progress.start([...totals.values()]);
    try {
      await pass(
        [OP.copy, OP.fill],
        (a) => a.op === 'copy' || (a.op === 'fill' && (a.after ?? []).length === 0),
        (a, lease) => (a.op === 'copy' ? runCopy(ctx, a, lease) : runFill(ctx, a as Extract<PlanAction, { op: 'fill' }>, lease)),
      );
      crashPoint('after-copies');
      await pass(
        [OP.fill],
        (a) => a.op === 'fill' && (a.after ?? []).length > 0,
        async (a, lease) =>
          depsProblem(a, (a as Extract<PlanAction, { op: 'fill' }>).after ?? []) ??
          runFill(ctx, a as Extract<PlanAction, { op: 'fill' }>, lease),
      );
      readOthers(); // other jobs may have verified copies meanwhile
      const emptied = new Map<string, Set<string>>(); // location → directories a delete took a file from
      await pass(
        [OP.delete],
        (a) => a.op === 'delete',
        async (a, lease) => {
          const d = a as Extract<PlanAction, { op: 'delete' }>;
          const out = depsProblem(a, d.after) ?? (await runDelete(ctx, d, lease));
          if (out.kind === 'done' && out.result === 'deleted') {
            if (!emptied.has(d.at)) emptied.set(d.at, new Set());
            emptied.get(d.at)!.add(posix.dirname(d.path));
          }
          return out;
        },
      );
      // The deletes did not wait for their directories' syncs: one round per node covers them all, before
      // the journals close and before any directory is removed.
      await Promise.all([...emptied.keys()].map(async (loc) => (await nodes.driver(loc)).syncPaths([])));
      // Once this job's copies and deletes are over: the directories its deletes left empty go (never a
      // root). Best effort: a directory that cannot be removed is only clutter, never a reason to fail.
      for (const [loc, dirs] of emptied) {
        const removed = await removeEmptyDirs(await nodes.driver(loc), dirs).catch(() => []);
        report.done.directoriesRemoved += removed.length;
      }
    } finally {
      progress.stop();
    }
    for (const [pair, n] of pull?.pulled ?? []) report.notes.push(`${pair}: ${n} ${n === 1 ? 'copy' : 'copies'} pulled node to node`);
    if (fatal !== null) throw fatal;
    report.counts.notRun = Math.max(0, pendingTotal - processed);
    return report;
  } finally {
    const counts = { ...report.done, ...report.counts };
    for (const j of journalsToClose) await j.close(counts);
    await nodes.closeAll();
  }
}

/** Dry run: list what would run, with the dependency state of each delete. */
async function dryRunPasses(planPath: string, t: ActionTable, selectedNode: (i: number) => boolean, report: ApplyReport): Promise<void> {
  for await (const batch of planLines(planPath)) {
    for (const { rec } of batch) {
      if (rec.type !== 'action' || !selectedNode(t.node[rec.id]!) || t.isDone(rec.id)) continue;
      const after = rec.op === 'delete' ? rec.after : rec.op === 'fill' ? (rec.after ?? []) : [];
      const open = after.filter((id) => !t.isDone(id));
      const reason = open.length === 0 ? '' : `after ${open.map((id) => `#${id}`).join(', ')}`;
      if (report.pending.length < 1000) report.pending.push(ApplyReport.item(rec, reason));
    }
  }
}

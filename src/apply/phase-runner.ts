// Runs a phased runbook (plan version 2, src/plan/runbook.ts) one phase at a time, so that an
// operator can change a cluster that keeps receiving points: `apply PLAN` runs the next phase that
// is due and stops where the operator must act; `apply PLAN --phase NAME` runs one.
//
// The executor never sees the v2 file: pre-copy and cleanup run as derived v1 plans beside it
// (PLAN.pre-copy: the copies and fills; PLAN.cleanup: every action again — the copies find their
// destination there and become fills, so each owner is re-proven from its source right before the
// delete) with their own journals, resumable like any apply. Backfill (the windowed gap-only fill of
// [pre-copy start − margin, switch + margin]) and verify work on the same file pairs and are idempotent,
// so running them again is their resume. Phase progress is an append-only NDJSON file, PLAN.phases
// (fsynced): which phases are done, when the pre-copy started and when the relays switched.
//
// The switch is confirmed from liveness unless --switched-at is given: every new owner's file that a
// relay writes received a point after the pre-copy ended, and no old holder received one for a live
// window. Cleanup refuses to run before verify passed. Pairs with a side on an ssh:// node are backfilled
// and verified through the drivers, files read whole (remote-phase-pairs.ts); liveness reads local files,
// so a runbook whose pairs are all remote confirms the switch with --switched-at.
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { nowSeconds } from '../clock.js';
import { DataError, UsageError } from '../errors.js';
import { fsyncDirSync } from '../fs-durable.js';
import { PHASES, type PhaseName } from '../plan/phase-names.js';
import { PLAN_VERSION, type PlanAction, type PlanHeader, type PlanRecord } from '../plan/plan-file.js';
import { BACKFILL_MARGIN } from '../plan/runbook.js';
import { checkRelPath } from '../storage/driver.js';
import { formatDuration, plural } from '../units.js';
import { applyPlan, type ApplyOptions } from './executor.js';
import { scanPlan } from './plan-reader.js';
import { verifyPair, type PairVerdict } from './verify-pair.js';
import { Nodes } from './nodes.js';
import { backfillRemotePair, verifyRemotePair, type RunbookPair } from './remote-phase-pairs.js';
import { windowedFill } from './windowed-fill.js';
import { lastPointOf } from '../audit/liveness.js';

export interface PhaseRunOptions extends ApplyOptions {
  /** --phase NAME: run this phase (its predecessors must be done). Default: the next one due. */
  phase?: PhaseName | undefined;
  /** --switched-at: when the relays switched (unix seconds); confirms the switch without liveness. */
  switchedAt?: number | undefined;
  /** Seconds without a point after which an old holder counts as no longer written (default 600). */
  liveWindow?: number | undefined;
}

export interface PhaseOutcome {
  phase: PhaseName;
  /** done; waiting (the operator must act first); failed. */
  status: 'done' | 'waiting' | 'failed';
  lines: string[];
  json: Record<string, unknown>;
  exitCode: number;
}

interface PhaseEvent {
  phase: PhaseName;
  event: 'started' | 'done';
  at: number;
  switchedAt?: number;
}

interface Pair {
  /** The source is a leftover the cleanup deletes (else it stays an owner and keeps receiving points). */
  leftover: boolean;
  fromRoot: string;
  toRoot: string;
  path: string;
  toPath: string;
  from: string;
  to: string;
}

const stateFile = (plan: string): string => `${plan}.phases`;

function readEvents(plan: string): PhaseEvent[] {
  let text: string;
  try {
    text = fs.readFileSync(stateFile(plan), 'utf8');
  } catch {
    return [];
  }
  const out: PhaseEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as PhaseEvent);
    } catch {
      // A torn last line (crash while appending): the event did not happen.
    }
  }
  return out;
}

function appendEvent(plan: string, e: PhaseEvent): void {
  const fd = fs.openSync(stateFile(plan), 'a');
  try {
    fs.writeSync(fd, JSON.stringify(e) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Write a derived v1 plan atomically; deterministic, so a rerun writes the same bytes (its journal stays valid). */
function writeDerived(path: string, header: PlanHeader, actions: readonly PlanAction[]): void {
  const h: Record<string, unknown> = { ...header, version: PLAN_VERSION };
  delete h.phased;
  const lines = [JSON.stringify(h)];
  let bytes = 0;
  for (const a of actions) {
    const copy: Record<string, unknown> = { ...a };
    delete copy.phase;
    lines.push(JSON.stringify(copy));
    if (a.op !== 'delete') bytes += a.source.size;
  }
  lines.push(JSON.stringify({ type: 'footer', actions: actions.length, skips: 0, bytes }));
  const text = lines.join('\n') + '\n';
  try {
    if (fs.readFileSync(path, 'utf8') === text) return;
  } catch {
    // not written yet
  }
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  fsyncDirSync(dirname(path));
}

function localRoot(header: PlanHeader, id: string): string | null {
  const l = header.locations.find((x) => x.id === id);
  return l !== undefined && l.url.startsWith('/') ? l.url : null;
}

/** Run the next due phase (or `o.phase`) of the phased plan `o.plan`. */
export async function runPhase(o: PhaseRunOptions): Promise<PhaseOutcome> {
  const actions: PlanAction[] = [];
  let runbook: Record<string, unknown> | undefined;
  const scanned = await scanPlan(o.plan, (a) => actions.push(a), {
    phased: true,
    onRecord: (r: PlanRecord) => {
      if (r.type === 'runbook') runbook = r as unknown as Record<string, unknown>;
    },
  });
  const header = scanned.header;
  if (header.phased !== true)
    throw new UsageError('--phase needs a phased plan (plan --phased)', { file: o.plan, expected: 'ringshift apply PLAN' });
  const events = readEvents(o.plan);
  const done = new Set(events.filter((e) => e.event === 'done').map((e) => e.phase));
  const phase = o.phase ?? PHASES.find((p) => !done.has(p));
  if (phase === undefined)
    return { phase: 'cleanup', status: 'done', lines: ['every phase is done'], json: { phase: null, status: 'done' }, exitCode: 0 };
  const idx = PHASES.indexOf(phase);
  const missing = PHASES.slice(0, idx).filter((p) => !done.has(p));
  if (missing.length > 0)
    throw new UsageError(`phase ${phase} needs ${missing.join(', ')} done first`, {
      expected: `ringshift apply PLAN --phase ${missing[0]}`,
    });

  const preStart = events.find((e) => e.phase === 'pre-copy' && e.event === 'started')?.at;
  const preDone = events.find((e) => e.phase === 'pre-copy' && e.event === 'done')?.at;
  const switchedAt = o.switchedAt ?? events.find((e) => e.phase === 'switch' && e.event === 'done')?.switchedAt;
  const pairs: Pair[] = [];
  // Pairs with a side on an ssh:// node: backfill and verify reach them through the drivers.
  const remote: (RunbookPair & { leftover: boolean })[] = [];
  const deleted = new Set(actions.flatMap((a) => (a.op === 'delete' ? [`${a.at}\0${a.path}`] : [])));
  for (const a of actions) {
    if (a.op === 'delete') continue;
    const fromRoot = localRoot(header, a.from);
    const toRoot = localRoot(header, a.to);
    if (fromRoot === null || toRoot === null) {
      const path = checkRelPath(a.path);
      remote.push({
        leftover: deleted.has(`${a.from}\0${a.path}`),
        path,
        toPath: checkRelPath(a.toPath ?? a.path),
        from: a.from,
        to: a.to,
      });
      continue;
    }
    pairs.push({
      leftover: deleted.has(`${a.from}\0${a.path}`),
      fromRoot,
      toRoot,
      path: checkRelPath(a.path),
      toPath: checkRelPath(a.toPath ?? a.path),
      from: a.from,
      to: a.to,
    });
  }
  const applyOpts = (plan: string): ApplyOptions => ({ ...o, plan });
  const finish = (extra: Omit<PhaseEvent, 'phase' | 'event' | 'at'> = {}) => {
    if (o.dryRun !== true) appendEvent(o.plan, { phase, event: 'done', at: nowSeconds(), ...extra });
  };

  switch (phase) {
    case 'pre-copy': {
      const path = `${o.plan}.pre-copy`;
      writeDerived(
        path,
        header,
        actions.filter((a) => a.op !== 'delete'),
      );
      if (preStart === undefined && o.dryRun !== true) appendEvent(o.plan, { phase, event: 'started', at: nowSeconds() });
      const report = await applyPlan(applyOpts(path));
      const code = report.exitCode();
      if (code === 0) finish();
      return {
        phase,
        status: code === 0 ? 'done' : 'failed',
        lines: [`phase pre-copy (${path}):`, ...report.text().map((l) => `  ${l}`), ...(code === 0 ? nextLines('switch', runbook) : [])],
        json: { phase, status: code === 0 ? 'done' : 'failed', apply: report.json() },
        exitCode: code,
      };
    }
    case 'switch': {
      if (switchedAt !== undefined) {
        finish({ switchedAt });
        return {
          phase,
          status: 'done',
          lines: [`phase switch: done, relays switched at ${iso(switchedAt)} (--switched-at)`, ...nextLines('backfill', runbook)],
          json: { phase, status: 'done', switchedAt, by: 'switched-at' },
          exitCode: 0,
        };
      }
      const seen = confirmSwitch(pairs, preDone ?? preStart ?? 0, o.liveWindow ?? 600);
      if (pairs.length === 0 && remote.length > 0)
        seen.why = `every pair has a side on an ssh:// node and liveness reads local files only: give --switched-at TIME`;
      if (seen.switchedAt !== null) {
        finish({ switchedAt: seen.switchedAt });
        return {
          phase,
          status: 'done',
          lines: [
            `phase switch: confirmed from liveness: ${seen.receiving} new owner files receive points, no old holder got one in ${formatDuration(o.liveWindow ?? 600)}; switched at about ${iso(seen.switchedAt)}`,
            ...nextLines('backfill', runbook),
          ],
          json: { phase, status: 'done', by: 'liveness', ...seen },
          exitCode: 0,
        };
      }
      return {
        phase,
        status: 'waiting',
        lines: [
          ...switchInstructions(runbook),
          `not switched yet: ${seen.why}`,
          'deploy the edits, then run the same command again (or give --switched-at TIME)',
        ],
        json: { phase, status: 'waiting', ...seen },
        exitCode: 3,
      };
    }
    case 'backfill': {
      if (switchedAt === undefined || preStart === undefined) throw new DataError('backfill needs the pre-copy start and the switch time');
      const from = preStart - BACKFILL_MARGIN;
      const until = switchedAt + BACKFILL_MARGIN;
      let filled = 0;
      let read = 0;
      let written = 0;
      let missingFiles = 0;
      const now = nowSeconds();
      for (const p of pairs) {
        if (o.interrupt?.signal != null) return interruptedPhase(phase, o.interrupt.signal);
        const src = join(p.fromRoot, p.path);
        const dst = join(p.toRoot, p.toPath);
        if (!fs.existsSync(src) || !fs.existsSync(dst)) {
          missingFiles++;
          continue;
        }
        const r = await windowedFill(src, dst, { now, from, until, lockTimeoutMs: o.lockTimeoutMs, dryRun: o.dryRun });
        filled += r.filled;
        read += r.bytesRead;
        written += r.bytesWritten;
      }
      if (remote.length > 0 && o.dryRun !== true) {
        const stopped = await withNodes(header, o, async (nodes) => {
          for (const p of remote) {
            if (o.interrupt?.signal != null) return o.interrupt.signal;
            const r = await backfillRemotePair(nodes, p, { from, until }, o.lockTimeoutMs ?? 30_000);
            if (r.missing) missingFiles++;
            filled += r.filled;
            read += r.bytesRead;
            written += r.bytesWritten;
          }
          return null;
        });
        if (stopped !== null) return interruptedPhase(phase, stopped);
      }
      finish();
      return {
        phase,
        status: 'done',
        lines: [
          `phase backfill: window ${iso(from)} .. ${iso(until)}: ${plural(pairs.length + remote.length, 'file pair')}` +
            (remote.length > 0 ? ` (${remote.length} over ssh, read whole${o.dryRun === true ? ', not counted in a dry run' : ''})` : '') +
            `, ${plural(filled, 'slot')} filled, ${read} bytes read, ${written} bytes written` +
            (missingFiles > 0 ? `; ${plural(missingFiles, 'pair')} without both files (verify checks them)` : ''),
          ...nextLines('verify', runbook),
        ],
        json: {
          phase,
          status: 'done',
          from,
          until,
          pairs: pairs.length + remote.length,
          remotePairs: remote.length,
          filled,
          bytesRead: read,
          bytesWritten: written,
          missingFiles,
        },
        exitCode: 0,
      };
    }
    case 'verify': {
      const now = nowSeconds();
      const totals = { pairs: 0, points: 0, missing: 0, superseded: 0, missingFiles: 0 };
      const bad: string[] = [];
      const tally = (p: RunbookPair, v: PairVerdict | null): void => {
        // null: the source is gone (cleaned up already): nothing left to prove for it.
        if (v === null) return;
        if (v.destMissing) {
          totals.missingFiles++;
          bad.push(`${p.toPath} at ${p.to}: missing (the source at ${p.from} has ${v.points} points)`);
          return;
        }
        totals.points += v.points;
        totals.missing += v.missing;
        totals.superseded += v.superseded;
        if (v.missing > 0 && bad.length < 20)
          bad.push(`${p.toPath} at ${p.to}: ${plural(v.missing, 'point')} of ${p.from}'s missing (first ${iso(v.firstMissing!)})`);
      };
      for (const p of pairs) {
        if (o.interrupt?.signal != null) return interruptedPhase(phase, o.interrupt.signal);
        totals.pairs++;
        // A leftover stopped receiving at the switch: all its points must be at the owner. A source that stays
        // an owner keeps receiving: its points after the switch are the relay's to deliver, not the runbook's.
        const until = p.leftover || switchedAt === undefined ? Infinity : switchedAt + 1;
        tally(p, await verifyPair(join(p.fromRoot, p.path), join(p.toRoot, p.toPath), now, until, o.lockTimeoutMs));
      }
      if (remote.length > 0) {
        const stopped = await withNodes(header, o, async (nodes) => {
          for (const p of remote) {
            if (o.interrupt?.signal != null) return o.interrupt.signal;
            totals.pairs++;
            const until = p.leftover || switchedAt === undefined ? Infinity : switchedAt + 1;
            tally(p, await verifyRemotePair(nodes, p, now, until));
          }
          return null;
        });
        if (stopped !== null) return interruptedPhase(phase, stopped);
      }
      const ok = totals.missing === 0 && totals.missingFiles === 0;
      if (ok) finish();
      return {
        phase,
        status: ok ? 'done' : 'failed',
        lines: [
          `phase verify: ${plural(totals.pairs, 'file pair')}, ${plural(totals.points, 'point')} checked, ${totals.missing} missing, ${totals.superseded} superseded by a newer write at the owner (replica divergence)`,
          ...bad.map((b) => `  ${b}`),
          ...(ok
            ? nextLines('cleanup', runbook)
            : ['nothing is deleted while verify fails: run backfill again (apply PLAN --phase backfill), then verify']),
        ],
        json: { phase, status: ok ? 'done' : 'failed', ...totals },
        exitCode: ok ? 0 : 1,
      };
    }
    case 'cleanup': {
      const path = `${o.plan}.cleanup`;
      writeDerived(path, header, actions);
      const report = await applyPlan(applyOpts(path));
      const code = report.exitCode();
      // apply removes the directories its deletes leave empty (never a root).
      const dirs = report.done.directoriesRemoved;
      if (code === 0 && o.dryRun !== true) finish();
      return {
        phase,
        status: code === 0 ? 'done' : 'failed',
        lines: [
          `phase cleanup (${path}):`,
          ...report.text().map((l) => `  ${l}`),
          `${plural(dirs, 'empty directory', 'empty directories')} removed`,
        ],
        json: { phase, status: code === 0 ? 'done' : 'failed', apply: report.json(), directoriesRemoved: dirs },
        exitCode: code,
      };
    }
  }
}

/** A phase stopped by SIGINT/SIGTERM between two file pairs: not marked done; running it again redoes it (idempotent). */
function interruptedPhase(phase: PhaseName, signal: NodeJS.Signals): PhaseOutcome {
  return {
    phase,
    status: 'failed',
    lines: [`phase ${phase}: interrupted by ${signal} (not done; it starts over when run again)`],
    json: { phase, status: 'failed', interrupted: signal },
    exitCode: 1,
  };
}

/** Drivers for the plan's locations while `fn` runs (ssh sessions closed after, whatever happens). */
async function withNodes<T>(header: PlanHeader, o: PhaseRunOptions, fn: (nodes: Nodes) => Promise<T>): Promise<T> {
  const nodes = new Nodes(header.locations, null, o.ssh ?? {});
  try {
    return await fn(nodes);
  } finally {
    await nodes.closeAll();
  }
}

function iso(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

function nextLines(next: PhaseName, runbook: Record<string, unknown> | undefined): string[] {
  if (next === 'switch') return ['next: the switch — deploy these edits, then run the same command again', ...switchInstructions(runbook)];
  return [`next: ${next} — run the same command again`];
}

function switchInstructions(runbook: Record<string, unknown> | undefined): string[] {
  const sw = runbook?.switch as { configs?: { file: string; diff: string }[]; manual?: { file: string; why: string }[] } | undefined;
  const out: string[] = [];
  for (const c of sw?.configs ?? []) out.push(...c.diff.replace(/\n$/, '').split('\n'));
  for (const m of sw?.manual ?? []) out.push(`by hand: ${m.file}: ${m.why}`);
  if (out.length === 0)
    out.push('(no config files were given to plan --configs: point every relay, webapp and carbonate.conf at the new ring)');
  return out;
}

/**
 * The switch, seen from the files: new owner files whose last point is after the pre-copy ended
 * (the relay writes them now), and old holders whose last point is older than the live window.
 */
function confirmSwitch(
  pairs: readonly Pair[],
  since: number,
  window: number,
): { switchedAt: number | null; receiving: number; stillWritten: number; why: string } {
  const now = nowSeconds();
  let receiving = 0;
  let firstNew = Infinity;
  let stillWritten = 0;
  let lastOld = since;
  const seenSrc = new Set<string>();
  for (const p of pairs) {
    const d = lastPointOf(join(p.toRoot, p.toPath));
    if (d !== undefined && d.lastPoint !== null && d.lastPoint > since) {
      receiving++;
      firstNew = Math.min(firstNew, d.lastPoint);
    }
    const key = `${p.fromRoot}\0${p.path}`;
    // Only leftovers stop receiving; a source that stays an owner (a replication change) keeps going.
    if (!p.leftover || seenSrc.has(key)) continue;
    seenSrc.add(key);
    const s = lastPointOf(join(p.fromRoot, p.path));
    if (s === undefined || s.lastPoint === null) continue;
    if (s.lastPoint > now - window) stillWritten++;
    lastOld = Math.max(lastOld, s.lastPoint);
  }
  if (receiving === 0)
    return { switchedAt: null, receiving, stillWritten, why: 'no new owner file has received a point since the pre-copy' };
  if (stillWritten > 0)
    return {
      switchedAt: null,
      receiving,
      stillWritten,
      why: `${plural(stillWritten, 'old holder')} got a point in the last ${formatDuration(window)} (a relay still sends there)`,
    };
  // The old holders' last point: the relays sent there until then, so the backfill window must reach it.
  return { switchedAt: Math.max(lastOld, Math.min(firstNew, now)), receiving, stillWritten, why: '' };
}

/** Whether the plan file is a phased runbook (its header, the first line, says version 2 and phased). */
export function isPhasedPlan(path: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch {
    return false; // the executor reports the missing file
  }
  try {
    const buf = Buffer.alloc(1 << 20);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const nl = buf.subarray(0, n).indexOf(0x0a);
    const h = JSON.parse(buf.subarray(0, nl < 0 ? n : nl).toString('utf8')) as { phased?: unknown };
    return h.phased === true;
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

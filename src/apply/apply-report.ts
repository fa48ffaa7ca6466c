// The final report of an apply job: what was done, what was left alone and why, what failed and why,
// what waits for other jobs. Counts are exact; lists keep the first LIST_MAX items each (the journals
// hold every failure). Bytes are the progress display's: read from sources, and written.
import { formatBytes, formatDuration, formatRate } from '../units.js';
import type { PlanAction } from '../plan/plan-file.js';
import type { Outcome } from './actions.js';

const LIST_MAX = 1000;

export interface ReportItem {
  id: number;
  op: string;
  metric: string;
  path: string;
  /** "from → to" for copies and fills, the location for deletes. */
  where: string;
  code?: string;
  reason: string;
}

export interface ReportJson {
  plan: string;
  planSha256: string;
  /** The node a --node job worked for (null: all). */
  node: string | null;
  /** @deprecated the old name of `node`. */
  onlyDest: string | null;
  dryRun: boolean;
  ok: boolean;
  exitCode: number;
  stopped: string | null;
  notes: string[];
  selected: { copy: number; fill: number; delete: number; bytes: number };
  done: {
    copied: number;
    filled: number;
    deleted: number;
    alreadyGone: number;
    copiedAsFill: number;
    earlier: number;
    slots: number;
    /** Bytes written to destinations (= bytesWritten). */
    bytes: number;
    bytesRead: number;
    bytesWritten: number;
  };
  planSkips: number;
  counts: { skipped: number; failed: number; waiting: number; blocked: number; notRun: number };
  skipped: ReportItem[];
  failed: ReportItem[];
  waiting: ReportItem[];
  blocked: ReportItem[];
  pending?: ReportItem[];
  elapsedSeconds: number;
}

export class ApplyReport {
  selected = { copy: 0, fill: 0, delete: 0, bytes: 0 };
  done = {
    copied: 0,
    filled: 0,
    deleted: 0,
    alreadyGone: 0,
    copiedAsFill: 0,
    /** Directories this job's deletes left empty, removed afterwards (never a root). */
    directoriesRemoved: 0,
    earlier: 0,
    slots: 0,
    bytes: 0,
    bytesRead: 0,
    bytesWritten: 0,
  };
  planSkips = 0;
  counts = { skipped: 0, failed: 0, waiting: 0, blocked: 0, notRun: 0 };
  skipped: ReportItem[] = [];
  failed: ReportItem[] = [];
  waiting: ReportItem[] = [];
  blocked: ReportItem[] = [];
  /** Dry run: what would run. */
  pending: ReportItem[] = [];
  stopped: string | null = null;
  /** Things the operator should know (directories created). */
  notes: string[] = [];
  private readonly t0 = performance.now();

  constructor(
    readonly plan: string,
    readonly planSha256: string,
    readonly onlyDest: string | null,
    readonly dryRun: boolean,
  ) {}

  static item(a: PlanAction, reason: string, code?: string): ReportItem {
    const where = a.op === 'delete' ? a.at : `${a.from} → ${a.to}${a.toPath !== undefined ? ` (${a.toPath})` : ''}`;
    return { id: a.id, op: a.op, metric: a.metric, path: a.path, where, reason, ...(code !== undefined ? { code } : {}) };
  }

  private push(list: ReportItem[], item: ReportItem): void {
    if (list.length < LIST_MAX) list.push(item);
  }

  record(a: PlanAction, o: Outcome): void {
    switch (o.kind) {
      case 'done':
        this.done.slots += o.slots ?? 0;
        if (o.result === 'copied') this.done.copied++;
        else if (o.result === 'filled') {
          this.done.filled++;
          if (a.op === 'copy') this.done.copiedAsFill++;
        } else if (o.result === 'deleted') this.done.deleted++;
        else this.done.alreadyGone++;
        return;
      case 'skipped':
        this.counts.skipped++;
        this.push(this.skipped, ApplyReport.item(a, o.reason, o.code));
        return;
      case 'failed':
        this.counts.failed++;
        this.push(this.failed, ApplyReport.item(a, o.reason, o.code));
        return;
      case 'waiting':
        this.counts.waiting++;
        this.push(this.waiting, ApplyReport.item(a, o.reason));
        return;
      case 'blocked':
        this.counts.blocked++;
        this.push(this.blocked, ApplyReport.item(a, o.reason));
        return;
    }
  }

  /** 0: everything selected is done; 3: nothing failed but deletes wait for other jobs; 1 otherwise. */
  exitCode(): number {
    const c = this.counts;
    if (this.stopped !== null || c.failed > 0 || c.skipped > 0 || c.blocked > 0 || c.notRun > 0) return 1;
    if (c.waiting > 0) return 3;
    return 0;
  }

  get elapsedSeconds(): number {
    return (performance.now() - this.t0) / 1000;
  }

  json(): ReportJson {
    const out: ReportJson = {
      plan: this.plan,
      planSha256: this.planSha256,
      node: this.onlyDest,
      onlyDest: this.onlyDest,
      dryRun: this.dryRun,
      ok: this.exitCode() === 0,
      exitCode: this.exitCode(),
      stopped: this.stopped,
      notes: this.notes,
      selected: this.selected,
      done: this.done,
      planSkips: this.planSkips,
      counts: this.counts,
      skipped: this.skipped,
      failed: this.failed,
      waiting: this.waiting,
      blocked: this.blocked,
      elapsedSeconds: Math.round(this.elapsedSeconds * 1000) / 1000,
    };
    if (this.dryRun) out.pending = this.pending;
    return out;
  }

  text(): string[] {
    const s = this.selected;
    const d = this.done;
    const c = this.counts;
    const lines: string[] = [];
    const scope = this.onlyDest === null ? 'all nodes' : `node ${this.onlyDest}`;
    lines.push(`plan ${this.plan} (sha256 ${this.planSha256.slice(0, 12)}…), ${scope}${this.dryRun ? ', dry run' : ''}`);
    lines.push(`selected: ${s.copy} copies, ${s.fill} fills, ${s.delete} deletes, ${formatBytes(s.bytes)} to read`);
    if (this.dryRun) {
      lines.push(`would run: ${this.pending.length < LIST_MAX ? this.pending.length : `${LIST_MAX}+`} actions; already done: ${d.earlier}`);
      for (const p of this.pending.slice(0, 50))
        lines.push(`  #${p.id} ${p.op} ${p.metric} ${p.where}${p.reason === '' ? '' : `: ${p.reason}`}`);
      if (this.pending.length > 50) lines.push(`  … (--json lists up to ${LIST_MAX})`);
    } else {
      const fillNote = d.copiedAsFill > 0 ? ` (${d.copiedAsFill} planned copies found their destination and were filled)` : '';
      lines.push(
        `done: ${d.copied} copied, ${d.filled} filled (${d.slots} slots)${fillNote}, ${d.deleted} deleted, ${d.alreadyGone} already gone; ${d.earlier} done by earlier runs`,
      );
      const secs = this.elapsedSeconds;
      lines.push(
        `read ${formatBytes(d.bytesRead)} from sources, wrote ${formatBytes(d.bytesWritten)}, in ${secs < 60 ? `${secs.toFixed(1)}s` : formatDuration(secs)}` +
          (secs > 0 ? ` (${formatRate(d.bytesRead / secs)} read)` : ''),
      );
    }
    for (const n of this.notes) lines.push(`note: ${n}`);
    if (this.planSkips > 0) lines.push(`left alone by the plan: ${this.planSkips} files (see the plan's skip records)`);
    if (this.stopped !== null) lines.push(`STOPPED: ${this.stopped}`);
    const section = (title: string, n: number, items: ReportItem[], hint?: string) => {
      if (n === 0) return;
      lines.push(`${title}: ${n}${hint === undefined ? '' : ` — ${hint}`}`);
      for (const it of items.slice(0, 20)) lines.push(`  #${it.id} ${it.op} ${it.metric} ${it.where}: ${it.reason}`);
      if (n > 20) lines.push(`  … ${n - 20} more (--json lists up to ${LIST_MAX}; the journals have all)`);
    };
    section('skipped', c.skipped, this.skipped, 'the sources are kept, never deleted');
    section('failed', c.failed, this.failed, 'run the same command again to retry');
    section('blocked', c.blocked, this.blocked, 'they depend on actions that failed or were skipped');
    section('waiting', c.waiting, this.waiting, 'deletes wait for other nodes: run those jobs, then this one again');
    if (c.notRun > 0) lines.push(`not run: ${c.notRun} (the job stopped early)`);
    lines.push(this.exitCode() === 0 ? 'ok: everything selected is done' : `exit ${this.exitCode()}: not everything is done`);
    return lines;
  }
}

// Progress of an apply job on stderr: on a terminal, cli-progress bars (the whole job, then one per
// destination); otherwise one plain line every few seconds (logs of an ssh loop, Ansible or a
// Kubernetes Job). The bars advance by work done: bytes moved plus a fixed share per action, so a
// run of deletes (no bytes) still moves them.
import cliProgress from 'cli-progress';
import { formatBytes, formatDuration } from '../units.js';

export interface NodeTotals {
  id: string;
  actions: number;
  bytes: number;
}

export interface ProgressSink {
  start(nodes: NodeTotals[]): void;
  /** Bytes moved for an action whose journal node is `node`. */
  bytes(node: string, n: number): void;
  /** An action of `node` finished (whatever the outcome). */
  action(node: string, failed: boolean): void;
  stop(): void;
}

export const silentProgress: ProgressSink = { start() {}, bytes() {}, action() {}, stop() {} };

const ACTION_WEIGHT = 64 * 1024;

class Counter {
  actions = 0;
  failed = 0;
  bytes = 0;
  constructor(
    readonly id: string,
    readonly totalActions: number,
    readonly totalBytes: number,
  ) {}
  get work(): number {
    return this.bytes + this.actions * ACTION_WEIGHT;
  }
  get totalWork(): number {
    return this.totalBytes + this.totalActions * ACTION_WEIGHT;
  }
}

abstract class BaseProgress implements ProgressSink {
  protected all = new Counter('all', 0, 0);
  protected nodes = new Map<string, Counter>();
  protected started = 0;

  start(nodes: NodeTotals[]): void {
    this.started = performance.now();
    this.all = new Counter(
      'all',
      nodes.reduce((n, x) => n + x.actions, 0),
      nodes.reduce((n, x) => n + x.bytes, 0),
    );
    for (const n of nodes) this.nodes.set(n.id, new Counter(n.id, n.actions, n.bytes));
  }

  bytes(node: string, n: number): void {
    this.all.bytes += n;
    const c = this.nodes.get(node);
    if (c) c.bytes += n;
  }

  action(node: string, failed: boolean): void {
    this.all.actions++;
    if (failed) this.all.failed++;
    const c = this.nodes.get(node);
    if (c) {
      c.actions++;
      if (failed) c.failed++;
    }
  }

  protected rate(c: Counter = this.all): number {
    const s = (performance.now() - this.started) / 1000;
    return s > 0 ? c.bytes / s : 0;
  }

  protected eta(c: Counter): string {
    if (c.actions >= c.totalActions) return 'done';
    const s = (performance.now() - this.started) / 1000;
    if (c.work === 0 || s < 1) return '?';
    const left = Math.max(0, c.totalWork - c.work);
    return formatDuration((left / c.work) * s);
  }

  abstract stop(): void;
}

/** cli-progress bars on a terminal. */
class BarProgress extends BaseProgress {
  private multi: cliProgress.MultiBar | null = null;
  private bars = new Map<string, cliProgress.SingleBar>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly stream: NodeJS.WriteStream) {
    super();
  }

  override start(nodes: NodeTotals[]): void {
    super.start(nodes);
    const width = Math.max(...nodes.map((n) => n.id.length), 5);
    this.multi = new cliProgress.MultiBar(
      {
        stream: this.stream,
        format: `{label} [{bar}] {percentage}% | {acts} actions{failedText} | {moved} | {speed} | ETA {etaText}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        autopadding: true,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    const add = (c: Counter) => this.bars.set(c.id, this.multi!.create(Math.max(1, c.totalWork), 0, this.payload(c, width)));
    add(this.all);
    for (const c of this.nodes.values()) add(c);
    this.timer = setInterval(() => this.refresh(width), 200);
    this.timer.unref();
  }

  private payload(c: Counter, width: number): Record<string, string> {
    return {
      label: (c.id === 'all' ? 'total' : c.id).padEnd(width),
      acts: `${c.actions}/${c.totalActions}`,
      failedText: c.failed > 0 ? ` (${c.failed} failed)` : '',
      moved: `${formatBytes(c.bytes)}/${formatBytes(c.totalBytes)}`,
      speed: `${formatBytes(this.rate(c))}/s`,
      etaText: this.eta(c),
    };
  }

  private refresh(width: number): void {
    for (const c of [this.all, ...this.nodes.values()]) this.bars.get(c.id)?.update(Math.min(c.work, c.totalWork), this.payload(c, width));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.multi) {
      this.refresh(Math.max(...[...this.nodes.keys()].map((k) => k.length), 5));
      this.multi.stop();
    }
  }
}

/** One line every `intervalMs` (and a last one at the end) when stderr is not a terminal. */
export class LineProgress extends BaseProgress {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly write: (line: string) => void,
    private readonly intervalMs: number,
  ) {
    super();
  }

  override start(nodes: NodeTotals[]): void {
    super.start(nodes);
    this.timer = setInterval(() => this.write(this.line()), this.intervalMs);
    this.timer.unref();
  }

  line(): string {
    const a = this.all;
    if (a.totalActions === 0) return 'ringshift apply: nothing to do';
    const nodes = [...this.nodes.values()].map((c) => `${c.id} ${c.actions}/${c.totalActions}`).join(', ');
    return (
      `ringshift apply: ${a.actions}/${a.totalActions} actions${a.failed > 0 ? ` (${a.failed} failed)` : ''}, ` +
      `${formatBytes(a.bytes)}/${formatBytes(a.totalBytes)}, ${formatBytes(this.rate())}/s, ETA ${this.eta(a)}` +
      (this.nodes.size > 1 ? ` [${nodes}]` : '')
    );
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.write(this.line());
  }
}

/** Bars on a terminal, plain lines otherwise. */
export function stderrApplyProgress(stream: NodeJS.WriteStream = process.stderr, intervalMs = 10_000): ProgressSink {
  if (stream.isTTY) return new BarProgress(stream);
  return new LineProgress((l) => stream.write(l + '\n'), intervalMs);
}

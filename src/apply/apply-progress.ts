// Progress of an apply job on stderr: on a terminal, one line for the whole job and one per node,
// redrawn in place; otherwise one plain line every few seconds (logs of an ssh loop, Ansible or a
// Kubernetes Job). One set of numbers, the same the final report uses: actions finished of actions
// selected (the bar and its percentage), bytes READ from sources of the bytes the plan says to read
// (the rate and the ETA), and the actions that wait for other nodes' jobs (a --node job ends with
// them, exit 3). Lines fit the terminal: the bar shrinks or goes first, the rate and ETA stay.
import cliProgress from 'cli-progress';
import { formatBytes, formatDuration, formatRate } from '../units.js';
import type { Outcome } from './actions.js';

export interface NodeTotals {
  id: string;
  actions: number;
  bytes: number;
}

export interface ProgressSink {
  start(nodes: NodeTotals[]): void;
  /** Source bytes read for an action whose journal node is `node`. */
  read(node: string, n: number): void;
  /** Bytes written to a destination. */
  written(node: string, n: number): void;
  /** An action of `node` finished with this outcome. */
  action(node: string, kind: Outcome['kind']): void;
  stop(): void;
}

export const silentProgress: ProgressSink = { start() {}, read() {}, written() {}, action() {}, stop() {} };

class Counter {
  finished = 0;
  failed = 0;
  waiting = 0;
  read = 0;
  written = 0;
  constructor(
    readonly id: string,
    readonly totalActions: number,
    readonly totalBytes: number,
  ) {}
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

  read(node: string, n: number): void {
    this.all.read += n;
    const c = this.nodes.get(node);
    if (c) c.read += n;
  }

  written(node: string, n: number): void {
    this.all.written += n;
    const c = this.nodes.get(node);
    if (c) c.written += n;
  }

  action(node: string, kind: Outcome['kind']): void {
    for (const c of [this.all, this.nodes.get(node)]) {
      if (c === undefined) continue;
      c.finished++;
      if (kind === 'failed' || kind === 'skipped' || kind === 'blocked') c.failed++;
      if (kind === 'waiting') c.waiting++;
    }
  }

  protected seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  protected rate(c: Counter): number {
    const s = this.seconds();
    return s > 0 ? c.read / s : 0;
  }

  /** Time left: by bytes while bytes are left to read, else by actions. */
  protected eta(c: Counter): string {
    if (c.finished >= c.totalActions) return c.waiting > 0 ? 'waits' : 'done';
    const s = this.seconds();
    if (s < 1) return '?';
    if (c.read < c.totalBytes && c.read > 0) return formatDuration(((c.totalBytes - c.read) / c.read) * s);
    if (c.finished === 0) return '?';
    return formatDuration(((c.totalActions - c.finished) / c.finished) * s);
  }

  /** The numbers of one counter as text parts, most important last (they are kept when space is short). */
  protected parts(c: Counter): { acts: string; notes: string; bytes: string; bytesShort: string; tail: string } {
    const notes = [c.failed > 0 ? `${c.failed} failed` : '', c.waiting > 0 ? `${c.waiting} wait for other nodes` : '']
      .filter((x) => x !== '')
      .join(', ');
    return {
      acts: `${c.finished}/${c.totalActions}`,
      notes: notes === '' ? '' : ` (${notes})`,
      bytes: `read ${formatBytes(c.read)}/${formatBytes(c.totalBytes)}`,
      bytesShort: formatBytes(c.read),
      tail: `${formatRate(this.rate(c))} ETA ${this.eta(c)}`,
    };
  }

  abstract stop(): void;
}

/** Fit one status line into `width` columns: the bar shrinks, then goes; then totals and notes shorten; the rate and ETA stay. */
export function fitLine(
  label: string,
  pct: number,
  p: { acts: string; notes: string; bytes: string; bytesShort: string; tail: string },
  width: number,
): string {
  const pctText = `${Math.floor(pct * 100)}%`.padStart(4);
  const shortNotes = p.notes.replace(' wait for other nodes', ' waiting');
  const bodies = [
    [p.bytes, p.notes],
    [p.bytesShort, p.notes],
    [p.bytesShort, shortNotes],
    ['', shortNotes],
    ['', ''],
  ].map(([bytes, notes]) => `${pctText} ${p.acts}${notes} |${bytes === '' ? '' : ` ${bytes} |`} ${p.tail}`);
  const max = width - 1; // never the last column: some terminals wrap there
  // The longest body that fits wins; a bar is added when there is room for one.
  for (const body of bodies) {
    const room = max - label.length - 1 - body.length - 3;
    if (room >= 10) {
      const size = Math.min(30, room);
      const full = Math.round(Math.max(0, Math.min(1, pct)) * size);
      return `${label} [${'='.repeat(full)}${' '.repeat(size - full)}] ${body}`;
    }
    if (label.length + 1 + body.length <= max) return `${label} ${body}`;
  }
  for (const body of bodies) if (body.length <= max) return body;
  return bodies[bodies.length - 1]!.slice(-max);
}

/** Lines redrawn in place on a terminal (cli-progress does the redrawing; we make the text). */
class BarProgress extends BaseProgress {
  private multi: cliProgress.MultiBar | null = null;
  private bars = new Map<string, cliProgress.SingleBar>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly stream: NodeJS.WriteStream) {
    super();
  }

  override start(nodes: NodeTotals[]): void {
    super.start(nodes);
    this.multi = new cliProgress.MultiBar(
      { stream: this.stream, format: '{line}', hideCursor: true, clearOnComplete: false, fps: 5, linewrap: false },
      cliProgress.Presets.shades_classic,
    );
    const list = [this.all, ...(this.nodes.size > 1 ? this.nodes.values() : [])];
    for (const c of list) this.bars.set(c.id, this.multi.create(1, 0, { line: this.lineOf(c) }));
    this.timer = setInterval(() => this.refresh(), 200);
    this.timer.unref();
  }

  private lineOf(c: Counter): string {
    const width = Math.max(20, this.stream.columns ?? 80);
    const labelWidth = Math.min(16, Math.max(5, ...[...this.nodes.keys()].map((k) => k.length)));
    const name = c.id === 'all' ? 'total' : c.id;
    const label = (name.length > labelWidth ? name.slice(0, labelWidth - 1) + '…' : name).padEnd(labelWidth);
    const pct = c.totalActions === 0 ? 1 : c.finished / c.totalActions;
    return fitLine(label, pct, this.parts(c), width);
  }

  private refresh(): void {
    for (const [id, bar] of this.bars) {
      const c = id === 'all' ? this.all : this.nodes.get(id)!;
      bar.update(0, { line: this.lineOf(c) });
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.multi) {
      this.refresh();
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
    const p = this.parts(a);
    const nodes = [...this.nodes.values()].map((c) => `${c.id} ${c.finished}/${c.totalActions}`).join(', ');
    return `ringshift apply: ${p.acts} actions${p.notes}, ${p.bytes}, ${p.tail}` + (this.nodes.size > 1 ? ` [${nodes}]` : '');
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.write(this.line());
  }
}

/** Redrawn lines on a terminal, plain lines otherwise. */
export function stderrApplyProgress(stream: NodeJS.WriteStream = process.stderr, intervalMs = 10_000): ProgressSink {
  if (stream.isTTY) return new BarProgress(stream);
  return new LineProgress((l) => stream.write(l + '\n'), intervalMs);
}

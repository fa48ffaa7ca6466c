// Writers that keep a Graphite cluster busy while a test changes it, and remember every point they
// wrote so a checker can say which points must be readable afterwards.
//
// - startLineWriter: a collector sending `name value timestamp` lines over one TCP connection to a
//   relay (or a carbon-cache line port), one point per metric per step at real, step-aligned
//   timestamps; it reconnects when the connection drops (points of a step it could not send are
//   counted in `missedSteps`, not logged as sent).
// - startFlockWriter: what carbon-cache does to a whisper file with WHISPER_LOCK_WRITES = True, without
//   carbon: open the file, take an exclusive flock(2) on it, update_many the new point (propagating into
//   the lower archives), close — for the fast tests. It reopens the path on every write, so a file
//   renamed over the path is written from the next step on, as carbon does.
//
// Values encode (metric, timestamp): pointValue(i, t) = (i + 1)·1e9 + t mod 1e9, exact in a double
// and in whisper, so a checker knows the value every slot must hold. Points are logged only once
// handed to the socket (line writer) or written under the lock (flock writer), with the wall-clock
// time `at` (ms) of that moment.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { dirname } from 'node:path';
import { create, parseRetentions, updateMany, type AggregationMethod } from '../../src/whisper/whisper-api.js';

export const VALUE_BASE = 1e9;

/** The value the writers send for metric number `index` at `timestamp`. */
export function pointValue(index: number, timestamp: number): number {
  return (index + 1) * VALUE_BASE + (timestamp % VALUE_BASE);
}

export interface SentPoint {
  /** The point's timestamp (seconds, aligned to the writer's step). */
  ts: number;
  value: number;
  /** Wall clock (ms) when it was handed to the relay connection / written under the lock. */
  at: number;
}

/** Every point a writer sent, per metric, in sending order. */
export class PointLog {
  private readonly byMetric = new Map<string, SentPoint[]>();
  private count = 0;

  record(metric: string, ts: number, value: number, at: number): void {
    let l = this.byMetric.get(metric);
    if (l === undefined) this.byMetric.set(metric, (l = []));
    l.push({ ts, value, at });
    this.count++;
  }

  get total(): number {
    return this.count;
  }

  metrics(): string[] {
    return [...this.byMetric.keys()];
  }

  points(metric: string): readonly SentPoint[] {
    return this.byMetric.get(metric) ?? [];
  }

  /** Points sent in [fromMs, toMs). */
  sentBetween(metric: string, fromMs: number, toMs: number): SentPoint[] {
    return this.points(metric).filter((p) => p.at >= fromMs && p.at < toMs);
  }

  /** Wall-clock time (ms) of the last point sent, or undefined before the first. */
  lastAt(): number | undefined {
    let last: number | undefined;
    for (const l of this.byMetric.values()) {
      const at = l[l.length - 1]?.at;
      if (at !== undefined && (last === undefined || at > last)) last = at;
    }
    return last;
  }
}

export interface Writer {
  readonly log: PointLog;
  /** Seconds between points of one metric. */
  readonly step: number;
  /** Steps fully written. */
  readonly stepsWritten: number;
  /** Steps (or files within a step) that could not be written, with why. */
  readonly errors: readonly string[];
  readonly running: boolean;
  /** Resolves after `n` more steps have been written (timeout: n·step + 30 s). */
  waitSteps(n: number): Promise<void>;
  /** Stop after the step in progress; the line writer also ends its connection cleanly. */
  stop(): Promise<void>;
}

/** Step-aligned ticker: calls `tick(ts)` for every timestamp from the first boundary on, catching up when late. */
class Ticker {
  stopped = false;
  steps = 0;
  private timer: NodeJS.Timeout | undefined;
  private next: number;
  private busy: Promise<void> = Promise.resolve();
  private waiters: { until: number; resolve: () => void }[] = [];

  constructor(
    private readonly step: number,
    private readonly offsetMs: number,
    private readonly tick: (ts: number) => Promise<void>,
  ) {
    const now = Date.now() / 1000;
    this.next = Math.floor(now / step) * step + step;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const wait = Math.max(0, this.next * 1000 + this.offsetMs - Date.now());
    this.timer = setTimeout(() => {
      this.busy = this.run();
    }, wait);
  }

  private async run(): Promise<void> {
    // Every boundary that has passed gets its point, oldest first (a late timer catches up).
    while (!this.stopped && this.next * 1000 + this.offsetMs <= Date.now()) {
      const ts = this.next;
      this.next += this.step;
      await this.tick(ts);
      this.steps++;
      this.waiters = this.waiters.filter((w) => (w.until <= this.steps ? (w.resolve(), false) : true));
    }
    this.schedule();
  }

  waitSteps(n: number): Promise<void> {
    const until = this.steps + n;
    const ms = n * this.step * 1000 + 30_000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`writer: ${n} steps not written within ${ms / 1000} s`)), ms);
      this.waiters.push({
        until,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.busy;
  }
}

export interface LineWriterOptions {
  host: string;
  port: number;
  metrics: readonly string[];
  /** Seconds between points of a metric (default 1: the harness's finest retention). */
  step?: number | undefined;
  /** Send each step's points this many ms after the boundary (default 100). */
  offsetMs?: number | undefined;
}

export interface LineWriter extends Writer {
  readonly metrics: readonly string[];
  /** Steps skipped because the connection was down (not in the log). */
  readonly missedSteps: number;
  /** Times (ms) the connection was lost. */
  readonly disconnects: readonly number[];
}

function connect(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect ${host}:${port}: timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`connect ${host}:${port}: ${e.message}`));
    });
  });
}

/** Start sending one point per metric per step to host:port (connects first; throws when it cannot). */
export async function startLineWriter(opts: LineWriterOptions): Promise<LineWriter> {
  const step = opts.step ?? 1;
  const log = new PointLog();
  const errors: string[] = [];
  const disconnects: number[] = [];
  let missedSteps = 0;
  let sock: net.Socket | undefined = await connect(opts.host, opts.port, 5_000);
  const watch = (s: net.Socket) => {
    const lost = (why: string) => {
      if (sock === s) {
        sock = undefined;
        disconnects.push(Date.now());
        errors.push(`connection to ${opts.host}:${opts.port} lost: ${why}`);
      }
    };
    s.on('error', (e) => lost(e.message));
    s.on('close', () => lost('closed'));
  };
  watch(sock);
  const ticker = new Ticker(step, opts.offsetMs ?? 100, async (ts) => {
    if (sock === undefined) {
      try {
        sock = await connect(opts.host, opts.port, 2_000);
        watch(sock);
      } catch (e) {
        missedSteps++;
        errors.push(`step ${ts}: ${(e as Error).message}`);
        return;
      }
    }
    const lines = opts.metrics.map((m, i) => `${m} ${pointValue(i, ts)} ${ts}\n`).join('');
    sock.write(lines);
    const at = Date.now();
    opts.metrics.forEach((m, i) => log.record(m, ts, pointValue(i, ts), at));
  });
  return {
    log,
    step,
    metrics: opts.metrics,
    get stepsWritten() {
      return ticker.steps;
    },
    get missedSteps() {
      return missedSteps;
    },
    errors,
    disconnects,
    get running() {
      return !ticker.stopped;
    },
    waitSteps: (n) => ticker.waitSteps(n),
    async stop() {
      await ticker.stop();
      const s = sock;
      sock = undefined;
      if (s !== undefined && !s.destroyed) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => (s.destroy(), resolve()), 5_000);
          s.end(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}

export interface FlockWriterFile {
  path: string;
  /** Name in the log (default: the path). */
  metric?: string | undefined;
}

export interface FlockWriterOptions {
  files: readonly (FlockWriterFile | string)[];
  /** Seconds between points (default 1). Use the files' finest step. */
  step?: number | undefined;
  offsetMs?: number | undefined;
  /** Create a missing file with this layout before writing (carbon-cache does, from storage-schemas). */
  create?: { retentions: string; aggregationMethod?: AggregationMethod | undefined; xFilesFactor?: number | undefined } | undefined;
  /** fdatasync each write (carbon does not unless WHISPER_AUTOFLUSH; default false). */
  sync?: boolean | undefined;
  /** Give up on one file's lock after this long (recorded as an error; default 10 s). */
  lockTimeoutMs?: number | undefined;
}

export interface FlockWriter extends Writer {
  readonly files: readonly FlockWriterFile[];
}

/** Start updating the files under an exclusive flock, one point per file per step. */
export function startFlockWriter(opts: FlockWriterOptions): FlockWriter {
  const step = opts.step ?? 1;
  const files = opts.files.map((f) => (typeof f === 'string' ? { path: f } : f));
  const log = new PointLog();
  const errors: string[] = [];
  const layout = opts.create === undefined ? undefined : parseRetentions(opts.create.retentions.split(/[,\s]+/).filter(Boolean));
  const ticker = new Ticker(step, opts.offsetMs ?? 100, async (ts) => {
    for (let i = 0; i < files.length; i++) {
      const f = files[i]!;
      const value = pointValue(i, ts);
      try {
        if (layout !== undefined && !fs.existsSync(f.path)) {
          fs.mkdirSync(dirname(f.path), { recursive: true });
          create(f.path, layout, {
            ...(opts.create?.aggregationMethod !== undefined ? { aggregationMethod: opts.create.aggregationMethod } : {}),
            ...(opts.create?.xFilesFactor !== undefined ? { xFilesFactor: opts.create.xFilesFactor } : {}),
          });
        }
        await updateMany(f.path, [[ts, value]], {
          now: Math.floor(Date.now() / 1000),
          lock: true,
          sync: opts.sync ?? false,
          lockTimeoutMs: opts.lockTimeoutMs ?? 10_000,
        });
        log.record(f.metric ?? f.path, ts, value, Date.now());
      } catch (e) {
        errors.push(`${f.path} @${ts}: ${(e as Error).message}`);
      }
    }
  });
  return {
    log,
    step,
    files,
    get stepsWritten() {
      return ticker.steps;
    },
    errors,
    get running() {
      return !ticker.stopped;
    },
    waitSteps: (n) => ticker.waitSteps(n),
    stop: () => ticker.stop(),
  };
}

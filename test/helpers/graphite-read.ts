// Reading a metric the way the users of the graphs do, from the real whisper files (and the real
// caches) of a cluster, and the checker that says which written points a read misses.
//
// readGraphiteWeb: graphite-web 1.1.8 with CLUSTER_SERVERS, one webapp per storage location. Each
//   webapp reads its own file (WhisperReader.fetch: whisper.fetch, then merge_with_carbonlink: the
//   unflushed points of the cache its CarbonLink ring names overwrite the slots they fall in, after
//   reducing them to the file's finest step and the fetched step with the file's aggregation method);
//   a location without the file (or whose read fails) answers nothing. The answers are merged as
//   render/datalib.py _merge_results does, in answer order (graphite-web takes them in completion order;
//   here: the order of `stores`):
//   - REMOTE_STORE_MERGE_RESULTS = True (merge: true, the default since 1.1): the first answer is the
//     series; a later answer of the same length fills its None slots (the first non-None wins per
//     slot). A later answer of another length REPLACES it, and after that nothing more is merged (the
//     count of Nones is set to 0: graphite-web's quirk, kept).
//   - merge: false: the answer with the fewest Nones wins whole (first on ties); nothing is combined.
//   CarbonLink (graphite/carbonlink.py): CARBONLINK_HOSTS hashed with graphite-web's ring (ringshift's
//   'graphite-web' model), REPLICATION_FACTOR candidates on distinct servers, one picked at random
//   (select_host), a failed query gives no points; names starting with "carbon" ask every host.
// readBroadcast: carbonapi / go-carbon style: every store answers with its file plus its own cache
//   (go-carbon serves both), and per timestamp the first non-null value (store order) wins.
// checkReads: for every point a writer logged before `dueBefore` (wall clock, ms), a read of its metric
//   must return exactly the writer's value at its timestamp; holes, wrong values and values nobody
//   wrote are reported.
//
// graphite-web-oracle.ts runs graphite-web's own code on the same files, to prove this model.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { loadClusterFileSync, type ClusterFile } from '../../src/config/cluster-file.js';
import { buildRing } from '../../src/ring/build.js';
import { makeRingSpec } from '../../src/ring/spec.js';
import type { Destination, HashType } from '../../src/ring/types.js';
import { fetch, info } from '../../src/whisper/whisper-api.js';
import { cacheQuery } from './carbon-pickle.js';
import type { CarbonCache } from './carbon-cluster.js';
import type { PointLog } from './carbon-writers.js';

/** One place graphite-web (a CLUSTER_SERVERS webapp) or go-carbon reads whisper files from. */
export interface ReadStore {
  /** Storage key or cache name, for reports. */
  name: string;
  whisperDir: string;
  /** The carbon-cache(s) writing this directory (CACHE_QUERY host and port): 'local' CarbonLink and broadcast reads ask them. */
  caches: { host: string; port: number }[];
}

/** A store per harness cache. */
export function storesOfCaches(caches: readonly CarbonCache[]): ReadStore[] {
  return caches.map((c) => ({ name: c.name, whisperDir: c.whisperDir, caches: [{ host: c.host, port: c.queryPort }] }));
}

/**
 * A store per distinct local location of a ringshift cluster file (storage order). `caches` attaches each
 * harness cache to the location whose key names its host (key "host" or "host:instance").
 */
export function storesOfClusterFile(file: string | ClusterFile, caches: readonly CarbonCache[] = []): ReadStore[] {
  const cluster = typeof file === 'string' ? loadClusterFileSync(file) : file;
  const out: ReadStore[] = [];
  for (const e of cluster.storage) {
    if (e.remote === true || /^ssh:\/\//.test(e.location))
      throw new Error(`storage ${e.key}: the readers read local paths only (${e.location})`);
    const attached = caches
      .filter((c) => c.host === e.server && (e.instance === null || e.instance === undefined || e.instance === c.instance))
      .map((c) => ({ host: c.host, port: c.queryPort }));
    const same = out.find((s) => s.whisperDir === e.location);
    if (same !== undefined) same.caches.push(...attached.filter((a) => !same.caches.some((b) => b.port === a.port && b.host === a.host)));
    else out.push({ name: e.key, whisperDir: e.location, caches: attached });
  }
  return out;
}

export interface Series {
  /** First slot's timestamp. */
  start: number;
  /** End (exclusive). */
  end: number;
  step: number;
  values: (number | null)[];
}

/** Value at timestamp `ts` (null when empty or outside). */
export function valueAt(s: Series, ts: number): number | null {
  if (ts < s.start || ts >= s.end || (ts - s.start) % s.step !== 0) return null;
  return s.values[(ts - s.start) / s.step] ?? null;
}

export interface StoreAnswer {
  store: string;
  /** null: no file (the webapp answers nothing) or the read failed (`error`). */
  series: Series | null;
  error?: string | undefined;
  /** Cache points merged in, and the cache asked ("host:port"). */
  cachePoints: number;
  cacheAsked?: string | undefined;
  cacheError?: string | undefined;
}

export interface MergedRead {
  metric: string;
  /** null when no store answered. */
  series: Series | null;
  answers: StoreAnswer[];
}

/** graphite-web's CARBONLINK_HOSTS / REPLICATION_FACTOR / CARBONLINK_HASHING_TYPE. */
export interface CarbonLinkRing {
  /** server = host, port = CACHE_QUERY port, instance as in "host:port:instance". */
  hosts: readonly Destination[];
  replication: number;
  hash?: 'carbon_ch' | 'fnv1a_ch' | 'mmh3_ch' | undefined;
  /** select_host: a random candidate (graphite-web) or always the first (deterministic tests). */
  pick?: 'random' | 'first' | undefined;
  /** CARBONLINK_TIMEOUT (graphite-web's default is 1 s; default here 5 s, the test machine is loaded). */
  timeoutMs?: number | undefined;
}

/** CARBONLINK_HOSTS for harness caches ("host:queryPort[:instance]"). */
export function carbonLinkOf(
  caches: readonly CarbonCache[],
  replication: number,
  hash: CarbonLinkRing['hash'] = 'carbon_ch',
): CarbonLinkRing {
  return { hosts: caches.map((c) => ({ server: c.host, port: c.queryPort, instance: c.instance })), replication, hash };
}

export interface ReadWindow {
  from: number;
  until: number;
  /** The clock (seconds) for whisper.fetch; default the wall clock. */
  now?: number | undefined;
}

type ClockedWindow = { from: number; until: number; now: number };

export interface GraphiteWebReadOptions extends ReadWindow {
  stores: readonly ReadStore[];
  /** REMOTE_STORE_MERGE_RESULTS (default true). */
  merge?: boolean | undefined;
  /** Where unflushed points come from: a CarbonLink ring, each store's own caches ('local'), or none (default). */
  carbonlink?: CarbonLinkRing | 'local' | 'none' | undefined;
}

const CARBON_METRIC_PREFIX = 'carbon';

/** graphite-web's merge_with_cache (readers/utils.py), on a copy of `values`. */
export function mergeWithCache(
  cached: readonly (readonly [number, number])[],
  start: number,
  step: number,
  values: readonly (number | null)[],
  func: string | null,
  rawStep: number | null,
): (number | null)[] {
  const out = values.slice();
  let points = cached.map(([t, v]) => [t, v] as [number, number]);
  if (rawStep !== null && rawStep > 1) {
    const byInterval = new Map<number, number>();
    for (const [t, v] of points) byInterval.set(t - pmod(t, rawStep), v);
    points = [...byInterval.entries()];
  }
  let consolidated: [number, number | null][];
  if (func !== null && step !== rawStep) {
    const groups = new Map<number, number[]>();
    for (const [t, v] of points) {
      const i = t - pmod(t, step);
      const g = groups.get(i);
      if (g === undefined) groups.set(i, [v]);
      else g.push(v);
    }
    consolidated = [...groups.entries()].map(([i, vs]) => [i, consolidate(func, vs)]);
  } else consolidated = points;
  for (const [interval, value] of consolidated) {
    const i = Math.floor(Math.trunc(interval - start) / step);
    if (i < 0 || i >= out.length) continue; // negative: older than the window; past the end: IndexError, ignored
    out[i] = value;
  }
  return out;
}

function pmod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

function consolidate(func: string, values: readonly (number | null)[]): number | null {
  const usable = values.filter((v): v is number => v !== null);
  if (usable.length === 0) return null;
  switch (func) {
    case 'avg_zero':
      return values.reduce<number>((s, v) => s + (v ?? 0), 0) / values.length;
    case 'sum':
      return usable.reduce((s, v) => s + v, 0);
    case 'average':
      return usable.reduce((s, v) => s + v, 0) / usable.length;
    case 'max':
      return Math.max(...usable);
    case 'min':
      return Math.min(...usable);
    case 'last':
      return usable[usable.length - 1]!;
    default:
      throw new Error(`Invalid consolidation function: '${func}'`);
  }
}

function metricPath(dir: string, metric: string): string {
  return join(dir, ...metric.split('.')) + '.wsp';
}

/** The points CarbonLink would merge for `metric`, and which cache it asked. */
async function carbonLinkPoints(
  metric: string,
  store: ReadStore,
  link: CarbonLinkRing | 'local' | 'none',
): Promise<{ points: [number, number][]; asked?: string; error?: string }> {
  if (link === 'none') return { points: [] };
  const timeoutMs = typeof link === 'object' ? (link.timeoutMs ?? 5_000) : 5_000;
  let candidates: { host: string; port: number }[];
  let all = false;
  if (link === 'local') {
    candidates = store.caches;
    all = true; // a webapp whose CARBONLINK_HOSTS are the local instances: modelled as asking each
  } else {
    const ring = buildRing(
      makeRingSpec({
        impl: 'graphite-web',
        hash: (link.hash ?? 'carbon_ch') as HashType,
        replication: link.replication,
        destinations: [...link.hosts],
      }),
    );
    if (metric.startsWith(CARBON_METRIC_PREFIX)) {
      candidates = ring.members.map((d) => ({ host: d.server, port: d.port }));
      all = true;
    } else {
      const owners = ring.locate(metric).owners.map((d) => ({ host: d.server, port: d.port }));
      const pick = link.pick === 'first' ? owners[0] : owners[Math.floor(Math.random() * owners.length)];
      candidates = pick === undefined ? [] : [pick];
    }
  }
  if (candidates.length === 0) return { points: [] };
  if (!all) {
    const c = candidates[0]!;
    const asked = `${c.host}:${c.port}`;
    try {
      return { points: await cacheQuery(c.host, c.port, metric, timeoutMs), asked };
    } catch (e) {
      return { points: [], asked, error: (e as Error).message };
    }
  }
  // send_request_to_all: a dict updated with every answer that has more than one point.
  const merged = new Map<number, number>();
  const errors: string[] = [];
  for (const c of candidates) {
    try {
      const pts = await cacheQuery(c.host, c.port, metric, timeoutMs);
      if (pts.length > 1 || link === 'local') for (const [t, v] of pts) merged.set(t, v);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return {
    points: [...merged.entries()],
    asked: candidates.map((c) => `${c.host}:${c.port}`).join(','),
    ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
  };
}

/** One webapp's answer: its file (whisper.fetch) with its CarbonLink points merged in. */
async function readStore(
  metric: string,
  store: ReadStore,
  win: ClockedWindow,
  link: CarbonLinkRing | 'local' | 'none',
): Promise<StoreAnswer> {
  const path = metricPath(store.whisperDir, metric);
  if (!fs.existsSync(path)) return { store: store.name, series: null, cachePoints: 0 };
  let fetched;
  let method: string;
  let rawStep: number;
  try {
    fetched = fetch(path, win.from, win.until, { now: win.now });
    const head = info(path);
    method = head.aggregationMethod;
    rawStep = head.archives[0]!.secondsPerPoint;
  } catch (e) {
    return { store: store.name, series: null, error: (e as Error).message, cachePoints: 0 };
  }
  if (fetched === null) return { store: store.name, series: null, cachePoints: 0 };
  const cache = await carbonLinkPoints(metric, store, link);
  const values = mergeWithCache(cache.points, fetched.start, fetched.step, fetched.values, method, rawStep);
  return {
    store: store.name,
    series: { start: fetched.start, end: fetched.end, step: fetched.step, values },
    cachePoints: cache.points.length,
    ...(cache.asked !== undefined ? { cacheAsked: cache.asked } : {}),
    ...(cache.error !== undefined ? { cacheError: cache.error } : {}),
  };
}

function window(w: ReadWindow): ClockedWindow {
  return { from: w.from, until: w.until, now: w.now ?? Math.floor(Date.now() / 1000) };
}

/** graphite-web's _merge_results over the answers, in order. */
export function mergeResults(answers: readonly (Series | null)[], merge: boolean): Series | null {
  let known: Series | null = null;
  let knownNones: number | undefined;
  const nones = (s: Series) => s.values.reduce<number>((n, v) => n + (v === null ? 1 : 0), 0);
  for (const s of answers) {
    if (s === null) continue;
    if (known === null) {
      known = { ...s, values: s.values.slice() };
      continue;
    }
    const candidateNones = merge ? 0 : nones(s);
    if (knownNones === undefined) knownNones = nones(known);
    if (knownNones > candidateNones && s.values.length > 0) {
      if (merge && s.values.length === known.values.length) {
        for (let i = 0; i < known.values.length; i++) {
          if (known.values[i] === null && s.values[i] !== null) {
            known.values[i] = s.values[i]!;
            knownNones--;
          }
        }
      } else {
        known = { ...s, values: s.values.slice() };
        knownNones = candidateNones;
      }
    }
  }
  return known;
}

/** A read of `metric` as graphite-web with CLUSTER_SERVERS does it (see the header). */
export async function readGraphiteWeb(metric: string, opts: GraphiteWebReadOptions): Promise<MergedRead> {
  const win = window(opts);
  const link = opts.carbonlink ?? 'none';
  const answers = await Promise.all(opts.stores.map((s) => readStore(metric, s, win, link)));
  return {
    metric,
    series: mergeResults(
      answers.map((a) => a.series),
      opts.merge ?? true,
    ),
    answers,
  };
}

export interface BroadcastReadOptions extends ReadWindow {
  stores: readonly ReadStore[];
  /** Merge each store's own cache into its answer, as go-carbon does (default true). */
  caches?: boolean | undefined;
}

/** A read of `metric` as carbonapi over go-carbon stores does it: per timestamp, the first non-null answer. */
export async function readBroadcast(metric: string, opts: BroadcastReadOptions): Promise<MergedRead> {
  const win = window(opts);
  const answers = await Promise.all(opts.stores.map((s) => readStore(metric, s, win, opts.caches === false ? 'none' : 'local')));
  const got = answers.map((a) => a.series).filter((s): s is Series => s !== null);
  if (got.length === 0) return { metric, series: null, answers };
  const step = Math.min(...got.map((s) => s.step));
  const start = Math.min(...got.map((s) => s.start));
  const end = Math.max(...got.map((s) => s.end));
  const values: (number | null)[] = [];
  for (let t = start; t < end; t += step) {
    let v: number | null = null;
    for (const s of got) {
      v = valueAt(s, t);
      if (v !== null) break;
    }
    values.push(v);
  }
  return { metric, series: { start, end, step, values }, answers };
}

/** A metric reader for checkReads. */
export type MetricReader = (metric: string, window: ReadWindow) => Promise<MergedRead>;

export interface Hole {
  metric: string;
  ts: number;
  /** When the writer sent it (ms). */
  sentAt: number;
}

export interface WrongValue extends Hole {
  expected: number;
  got: number;
}

export interface Unexpected {
  metric: string;
  ts: number;
  got: number;
}

export interface CheckOptions {
  /** What the writers sent (several logs: their metrics must not overlap). */
  logs: PointLog | readonly PointLog[];
  read: MetricReader;
  /** Points sent before this wall-clock time (ms) must be readable: now minus the flush delay, typically. */
  dueBefore: number;
  /** Only these metrics (default: every metric in the logs). */
  metrics?: readonly string[] | undefined;
  /** Ignore points with a timestamp before this (seconds). */
  since?: number | undefined;
  /** Points sent in these windows (ms) need not be there (a relay restart); present ones are still value-checked. */
  excuse?: readonly { fromMs: number; toMs: number }[] | undefined;
}

export interface CheckReport {
  metrics: number;
  /** Points that had to be there. */
  due: number;
  /** Of those, found with the right value. */
  found: number;
  holes: Hole[];
  wrong: WrongValue[];
  /** Non-null slots in the read window that no writer sent (another writer, a stray copy, a bad fill). */
  unexpected: Unexpected[];
  /** Metrics no store answered for at all. */
  unanswered: string[];
  ok: boolean;
  /** One paragraph for an assertion message. */
  summary: string;
}

/** Check every due point of every metric against a read (see CheckOptions). */
export async function checkReads(opts: CheckOptions): Promise<CheckReport> {
  const logs = Array.isArray(opts.logs) ? (opts.logs as readonly PointLog[]) : [opts.logs as PointLog];
  const metrics = opts.metrics ?? [...new Set(logs.flatMap((l) => l.metrics()))];
  const excuse = opts.excuse ?? [];
  const holes: Hole[] = [];
  const wrong: WrongValue[] = [];
  const unexpected: Unexpected[] = [];
  const unanswered: string[] = [];
  let due = 0;
  let found = 0;
  const now = Math.floor(Date.now() / 1000);
  for (const metric of metrics) {
    const points = logs.flatMap((l) => l.points(metric)).filter((p) => opts.since === undefined || p.ts >= opts.since);
    if (points.length === 0) continue;
    const minTs = Math.min(...points.map((p) => p.ts));
    const maxTs = Math.max(...points.map((p) => p.ts));
    const read = await opts.read(metric, { from: minTs - 1, until: maxTs, now });
    const s = read.series;
    if (s === null) unanswered.push(metric);
    const sentTs = new Set<number>();
    for (const p of points) {
      sentTs.add(p.ts);
      const v = s === null ? null : valueAt(s, p.ts);
      const mustBe = p.at < opts.dueBefore && !excuse.some((w) => p.at >= w.fromMs && p.at < w.toMs);
      if (mustBe) due++;
      if (v === null) {
        if (mustBe) holes.push({ metric, ts: p.ts, sentAt: p.at });
      } else if (v !== p.value) wrong.push({ metric, ts: p.ts, sentAt: p.at, expected: p.value, got: v });
      else if (mustBe) found++;
    }
    if (s !== null) {
      for (let i = 0; i < s.values.length; i++) {
        const t = s.start + i * s.step;
        const v = s.values[i];
        if (v !== null && v !== undefined && t >= minTs && !sentTs.has(t)) unexpected.push({ metric, ts: t, got: v });
      }
    }
  }
  const ok = holes.length === 0 && wrong.length === 0 && unexpected.length === 0;
  const sample = <T>(l: T[], f: (x: T) => string) =>
    l.length === 0 ? '' : ` (${l.slice(0, 8).map(f).join(', ')}${l.length > 8 ? ', …' : ''})`;
  const summary =
    `${metrics.length} metrics, ${due} points due, ${found} found; ${holes.length} holes` +
    sample(holes, (h) => `${h.metric}@${h.ts}`) +
    `; ${wrong.length} wrong` +
    sample(wrong, (w) => `${w.metric}@${w.ts}=${w.got} not ${w.expected}`) +
    `; ${unexpected.length} unexpected` +
    sample(unexpected, (u) => `${u.metric}@${u.ts}=${u.got}`) +
    (unanswered.length > 0 ? `; no answer for ${unanswered.length} metrics${sample(unanswered, (m) => m)}` : '');
  return { metrics: metrics.length, due, found, holes, wrong, unexpected, unanswered, ok, summary };
}

/** Which stores hold a point at `ts` for `metric` in their file (no cache), by store name. */
export function storesHolding(metric: string, ts: number, stores: readonly ReadStore[], now = Math.floor(Date.now() / 1000)): string[] {
  const out: string[] = [];
  for (const s of stores) {
    const path = metricPath(s.whisperDir, metric);
    if (!fs.existsSync(path)) continue;
    const r = fetch(path, ts - 1, ts, { now });
    if (r !== null && valueAt(r, ts) !== null) out.push(s.name);
  }
  return out;
}

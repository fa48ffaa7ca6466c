// Self-test of the live-cluster harness (test/helpers/carbon-cluster.ts and companions), against the
// real Debian components: three carbon-caches behind carbon-c-relay (carbon_ch, RF 2) with a line
// writer, a read of every point back through the graphite-web model; a live switch to four members
// (SIGHUP) with a placement check of where points land against ringshift's own model of the relay's
// config; files deleted under the running cluster (the checker must report those holes, and only
// those); a hash migration (carbon_ch → fnv1a_ch) that the no-merge reader must show as holes exactly
// where no node owned a metric throughout; and the readers proved against graphite-web's own code.
// No skip: a missing component fails with the package to install.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  fetchWritten,
  requireComponent,
  requireFile,
  useCarbonHarness,
  type CarbonCache,
  type CRelay,
  type RelaySwitch,
} from './helpers/carbon-cluster.js';
import { pickleDict, unpickle } from './helpers/carbon-pickle.js';
import { pointValue, startFlockWriter, startLineWriter, type LineWriter } from './helpers/carbon-writers.js';
import { canFlockLocally } from './helpers/flock.js';
import {
  carbonLinkOf,
  checkReads,
  mergeResults,
  mergeWithCache,
  readBroadcast,
  readGraphiteWeb,
  storesHolding,
  storesOfCaches,
  storesOfClusterFile,
  type MetricReader,
  type ReadStore,
  type Series,
} from './helpers/graphite-read.js';
import { graphiteWebOracle } from './helpers/graphite-web-oracle.js';
import { SYSTEM_PYTHON, waitFor } from './helpers/managed-process.js';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

/** Between a point reaching the relay and its slot in the whisper file (measured ~1.5 s; loaded machine). */
const FLUSH_ALLOWANCE_MS = 5_000;
/** The lagging cache's MIN_TIMESTAMP_LAG (s). */
const LAG_S = 10;

function py(code: string, input = ''): string {
  const r = spawnSync(SYSTEM_PYTHON, ['-c', code], { input, encoding: 'utf8', env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}

describe("the harness's protocol and merge models against the Python originals", () => {
  it('every component the end-to-end tests use is installed (else: the package to install)', () => {
    expect(() => requireFile({ path: '/nonexistent/carbon-cache', pkg: 'graphite-carbon' })).toThrow(
      /\/nonexistent\/carbon-cache is missing: install the Debian package graphite-carbon/,
    );
    expect(() => requireComponent('carbonCache', 'carbonRelay', 'crelay', 'python', 'whisperPy', 'graphiteWeb')).not.toThrow();
  });

  it('pickles a cache-query Python reads, and reads what carbon-cache answers (protocol 2)', () => {
    const req = pickleDict({ type: 'cache-query', metric: 'a.b.ünï' });
    const back = py('import pickle,sys,json; print(json.dumps(pickle.loads(bytes.fromhex(sys.stdin.read()))))', req.toString('hex'));
    expect(JSON.parse(back)).toEqual({ type: 'cache-query', metric: 'a.b.ünï' });
    // What carbon's CacheManagementHandler sends: pickle.dumps(dict(datapoints=[(ts, value), …]), protocol=2).
    for (const proto of [2, 4]) {
      const hex = py(
        `import pickle; print(pickle.dumps(dict(datapoints=[(1700000000.0, 1.5), (1700000001.0, -2.0), (1700000002, 2**40), (3, None)], x=[True, False, 'é'] + ([b'\\x00'] if ${proto} >= 3 else [])), protocol=${proto}).hex())`,
      ).trim();
      const v = unpickle(Buffer.from(hex, 'hex'));
      expect(v).toBeInstanceOf(Map);
      const m = v as Map<unknown, unknown>;
      expect(m.get('datapoints')).toEqual([
        [1700000000, 1.5],
        [1700000001, -2],
        [1700000002, 2 ** 40],
        [3, null],
      ]);
      expect(m.get('x')).toEqual([true, false, 'é', ...(proto >= 3 ? [Buffer.from([0])] : [])]);
    }
  });

  it('merge_with_cache and _merge_results give what graphite-web 1.1.8 gives on random cases', () => {
    // Deterministic pseudo-random cases: series of one length (merge fills Nones) and of two lengths (the
    // replace-and-stop quirk), cache points at raw and coarser steps, every aggregation function.
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const cases: { answers: (Series | null)[]; cache: [number, number][]; func: string; rawStep: number }[] = [];
    for (let k = 0; k < 60; k++) {
      const step = [1, 10, 60][k % 3]!;
      const rawStep = k % 2 === 0 ? step : 1;
      const n = 5 + Math.floor(rnd() * 6);
      const start = 1000 * step;
      const answers = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => {
        if (rnd() < 0.1) return null;
        const len = rnd() < 0.2 ? n + 1 : n;
        return {
          start,
          end: start + len * step,
          step,
          values: Array.from({ length: len }, () => (rnd() < 0.4 ? null : Math.floor(rnd() * 100))),
        };
      });
      const cache = Array.from(
        { length: Math.floor(rnd() * 5) },
        () => [start - step + Math.floor(rnd() * (n + 2) * step), Math.floor(rnd() * 50)] as [number, number],
      );
      cases.push({ answers, cache, func: ['average', 'sum', 'max', 'min', 'last', 'avg_zero'][k % 6]!, rawStep });
    }
    const out = py(
      String.raw`
import json, os, sys, warnings
warnings.filterwarnings('ignore')
os.environ['DJANGO_SETTINGS_MODULE'] = 'graphite.settings'
import django
django.setup()
from django.conf import settings
from graphite.readers.utils import merge_with_cache
from graphite.render.datalib import _merge_results
res = []
for c in json.load(sys.stdin):
    row = {}
    for merge in (True, False):
        settings.REMOTE_STORE_MERGE_RESULTS = merge
        pre = [('m', ((a['start'], a['end'], a['step']), list(a['values']))) for a in c['answers'] if a is not None]
        s = _merge_results('m', 0, 0, pre, {}, {})
        row['merge' if merge else 'nomerge'] = None if not s else list(s[0])
    a = next((a for a in c['answers'] if a is not None), None)
    if a is not None:
        row['cached'] = merge_with_cache([tuple(p) for p in c['cache']], a['start'], a['step'], list(a['values']), c['func'], c['rawStep'])
    res.append(row)
print(json.dumps(res))
`,
      JSON.stringify(cases),
    );
    const expected = JSON.parse(out) as {
      merge: (number | null)[] | null;
      nomerge: (number | null)[] | null;
      cached?: (number | null)[];
    }[];
    cases.forEach((c, i) => {
      expect(mergeResults(c.answers, true)?.values ?? null, `case ${i} merge`).toEqual(expected[i]!.merge);
      expect(mergeResults(c.answers, false)?.values ?? null, `case ${i} no merge`).toEqual(expected[i]!.nomerge);
      const a = c.answers.find((x) => x !== null);
      if (a) expect(mergeWithCache(c.cache, a.start, a.step, a.values, c.func, c.rawStep), `case ${i} cache`).toEqual(expected[i]!.cached);
    });
  });
});

describe('a cache that cannot start', () => {
  const h = useCarbonHarness();
  it("fails with carbon's own words from its log, and leaves no process behind", async () => {
    const err = await h()
      .startCache({ settings: { DATABASE: 'nosuchdb' } })
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(err?.message).toMatch(/carbon-cache c1 exited during startup[\s\S]*No database plugin implemented for 'nosuchdb'/);
    expect(h().caches[0]!.running).toBe(false);
  }, 60_000);
});

describe("the plain writer: whisper files updated under carbon's flock, no daemon", () => {
  it('writes one point per file per step under an exclusive flock, waits while another process holds it, and every point reads back', async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'ringshift-flockwriter-'));
    try {
      const names = ['a.x', 'a.y', 'b.z'];
      const files = names.map((m) => ({ metric: m, path: join(dir, ...m.split('.')) + '.wsp' }));
      const w = startFlockWriter({ files, create: { retentions: '1s:10m,1m:1d' } });
      await w.waitSteps(2);
      // Hold carbon's lock on one file from another process (flock(1)) for 2.5 s: its bytes must not change meanwhile.
      const held = files[0]!.path;
      const before = fs.readFileSync(held);
      const holder = spawn('flock', ['-x', held, 'sleep', '2.5'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 300));
      expect(canFlockLocally(held)).toBe(false);
      await new Promise((r) => setTimeout(r, 1_800));
      expect(fs.readFileSync(held).equals(before)).toBe(true);
      await new Promise<void>((r) => holder.once('exit', () => r()));
      await w.waitSteps(3);
      await w.stop();
      expect(w.errors).toEqual([]);
      const report = await checkReads({
        logs: w.log,
        read: (m, win) => readGraphiteWeb(m, { stores: [{ name: 'dir', whisperDir: dir, caches: [] }], ...win }),
        dueBefore: Infinity,
      });
      expect(report.ok, report.summary).toBe(true);
      expect(report.due).toBe(names.length * w.stepsWritten);
      // python-whisper agrees on what is in the file.
      const last = w.log.points('a.y').at(-1)!;
      const fetched = py(`import whisper; print(whisper.fetch(${JSON.stringify(files[1]!.path)}, ${last.ts - 1}, ${last.ts})[1][0])`);
      expect(Number(fetched.trim())).toBe(last.value);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a live carbon cluster on loopback: 3 caches behind carbon-c-relay, switched to 4 while written', () => {
  const h = useCarbonHarness();
  const metrics = Array.from({ length: 40 }, (_, i) => `harness.app${i % 4}.m${String(i).padStart(2, '0')}`);
  let caches: CarbonCache[] = [];
  let relay: CRelay;
  let writer: LineWriter;
  let lag: CarbonCache;
  let c4: CarbonCache;
  let lagWriter: LineWriter;
  const lagMetrics = Array.from({ length: 10 }, (_, i) => `lagging.m${i}`);
  const switches: RelaySwitch[] = [];
  /** Owner sets (cache names) per metric under each ring, in order. */
  const ownersByPhase: Map<string, string[]>[] = [];
  let deleted: { metric: string; at: number } | undefined;
  const all = (): ReadStore[] => storesOfCaches(h().caches);
  const merged: MetricReader = (m, w) => readGraphiteWeb(m, { stores: all(), merge: true, ...w });
  const snapshotOwners = () => ownersByPhase.push(new Map(metrics.map((m) => [m, relay.ownersOf(m).map((c) => c.name)])));

  it('starts 3 caches and carbon-c-relay (carbon_ch, RF 2) and every point written for ~8 s reads back, placed as ringshift models it', async () => {
    const t0 = Date.now();
    // Beside the ring: a cache that keeps points LAG_S s before writing them (timesorted + MIN_TIMESTAMP_LAG),
    // written directly, for the CarbonLink test below.
    // c4 joins the ring later (started now, in parallel, to save time).
    [caches, lag, c4] = await Promise.all([
      h().startCaches(3),
      h().startCache({ name: 'lag', host: '127.0.0.30', settings: { CACHE_WRITE_STRATEGY: 'timesorted', MIN_TIMESTAMP_LAG: LAG_S } }),
      h().startCache({ name: 'c4', host: '127.0.0.14' }),
    ]);
    lagWriter = await startLineWriter({ host: lag.host, port: lag.linePort, metrics: lagMetrics });
    const tCaches = Date.now();
    relay = await h().startCRelay({ hash: 'carbon_ch', replication: 2, members: caches });
    console.log(`harness: 5 caches listening after ${tCaches - t0} ms, c-relay after ${Date.now() - tCaches} ms more`);
    snapshotOwners();
    writer = await startLineWriter({ host: relay.host, port: relay.port, metrics });
    await writer.waitSteps(8);
    const report = await checkReads({ logs: writer.log, read: merged, dueBefore: Date.now() - FLUSH_ALLOWANCE_MS });
    expect(report.due).toBeGreaterThanOrEqual(metrics.length * 2);
    expect(report.ok, report.summary).toBe(true);
    // Placement: exactly the two owners ringshift computes from the relay's config hold each file.
    for (const m of metrics)
      expect(
        h()
          .holdersOf(m)
          .map((c) => c.name)
          .sort(),
        m,
      ).toEqual([...ownersByPhase[0]!.get(m)!].sort());
    expect(writer.errors).toEqual([]);
  }, 120_000);

  it("answers CarbonLink cache queries with the unflushed points, values as written, and graphite-web's CarbonLink read shows them", async () => {
    // graphite-web with CarbonLink shows the points a cache has not written yet; without it they are holes.
    // The lagging cache writes a metric only when its oldest cached point is LAG_S old, then all of it.
    // Wait for a write (graphite-web merges cache points into a file's series only: no file, no series)
    // that leaves at least 9 s before the next, then two more steps, which are in the cache only.
    const lastWritten = () => {
      const now = Math.floor(Date.now() / 1000);
      let last = Infinity;
      for (const m of lagMetrics) {
        const path = lag.pathOf(m);
        const r = fetchWritten(path, now - 300, now, now);
        const i = r === null ? -1 : r.values.findLastIndex((v) => v !== null);
        last = Math.min(last, i < 0 ? -Infinity : r!.start + i * r!.step);
      }
      return last;
    };
    const written = await waitFor(
      () => (lastWritten() > 0 ? lastWritten() : undefined),
      60_000,
      () => `the lagging cache wrote no file; log:\n${lag.logTail()}`,
    );
    if ((written + 1 + LAG_S) * 1000 - Date.now() < 9_000) {
      const before = written;
      await waitFor(
        () => (lastWritten() > before ? lastWritten() : undefined),
        (LAG_S + 20) * 1000,
        () => `the lagging cache did not write again`,
      );
    }
    await new Promise((r) => setTimeout(r, 2_500));
    const stores = storesOfCaches([lag]);
    const link = carbonLinkOf([lag], 1);
    const dueBefore = Date.now() - 300;
    const without = await checkReads({ logs: lagWriter.log, dueBefore, read: (m, w) => readGraphiteWeb(m, { stores, ...w }) });
    // The cache answers a query with those points (ts, value) as written.
    for (const m of lagMetrics) {
      const i = lagMetrics.indexOf(m);
      const pts = await lag.query(m);
      expect(pts.length, m).toBeGreaterThan(0);
      for (const [ts, v] of pts) expect(v, `${m}@${ts}`).toBe(pointValue(i, ts));
    }
    const withLink = await checkReads({
      logs: lagWriter.log,
      dueBefore,
      read: (m, w) => readGraphiteWeb(m, { stores, carbonlink: link, ...w }),
    });
    expect(without.wrong).toEqual([]);
    expect(new Set(without.holes.map((x) => x.metric))).toEqual(new Set(lagMetrics));
    expect(withLink.ok, withLink.summary).toBe(true);
    // graphite-web's own WhisperReader + CarbonLinkPool read the same (a write meanwhile moves points from
    // the cache to the file: the merged series is the same).
    const now = Math.floor(Date.now() / 1000);
    const first = lagWriter.log.points(lagMetrics[0]!)[0]!.ts;
    const last = Math.min(...lagMetrics.map((m) => lagWriter.log.points(m).at(-1)!.ts));
    const win = { from: first - 1, until: last, now };
    const want = await graphiteWebOracle({
      metrics: lagMetrics,
      stores,
      merge: true,
      carbonlinkHosts: [`${lag.host}:${lag.queryPort}`],
      replication: 1,
      ...win,
    });
    for (const m of lagMetrics) expect((await readGraphiteWeb(m, { stores, carbonlink: link, ...win })).series, m).toEqual(want.get(m));
    await lagWriter.stop();
  }, 150_000);

  it('switches the relay to 4 members with SIGHUP; new points land on the new owners only; merged reads have no hole', async () => {
    const sw = await relay.switchRing({ ...relay.ring, members: [...caches, c4] });
    switches.push(sw);
    console.log(`harness: c-relay reload took ${sw.effectiveAt - sw.requestedAt} ms`);
    snapshotOwners();
    const before = ownersByPhase[0]!;
    const after = ownersByPhase[1]!;
    const moved = metrics.filter((m) => after.get(m)!.includes('c4'));
    expect(moved.length).toBeGreaterThan(0); // ~half of 40 under RF 2 of 4
    await writer.waitSteps(6);
    await new Promise((r) => setTimeout(r, FLUSH_ALLOWANCE_MS));
    const stores = all();
    const now = Math.floor(Date.now() / 1000);
    for (const m of metrics) {
      for (const p of writer.log.points(m)) {
        if (p.at > Date.now() - FLUSH_ALLOWANCE_MS) continue;
        const holders = storesHolding(m, p.ts, stores, now).sort();
        if (p.at >= sw.effectiveAt) expect(holders, `${m}@${p.ts} after the switch`).toEqual([...after.get(m)!].sort());
        else if (p.at < sw.requestedAt - 1_000) expect(holders, `${m}@${p.ts} before the switch`).toEqual([...before.get(m)!].sort());
      }
    }
    for (const m of moved) expect(fs.existsSync(c4.pathOf(m)), `${m} on c4`).toBe(true);
    const report = await checkReads({ logs: writer.log, read: merged, dueBefore: Date.now() - FLUSH_ALLOWANCE_MS });
    expect(report.ok, report.summary).toBe(true);
  }, 120_000);

  it("reports the holes when a metric's files are deleted on every owner mid-run, and only those", async () => {
    const victim = metrics[7]!;
    for (const c of relay.ownersOf(victim)) fs.rmSync(c.pathOf(victim));
    deleted = { metric: victim, at: Date.now() };
    await writer.waitSteps(3);
    const report = await checkReads({ logs: writer.log, read: merged, dueBefore: Date.now() - FLUSH_ALLOWANCE_MS });
    expect(report.ok).toBe(false);
    expect(report.wrong).toEqual([]);
    expect(new Set(report.holes.map((x) => x.metric))).toEqual(new Set([victim]));
    // Everything the cache had already written before the delete is gone (points still in the cache then are rewritten).
    const sentBefore = writer.log.points(victim).filter((p) => p.at < deleted!.at - FLUSH_ALLOWANCE_MS);
    expect(report.holes.length).toBeGreaterThanOrEqual(sentBefore.length);
    for (const x of report.holes) expect(x.sentAt).toBeLessThan(deleted.at);
    expect(report.summary).toMatch(new RegExp(`\\d+ holes \\(${victim.replace(/\./g, '\\.')}@`));
  }, 60_000);

  it('a hash migration (carbon_ch → fnv1a_ch): merged and broadcast reads stay whole; without merge, holes exactly where no node owned the metric throughout', async () => {
    const sw = await relay.switchRing({ ...relay.ring, hash: 'fnv1a_ch' });
    switches.push(sw);
    snapshotOwners();
    await writer.waitSteps(6);
    await writer.stop();
    expect((await h().settle(writer.log)).undelivered).toEqual([]);
    const keep = metrics.filter((m) => m !== deleted?.metric);
    // Nothing lost through two live switches.
    const whole = await checkReads({ logs: writer.log, metrics: keep, read: merged, dueBefore: Infinity });
    const when = `switches asked at ${switches.map((x) => x.requestedAt / 1000).join(', ')}, in effect at ${switches.map((x) => x.effectiveAt / 1000).join(', ')}; last point ${writer.log.points(metrics[0]!).at(-1)?.ts}`;
    expect(whole.ok, `${whole.summary}; ${when}`).toBe(true);
    expect(writer.missedSteps).toBe(0);
    expect(whole.due).toBe(keep.length * writer.stepsWritten);
    const broadcast = await checkReads({
      logs: writer.log,
      metrics: keep,
      read: (m, w) => readBroadcast(m, { stores: all(), ...w }),
      dueBefore: Infinity,
    });
    expect(broadcast.ok, broadcast.summary).toBe(true);
    // graphite-web without REMOTE_STORE_MERGE_RESULTS takes one node's series whole.
    const single = await checkReads({
      logs: writer.log,
      metrics: keep,
      read: (m, w) => readGraphiteWeb(m, { stores: all(), merge: false, ...w }),
      dueBefore: Infinity,
    });
    const ownedThroughout = (m: string) =>
      ownersByPhase.map((p) => new Set(p.get(m))).reduce((a, b) => new Set([...a].filter((x) => b.has(x))));
    const expectHoles = keep.filter((m) => ownedThroughout(m).size === 0).sort();
    expect(expectHoles.length).toBeGreaterThan(0);
    expect([...new Set(single.holes.map((x) => x.metric))].sort()).toEqual(expectHoles);
    expect(single.wrong).toEqual([]);
  }, 120_000);

  it('the graphite-web model reads exactly what graphite-web 1.1.8 reads from the same files, via a cluster file', async () => {
    const file = h().writeClusterFile(join(h().dir, 'cluster.yaml'), relay.ring, { storage: relay.ring.members });
    const stores = storesOfClusterFile(file, h().caches);
    expect(stores.map((s) => s.whisperDir)).toEqual(relay.ring.members.map((c) => c.whisperDir));
    expect(stores.map((s) => s.caches)).toEqual(relay.ring.members.map((c) => [{ host: c.host, port: c.queryPort }]));
    const now = Math.floor(Date.now() / 1000);
    const first = Math.min(...metrics.map((m) => writer.log.points(m)[0]!.ts));
    const win = { from: first - 5, until: now, now };
    const oracle = await Promise.all([true, false].map((merge) => graphiteWebOracle({ metrics, stores, merge, ...win })));
    for (const merge of [true, false]) {
      const want = oracle[merge ? 0 : 1]!;
      for (const m of metrics) {
        const got = await readGraphiteWeb(m, { stores, merge, ...win });
        expect(got.series, `${m} merge=${merge}`).toEqual(want.get(m));
      }
    }
  }, 120_000);
  it("carbon's own carbon-relay (consistent-hashing, RF 2, pickle) places points as ringshift models its carbon.conf", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `pyrelay.m${i}`);
    const pyRelay = await h().startCarbonRelay({ hash: 'carbon_ch', replication: 2, members: relay.ring.members });
    const w = await startLineWriter({ host: pyRelay.host, port: pyRelay.port, metrics: names });
    await w.waitSteps(3);
    await w.stop();
    expect((await h().settle(w.log)).undelivered).toEqual([]);
    for (const m of names)
      expect(
        h()
          .holdersOf(m)
          .map((c) => c.name)
          .sort(),
        m,
      ).toEqual(
        pyRelay
          .ownersOf(m)
          .map((c) => c.name)
          .sort(),
      );
    const report = await checkReads({ logs: w.log, read: merged, dueBefore: Infinity });
    expect(report.ok, report.summary).toBe(true);
  }, 90_000);
});

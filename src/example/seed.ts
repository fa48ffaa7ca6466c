// The bundled example's data: `node dist/src/example/seed.js DIR` writes into DIR a copy of the example
// cluster files (fixtures/example) and whisper trees nodes/graphite-1..3 as the OLD ring (3 nodes,
// replication 2) placed them, plus what a real cluster accumulates:
//   - replicas with different gaps (a cache restarted, a relay queue dropped points),
//   - one raw double-dot name (`apps.checkout..latency.p95`), stored at apps/checkout/latency/p95.wsp on
//     the owners of the RAW name (carbon-relay.py hashes names as received),
//   - one trailing-dot file (`servers.web01.cpu.` → servers/web01/cpu/.wsp),
//   - one self-metric (`carbon.agents.graphite-1-a.metricsReceived`, written locally by graphite-1's cache),
//   - names.txt: the names as the relay received them (metrics.txt plus the two raw oddities).
// Everything is a function of the metric names and the clock: RINGSHIFT_NOW pins it (the whole tree is
// then byte-identical run to run, file mtimes included).
import * as fs from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClusterFileSync } from '../config/cluster-file.js';
import { buildRing } from '../ring/build.js';
import { memberId } from '../ring/types.js';
import { mulberry32 } from '../seeded-random.js';
import { storageKeysFor } from '../storage/locations.js';
import { metricToPath } from '../storage/paths.js';
import { nowSeconds as clockNow } from '../clock.js';
import { create } from '../whisper/create.js';
import { updateMany, type Point } from '../whisper/update.js';

/** 1-minute points for 12 hours, hourly for a week. */
export const EXAMPLE_RETENTIONS: [number, number][] = [
  [60, 720],
  [3600, 168],
];
export const DOUBLE_DOT_RAW = 'apps.checkout..latency.p95';
export const TRAILING_DOT_RAW = 'servers.web01.cpu.';
export const SELF_METRIC = 'carbon.agents.graphite-1-a.metricsReceived';

/** A small deterministic generator (mulberry32) seeded from a string (its 32-bit FNV-1a over UTF-16 units). */
export function seededRandom(seed: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  return mulberry32(h);
}

export interface PlantOptions {
  now: number;
  /** Points to write: [timestamp, value]. */
  points: readonly Point[];
  retentions?: readonly (readonly [number, number])[];
  /** File mtime (seconds); default now. */
  mtime?: number;
}

/** Create a whisper file for `name` (raw: stored where carbon-cache would store it) under `root`. */
export async function plantMetric(root: string, name: string, opts: PlantOptions): Promise<string> {
  return plantAt(join(root, metricToPath(name)), opts);
}

/** Create a whisper file at an exact path (for files no name maps to, or a chosen path). */
export async function plantAt(file: string, opts: PlantOptions): Promise<string> {
  fs.mkdirSync(dirname(file), { recursive: true });
  create(file, opts.retentions ?? EXAMPLE_RETENTIONS, { sparse: true });
  await updateMany(file, opts.points, { now: opts.now, lock: false, sync: false });
  const mtime = opts.mtime ?? opts.now;
  fs.utimesSync(file, mtime, mtime);
  return file;
}

/**
 * The example's writers stopped this long before the clock (the cluster was quiesced for the change), so
 * its leftovers are stale: with the liveness rule (src/audit/liveness.ts) a file that received points
 * in the last 10 minutes is live and never moved.
 */
export const EXAMPLE_QUIET_SECONDS = 3600;

/**
 * Minute points over `minutes` minutes for `name`, ending EXAMPLE_QUIET_SECONDS before `now`, minus
 * the gaps of this replica: values follow a per-metric curve, so two replicas agree wherever both have a point.
 */
export function examplePoints(name: string, now: number, replica: number, minutes = 600): Point[] {
  const rnd = seededRandom(name);
  const base = 10 + Math.floor(rnd() * 90);
  const gappy = rnd() < 0.5;
  const gapStart = 30 + Math.floor(rnd() * (minutes - 120));
  const gapLen = 10 + Math.floor(rnd() * 40);
  // The other replica misses a different window.
  const gap2Start = (gapStart + minutes / 2) % (minutes - 60);
  const end = now - (now % 60) - EXAMPLE_QUIET_SECONDS;
  const out: Point[] = [];
  for (let i = minutes - 1; i >= 0; i--) {
    const k = minutes - 1 - i;
    if (gappy) {
      const s = replica === 0 ? gapStart : gap2Start;
      if (k >= s && k < s + gapLen) continue;
    }
    out.push([end - i * 60, base + Math.round(10 * Math.sin((k + base) / 17) * 100) / 100]);
  }
  return out;
}

/** Where fixtures/example is, from this module (src/example or dist/src/example). */
export function exampleFixtureDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'fixtures', 'example');
    if (fs.existsSync(join(candidate, 'cluster.yaml'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('fixtures/example not found next to the ringshift package');
}

export interface SeedResult {
  dir: string;
  now: number;
  files: number;
  /** Raw double-dot name's owners under the old ring (storage keys). */
  doubleDotAt: string[];
}

/** Write the example into `dir` (created if needed; existing node trees are refused). */
export async function seedExample(dir: string, now: number = clockNow()): Promise<SeedResult> {
  const out = resolve(dir);
  const src = exampleFixtureDir();
  fs.mkdirSync(out, { recursive: true });
  if (fs.existsSync(join(out, 'nodes'))) throw new Error(`${join(out, 'nodes')} exists: seed into an empty directory`);
  for (const f of ['cluster-old.yaml', 'cluster.yaml', 'metrics.txt']) fs.copyFileSync(join(src, f), join(out, f));
  const cluster = loadClusterFileSync(join(out, 'cluster-old.yaml'));
  const ring = buildRing(cluster.ring);
  const rootOf = (id: string): string => {
    const d = ring.members.find((m) => memberId(m) === id)!;
    const keys = storageKeysFor(d);
    return cluster.storage.find((s) => keys.includes(s.key))!.location;
  };
  for (const s of cluster.storage) fs.mkdirSync(s.location, { recursive: true });

  const metrics = fs
    .readFileSync(join(out, 'metrics.txt'), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  let files = 0;
  const placeRaw = async (raw: string): Promise<string[]> => {
    const owners = ring.locate(raw).owners.map(memberId);
    for (let r = 0; r < owners.length; r++) {
      await plantMetric(rootOf(owners[r]!), raw, { now, points: examplePoints(raw, now, r) });
      files++;
    }
    return owners;
  };
  for (const m of metrics) await placeRaw(m);
  const ddOwners = await placeRaw(DOUBLE_DOT_RAW);
  await placeRaw(TRAILING_DOT_RAW);
  await plantMetric(rootOf(memberId(ring.members[0]!)), SELF_METRIC, { now, points: examplePoints(SELF_METRIC, now, 0) });
  files++;
  fs.writeFileSync(join(out, 'names.txt'), [...metrics, DOUBLE_DOT_RAW, TRAILING_DOT_RAW].join('\n') + '\n');
  return { dir: out, now, files, doubleDotAt: ddOwners };
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (dir === undefined || process.argv.length > 3) {
    process.stderr.write('usage: node dist/src/example/seed.js DIR   (RINGSHIFT_NOW=<unix seconds> pins the clock)\n');
    process.exitCode = 2;
    return;
  }
  const r = await seedExample(dir);
  process.stdout.write(`seeded ${r.dir}: ${r.files} whisper files in nodes/graphite-1..3 (old ring, replication 2), now=${r.now}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: Error) => {
    process.stderr.write(`seed: ${e.message}\n`);
    process.exitCode = 1;
  });
}

// In-process ring lookup speed on 1M deterministic, realistic names, next to a naive baseline
// (node:crypto MD5 per name + binary search over the sorted ring points), plus MD5 alone: the pure-TS
// MD5 against createHash and crypto.hash; and carbon rings of 1000 and 5000 members (positions past
// 65535): lookups, and the time to build rings of 10 to 5000 members. Each row runs in a child process
// (one ring class per process, as in `ring locate`), with a time limit (RING_BENCH_LIMIT seconds,
// default 300) so that an engine that cannot build a ring gives a row saying so. Run after `npm run build`:
//   node dist/bench/ring-lookup.js [names]          (default 1,000,000)
import { spawnSync } from 'node:child_process';
import { createHash, hash as cryptoHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { buildRing } from '../src/ring/build.js';
import { parseCarbonDestination, parseCrelayMember } from '../src/ring/destination.js';
import { md5Position16 } from '../src/ring/hash/md5.js';
import { makeRingSpec } from '../src/ring/spec.js';
import type { Destination, Ring, RingSpec } from '../src/ring/types.js';
import { startBench } from './rows.js';

const N = Number(process.argv[2] !== undefined && !process.argv[2].startsWith('--') ? process.argv[2] : 1_000_000);

/** collectd/statsd/graphite-style names, 25-90 bytes; ~3% tagged, ~2% non-ASCII, ~3% needing c-relay cleaning. */
function generateNames(n: number): string[] {
  let s = 0x9e3779b9;
  const rnd = (k: number): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % k;
  };
  const tops = ['servers', 'collectd', 'stats.timers', 'stats_counts', 'apps', 'carbon.agents', 'prod.k8s'];
  const dcs = ['dc1', 'dc2', 'ams', 'fra', 'iad', 'sjc'];
  const roles = ['web', 'api', 'db', 'cache', 'kafka', 'worker', 'lb'];
  const leaves = [
    'cpu.user',
    'cpu.system',
    'memory.used',
    'disk.sda.reads',
    'network.eth0.rx_bytes',
    'load.shortterm',
    'requests.p99',
    'queue.depth',
    'jvm.gc.G1_Young_Generation.count',
  ];
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    let name = `${tops[rnd(tops.length)]}.${dcs[rnd(dcs.length)]}.${roles[rnd(roles.length)]}${rnd(100)}.${leaves[rnd(leaves.length)]}`;
    const r = rnd(100);
    if (r < 3) name += `;env=prod;dc=${dcs[rnd(dcs.length)]}`;
    else if (r < 5) name += '.café';
    else if (r < 7) name = `.${name}`;
    else if (r < 8) name = name.replace('.', '..');
    out[i] = name;
  }
  return out;
}

const members = (syntax: 'carbon' | 'crelay', n = 10): Destination[] =>
  Array.from({ length: n }, (_, i) => {
    const host = `cache-${String(i + 1).padStart(2, '0')}.prod.example.net`;
    // Distinct instances: fnv1a_ch rings hash the instance alone.
    return syntax === 'carbon' ? parseCarbonDestination(`${host}:2004:c${i}`) : parseCrelayMember(`${host}:2004=c${i}`);
  });

/**
 * Best of `reps` passes over all names (after one warm-up pass): names per wall-clock second and per
 * CPU second (user + system of this process; steadier than wall time on a shared machine).
 */
function measure(names: string[], fn: (name: string) => number, reps = 3): Rate {
  let sink = 0;
  for (let i = 0; i < names.length; i++) sink ^= fn(names[i]!);
  let wall = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < names.length; i++) sink ^= fn(names[i]!);
    wall = Math.min(wall, Number(process.hrtime.bigint() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6);
  }
  if (sink === 0x7fffffff) console.log('(sink)');
  return { wall: names.length / wall, cpu: names.length / cpu };
}

interface Rate {
  wall: number;
  cpu: number;
}

/** The naive way: node:crypto MD5 per name, binary search over the sorted points, owner 0. */
function naiveCarbonLookup(ring: Ring): (name: string) => number {
  const pts = ring.points!();
  const pos = pts.map((p) => p.position);
  return (name: string) => {
    const p = createHash('md5').update(name, 'utf8').digest().readUInt16BE(0);
    let lo = 0;
    let hi = pos.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pos[mid]! < p) lo = mid + 1;
      else hi = mid;
    }
    return pts[lo === pos.length ? 0 : lo]!.member.port;
  };
}

function fmt(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}k`;
}

const carbonSpec = (p: Partial<RingSpec> = {}, n = 10): RingSpec => makeRingSpec({ destinations: members('carbon', n), ...p });
const crelaySpec = (p: Partial<RingSpec> = {}): RingSpec => makeRingSpec({ impl: 'carbon-c-relay', destinations: members('crelay'), ...p });

/** Each row runs in its own process so that every call site sees one ring class (as `ring locate` does). */
const ROWS: { name: string; run: (names: string[]) => Rate }[] = [
  { name: 'carbon carbon_ch RF1, 10 members', run: (n) => locateRate(carbonSpec(), n) },
  { name: '  naive: createHash md5 + binary search', run: (n) => measure(n, naiveCarbonLookup(buildRing(carbonSpec()))) },
  { name: 'carbon carbon_ch RF2 diverse=False', run: (n) => locateRate(carbonSpec({ replication: 2, diverse: false }), n) },
  { name: 'carbon fnv1a_ch RF1', run: (n) => locateRate(carbonSpec({ hash: 'fnv1a_ch' }), n) },
  { name: 'carbon fast-hashing (mmh3_ch) RF1', run: (n) => locateRate(carbonSpec({ router: 'fast-hashing', hash: 'mmh3_ch' }), n) },
  { name: 'carbon carbon_ch RF1 TAG_RELAY_NORMALIZED', run: (n) => locateRate(carbonSpec({ tagRelayNormalized: true }), n) },
  { name: 'c-relay carbon_ch RF1, sanitize', run: (n) => locateRate(crelaySpec(), n) },
  { name: 'c-relay fnv1a_ch RF2, sanitize', run: (n) => locateRate(crelaySpec({ hash: 'fnv1a_ch', replication: 2 }), n) },
  { name: 'c-relay jump_fnv1a_ch RF1, sanitize', run: (n) => locateRate(crelaySpec({ hash: 'jump_fnv1a_ch' }), n) },
  { name: 'c-relay jump_fnv1a_ch RF2, sanitize', run: (n) => locateRate(crelaySpec({ hash: 'jump_fnv1a_ch', replication: 2 }), n) },
  { name: 'carbon carbon_ch RF2, 1000 members', run: (n) => locateRate(carbonSpec({ replication: 2 }, 1000), n) },
  { name: 'carbon carbon_ch RF2, 5000 members', run: (n) => locateRate(carbonSpec({ replication: 2 }, 5000), n) },
  {
    name: 'graphite-web carbon_ch RF2, 5000 members',
    run: (n) => locateRate(carbonSpec({ impl: 'graphite-web', replication: 2 }, 5000), n),
  },
  { name: 'carbon fnv1a_ch RF1, 5000 members', run: (n) => locateRate(carbonSpec({ hash: 'fnv1a_ch' }, 5000), n) },
  {
    name: 'carbon mmh3_ch (consistent) RF2, 5000 members',
    run: (n) => locateRate(carbonSpec({ hash: 'mmh3_ch', replication: 2 }, 5000), n),
  },
  { name: 'md5 position: pure TS (md5Position16)', run: (n) => measure(n, md5Position16) },
  { name: 'md5 position: crypto.createHash', run: (n) => measure(n, (x) => createHash('md5').update(x, 'utf8').digest().readUInt16BE(0)) },
  { name: 'md5 position: crypto.hash', run: (n) => measure(n, (x) => cryptoHash('md5', x, 'buffer').readUInt16BE(0)) },
];

function locateRate(spec: RingSpec, names: string[]): Rate {
  const ring = buildRing(spec);
  return measure(names, (n) => ring.locate(n).owners.length);
}

/** Best of `reps` builds of a ring (after one warm-up build): wall and CPU seconds. */
function buildSeconds(spec: RingSpec, reps = 3): Rate {
  buildRing(spec);
  let wall = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    buildRing(spec);
    wall = Math.min(wall, Number(process.hrtime.bigint() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6);
  }
  return { wall, cpu };
}

const BUILDS: { name: string; spec: () => RingSpec }[] = [
  { name: 'buildRing carbon_ch, 10 members', spec: () => carbonSpec() },
  { name: 'buildRing carbon_ch RF2, 700 members', spec: () => carbonSpec({ replication: 2 }, 700) },
  { name: 'buildRing carbon_ch RF2, 1000 members', spec: () => carbonSpec({ replication: 2 }, 1000) },
  { name: 'buildRing carbon_ch RF2, 5000 members', spec: () => carbonSpec({ replication: 2 }, 5000) },
  { name: 'buildRing fnv1a_ch RF1, 5000 members', spec: () => carbonSpec({ hash: 'fnv1a_ch' }, 5000) },
  { name: 'buildRing mmh3_ch RF2, 5000 members', spec: () => carbonSpec({ hash: 'mmh3_ch', replication: 2 }, 5000) },
];

const LIMIT_SECONDS = Number(process.env.RING_BENCH_LIMIT ?? 300);

/** One measurement in a child process; undefined when it does not finish within LIMIT_SECONDS. */
function child(args: string[]): Rate | undefined {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...args], { encoding: 'utf8', timeout: LIMIT_SECONDS * 1000 });
  if (r.signal !== null) return undefined;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Rate;
}

function main(): void {
  const rowArg = process.argv.indexOf('--row');
  if (rowArg >= 0) {
    const row = ROWS[Number(process.argv[rowArg + 1])]!;
    process.stdout.write(JSON.stringify(row.run(generateNames(N))));
    return;
  }
  const buildArg = process.argv.indexOf('--build');
  if (buildArg >= 0) {
    process.stdout.write(JSON.stringify(buildSeconds(BUILDS[Number(process.argv[buildArg + 1])]!.spec())));
    return;
  }
  const out = startBench('ring-lookup');
  console.log(
    `ring lookups over ${N.toLocaleString('en')} generated names, best of 3 passes, one process per row (node ${process.version})\n`,
  );
  const w = Math.max(...ROWS.map((r) => r.name.length));
  console.log(`${'lookup'.padEnd(w)}  ${'names/s'.padStart(9)}  ${'ns/name'.padStart(7)}  ${'names/CPU-s'.padStart(11)}`);
  for (let i = 0; i < ROWS.length; i++) {
    const rate = child([String(N), '--row', String(i)]);
    emitLookupRow(out, i, rate);
    if (rate === undefined) {
      console.log(`${ROWS[i]!.name.padEnd(w)}  did not finish within ${LIMIT_SECONDS} s`);
      continue;
    }
    console.log(
      `${ROWS[i]!.name.padEnd(w)}  ${fmt(rate.wall).padStart(9)}  ${(1e9 / rate.wall).toFixed(0).padStart(7)}  ${fmt(rate.cpu).padStart(11)}`,
    );
  }
  console.log('');
  for (let i = 0; i < BUILDS.length; i++) {
    const name = BUILDS[i]!.name;
    const t = child(['--build', String(i)]);
    if (t === undefined) {
      console.log(`${name.padEnd(40)} did not finish within ${LIMIT_SECONDS} s`);
      out.row({
        case: name,
        tool: 'ringshift',
        metric: 'seconds',
        value: null,
        better: 'lower',
        note: `did not finish within ${LIMIT_SECONDS} s`,
      });
      continue;
    }
    console.log(`${name.padEnd(40)} ${(t.wall * 1000).toFixed(0).padStart(6)} ms  (${(t.cpu * 1000).toFixed(0)} ms CPU, best of 3)`);
    out.row({
      case: name,
      tool: 'ringshift',
      metric: 'seconds',
      value: t.wall,
      better: 'lower',
      note: `${(t.cpu * 1000).toFixed(0)} ms CPU`,
    });
  }
}

main();

/** Rows: each ring model is a case (its naive baseline a peer of the row above it); MD5 variants one case. */
function emitLookupRow(out: ReturnType<typeof startBench>, i: number, rate: Rate | undefined): void {
  const name = ROWS[i]!.name;
  const names = `${N.toLocaleString('en-US')} names`;
  const caseOf = (n: string): string => (n.startsWith('md5 position') ? `md5 position, ${names}` : `${n}, ${names}`);
  let c = caseOf(name);
  let tool = 'ringshift';
  if (name.startsWith('  naive')) {
    c = caseOf(ROWS[i - 1]!.name);
    tool = name.trim().replace(/^naive: /, 'naive ');
  } else if (name.startsWith('md5 position: ')) {
    tool = name.includes('pure TS') ? 'ringshift md5Position16' : `node ${name.slice('md5 position: '.length)}`;
  }
  out.row({
    case: c,
    tool,
    metric: 'names/s',
    value: rate === undefined ? null : rate.wall,
    better: 'higher',
    note: rate === undefined ? `did not finish within ${LIMIT_SECONDS} s` : `${Math.round(rate.cpu).toLocaleString('en-US')} per CPU s`,
  });
}

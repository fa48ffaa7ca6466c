// Speed and memory of the audit's grouping + classification over N synthetic scan entries (4 locations,
// carbon_ch, replication 2, every metric on its two owners plus some leftovers), next to the naive
// baseline it replaces: one in-memory Map of every entry. Each variant runs in its own process, so
// peak RSS is its own.
//   baseline  Map<path, entries[]> of everything, then ring.locate per group (no classification)
//   memory    PathGrouper below its threshold + classifyGroup + findings
//   spill     PathGrouper spilling at once (temp files, one bucket in memory at a time) + classify
// Run after `npm run build`:  node dist/bench/audit.js [--entries N]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AuditContext } from '../src/audit/audit-context.js';
import { classifyGroup, groupFindings } from '../src/audit/classify.js';
import { PathGrouper } from '../src/audit/group.js';
import type { GroupEntry } from '../src/audit/audit-findings.js';
import { buildRing } from '../src/ring/build.js';
import { makeRingSpec } from '../src/ring/spec.js';
import type { StorageLocation } from '../src/storage/locations.js';
import { startBench } from './rows.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

const ENTRIES = Number(arg('--entries', '1000000'));
const NODES = ['g1', 'g2', 'g3', 'g4'];

function setup(): { ctx: AuditContext; ring: ReturnType<typeof buildRing> } {
  const destinations = NODES.map((server) => ({ server, port: 2004, instance: 'a' }));
  const ring = buildRing(makeRingSpec({ destinations, replication: 2 }));
  const locations: StorageLocation[] = NODES.map((n, i) => ({
    id: n,
    scheme: 'file',
    url: `file:///x/${n}`,
    root: `/x/${n}`,
    keys: [{ key: n, location: `/x/${n}` }],
    members: [destinations[i]!],
  }));
  return { ctx: new AuditContext(locations, ring, undefined), ring };
}

/** Deterministic entries: metrics on their owners, every 10th also left on a non-owner. */
function* entries(ring: ReturnType<typeof buildRing>, n: number): Generator<GroupEntry> {
  let made = 0;
  for (let i = 0; made < n; i++) {
    const metric = `servers.host${i % 5000}.${['cpu', 'disk', 'net', 'mem'][i % 4]}.m${Math.floor(i / 5000)}`;
    const path = metric.replaceAll('.', '/') + '.wsp';
    const owners = ring.locate(metric).owners.map((d) => NODES.indexOf(d.server));
    const locs = i % 10 === 0 ? [...owners, [0, 1, 2, 3].find((l) => !owners.includes(l))!] : owners;
    for (const loc of locs) {
      if (made++ >= n) return;
      yield { loc, path, metric, size: 17308, mtimeMs: 1700000000000 + i, kind: 'metric' };
    }
  }
}

async function variant(name: string): Promise<Record<string, number>> {
  const { ctx, ring } = setup();
  const t0 = performance.now();
  let groups = 0;
  let findings = 0;
  if (name === 'baseline') {
    const map = new Map<string, GroupEntry[]>();
    for (const e of entries(ring, ENTRIES)) {
      const l = map.get(e.path);
      if (l === undefined) map.set(e.path, [e]);
      else l.push(e);
    }
    for (const [, list] of map) {
      groups++;
      findings += ring.locate(list[0]!.metric!).owners.length;
    }
  } else {
    const g = new PathGrouper({ memoryEntries: name === 'spill' ? 0 : ENTRIES + 1 });
    for (const e of entries(ring, ENTRIES)) g.add(e.path, e);
    for await (const grp of g.groups()) {
      groups++;
      findings += groupFindings(classifyGroup(grp, ctx), ctx).length;
    }
  }
  const ms = performance.now() - t0;
  return { ms: Math.round(ms), groups, findings, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
}

async function main(): Promise<void> {
  const v = arg('--variant', '');
  if (v !== '') {
    process.stdout.write(JSON.stringify(await variant(v)) + '\n');
    return;
  }
  const out = startBench('audit');
  const self = fileURLToPath(import.meta.url);
  console.log(
    `audit grouping + classification, ${ENTRIES.toLocaleString('en-US')} scan entries, 4 locations, RF 2 (one process per variant)`,
  );
  console.log('variant    time      entries/s   groups    peak RSS');
  for (const name of ['baseline', 'memory', 'spill']) {
    const r = spawnSync(process.execPath, [self, '--variant', name, '--entries', String(ENTRIES)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (r.status !== 0) throw new Error(r.stderr);
    const o = JSON.parse(r.stdout) as Record<string, number>;
    const rate = Math.round(ENTRIES / (o.ms! / 1000));
    emitAuditRows(out, name, rate, o.maxRssMiB!);
    console.log(
      `${name.padEnd(10)} ${(o.ms! / 1000).toFixed(2).padStart(6)} s  ${rate.toLocaleString('en-US').padStart(10)}  ${String(o.groups).padStart(8)}  ${String(o.maxRssMiB).padStart(6)} MiB`,
    );
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exitCode = 1;
});

/** Rows: the grouping variants side by side with the naive Map, speed and peak RSS. */
function emitAuditRows(out: ReturnType<typeof startBench>, variant: string, rate: number, rssMiB: number): void {
  const c = `audit grouping + classification, ${ENTRIES.toLocaleString('en-US')} scan entries`;
  const tool =
    variant === 'baseline'
      ? 'naive Map of every entry (no classification)'
      : variant === 'memory'
        ? 'ringshift audit grouping (in memory)'
        : 'ringshift audit grouping (spilled to disk)';
  out.row({ case: c, tool, metric: 'entries/s', value: rate, better: 'higher' });
  out.row({ case: c, tool, metric: 'MiB RSS', value: rssMiB, better: 'lower' });
}

// `ring locate` on a carbon-c-relay config says what decided each placement (issue 13, part 2): the match that
// sent the metric to the cluster and its `route using` key, a rewrite, an aggregate that consumed it, a
// blackhole. Ground truth: the installed carbon-c-relay's own test mode (`carbon-c-relay -t -f CONF`, the
// Debian package), which prints each routing decision with the owners it hashed to.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import RingDiff from '../commands/ring/diff.js';
import RingLocate from '../commands/ring/locate.js';
import RingSieve from '../commands/ring/sieve.js';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { runCommand } from './helpers/run-command.js';

const CONF = join(PROJECT_ROOT, 'test/fixtures/router/crelay/relay.conf');
const METRICS = [
  'stats.timers.login.p99',
  'stats.counters.api.hits',
  'old.a.b',
  'drop.x',
  'sys.cpu.h1.total',
  'archive.y',
  'plain.metric',
  'servers.web01.cpu.user',
];

/** What `carbon-c-relay -t` decides for one metric: owners (host:port) per cluster, and how it ended. */
function relayDecision(metric: string, conf = CONF): { clusters: Map<string, string[]>; blackholed: boolean; aggregated: boolean } {
  const r = spawnSync('carbon-c-relay', ['-t', '-f', conf], { input: metric + '\n', encoding: 'utf8', timeout: 20_000 });
  if (r.error !== undefined || r.stdout === undefined)
    throw new Error(`carbon-c-relay (Debian package carbon-c-relay) did not run: ${String(r.error)}`);
  // The decisions follow the echo of the config, whose last rule is `match *`.
  const lines = r.stdout.split('\n');
  const start = lines.findIndex((l, i) => i > 0 && /^match$|^rewrite$|^aggregation$/.test(l));
  const clusters = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const l of lines.slice(start)) {
    const c = /^ {4}\w+\((\w+)\)$/.exec(l);
    if (c !== null) {
      current = [];
      clusters.set(c[1]!, current);
      continue;
    }
    const owner = /^ {8}(\S+:\d+)$/.exec(l);
    if (owner !== null && current !== undefined) current.push(owner[1]!);
    else if (!/^ {8}using/.test(l)) current = undefined;
  }
  return { clusters, blackholed: r.stdout.includes('blackholed'), aggregated: lines.slice(start).includes('aggregation') };
}

describe('ring locate on a carbon-c-relay config: what decided, against carbon-c-relay -t', () => {
  it('every metric: the owners in cluster graphite, the route using key, the rule', async () => {
    const run = await runCommand(RingLocate, ['--ring', CONF, '--cluster-name', 'graphite', '--no-sanitize', '--json', ...METRICS]);
    expect(run.code).toBe(0);
    const rows = run.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { metric: string; owners: { server: string; port: number }[]; decidedBy: string; hashKey?: string });
    expect(rows.map((r) => r.metric)).toEqual(METRICS);
    let routedToGraphite = 0;
    for (const row of rows) {
      const truth = relayDecision(row.metric);
      const ours = row.owners.map((o) => `${o.server}:${o.port}`);
      // the relay aggregates what `sys.cpu…` computes later (its outputs are not routed in -t), and
      // lists the aggregate's cluster without owners: the metric itself goes nowhere
      const expected = truth.aggregated && truth.clusters.get('graphite')?.length === 0 ? [] : (truth.clusters.get('graphite') ?? []);
      expect(ours, row.metric).toEqual(expected);
      if (expected.length > 0) routedToGraphite++;
    }
    expect(routedToGraphite).toBe(5);
    const by = new Map(rows.map((r) => [r.metric, r]));
    expect(by.get('stats.timers.login.p99')).toMatchObject({
      hashKey: 'stats.loginp99',
      decidedBy: 'match ^stats\\.(timers|counters)\\.([^.]+)\\. (relay.conf:28) → cluster graphite',
    });
    expect(by.get('drop.x')!.decidedBy).toBe('match ^drop\\. (relay.conf:17) → blackhole');
    expect(by.get('sys.cpu.h1.total')!.decidedBy).toBe('aggregate ^sys\\.cpu\\.([^.]+)\\.total$ (relay.conf:21) → consumed (stop)');
    expect(by.get('archive.y')!.decidedBy).toBe('match ^archive\\. (relay.conf:33) → cluster archive');
    expect(by.get('old.a.b')).toMatchObject({ routedAs: 'new.a.b', decidedBy: 'match * (relay.conf:37) → cluster graphite' });
  });

  it('the archive cluster: the fnv1a_ch owner carbon-c-relay picks, and "not sent" for the rest', async () => {
    const run = await runCommand(RingLocate, ['--ring', CONF, '--cluster-name', 'archive', '--no-sanitize', 'archive.y', 'plain.metric']);
    expect(run.code).toBe(0);
    const [a, p] = run.out.trimEnd().split('\n');
    expect(a).toContain(relayDecision('archive.y').clusters.get('archive')![0]!);
    expect(p).toMatch(/^plain\.metric\s+-\s+\(by match \* \(relay\.conf:37\) → cluster graphite; not sent to cluster archive\)$/);
  });
});

/** More names through every kind of rule: route using keys, rewrites, blackhole, aggregate, other cluster, default. */
const MANY = [
  ...METRICS,
  ...Array.from({ length: 6 }, (_, i) => [
    `stats.timers.svc${i}.p99`,
    `stats.counters.api${i}.hits`,
    `old.thing${i}.x`,
    `drop.d${i}`,
    `sys.cpu.h${i}.total`,
    `archive.a${i}`,
    `servers.web${i}.load`,
  ]).flat(),
];

/** The graphite owners carbon-c-relay -t gives a name (none when only an aggregate consumes it). */
function graphiteOwners(metric: string, conf = CONF): string[] {
  const truth = relayDecision(metric, conf);
  return truth.aggregated && truth.clusters.get('graphite')?.length === 0 ? [] : (truth.clusters.get('graphite') ?? []);
}

describe('ring sieve and ring diff walk the carbon-c-relay rules too, against carbon-c-relay -t', () => {
  const before = new Map(MANY.map((m) => [m, graphiteOwners(m)]));

  it('ring sieve --node: exactly the names the relay sends to that member of cluster graphite', async () => {
    let passed = 0;
    for (const node of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) {
      const run = await runCommand(RingSieve, ['--ring', CONF, '--cluster-name', 'graphite', '--no-sanitize', '--node', node, ...MANY]);
      expect(run.code).toBe(0);
      const want = MANY.filter((m) => before.get(m)!.includes(`${node}:2003`));
      expect(run.out.split('\n').filter(Boolean), node).toEqual(want);
      passed += want.length;
    }
    // blackholed, consumed and archive names reach no member; every other name reaches two (replication 2)
    const routed = MANY.filter((m) => before.get(m)!.length > 0).length;
    expect(passed).toBe(2 * routed);
    expect(routed).toBeGreaterThan(20);
    expect(routed).toBeLessThan(MANY.length);
  });

  it('ring diff --list: the names whose graphite owners change when the rules and the members change', async () => {
    const after = join(PROJECT_ROOT, 'test/fixtures/router/crelay/relay-after.conf');
    const run = await runCommand(RingDiff, [
      '--from',
      `ring=${CONF};cluster-name=graphite;sanitize=false`,
      '--to',
      `ring=${after};cluster-name=graphite;sanitize=false`,
      '--list',
      '--json',
      '--sample',
      '1000',
      ...MANY,
    ]);
    expect(run.code).toBe(0);
    const lines = run.out.trimEnd().split('\n');
    const moved = lines.slice(0, -1).map((l) => JSON.parse(l) as { metric: string; from: string[]; to: string[] });
    const norm = (ids: string[]) => ids.map((id) => id.replace(/:a$/, ''));
    const want = MANY.flatMap((m) => {
      const a = before.get(m)!;
      const b = graphiteOwners(m, after);
      return a.join() === b.join() ? [] : [{ metric: m, from: a, to: b }];
    });
    expect(moved.map((r) => ({ metric: r.metric, from: norm(r.from), to: norm(r.to) }))).toEqual(want);
    // the route using change moves every timer/counter's key; the blackhole removal gives drop.* owners
    expect(want.filter((w) => w.metric.startsWith('drop.')).length).toBe(7);
    expect(want.filter((w) => w.metric.startsWith('stats.')).length).toBeGreaterThan(4);
  });
});

// carbon-relay's rules and aggregated routers (issue 13, part 2): RELAY_METHOD = rules with relay-rules.conf,
// aggregated-consistent-hashing and fast-aggregated-hashing with aggregation-rules.conf. Ground truth is
// carbon's own router classes (test/helpers/carbon-router-oracle.py on /usr/bin/python3, the Debian
// graphite-carbon package): the goldens in test/fixtures/router/carbon/*.golden.ndjson were computed by it
// from the configs beside them, and the live test recomputes them so the two cannot drift apart.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import RingLocate from '../commands/ring/locate.js';
import { loadRing } from '../src/config/load.js';
import { buildRing } from '../src/ring/build.js';
import { memberId, type Ring } from '../src/ring/types.js';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { runCommand } from './helpers/run-command.js';

const DIR = join(PROJECT_ROOT, 'test/fixtures/router/carbon');
const UPSTREAM = join(PROJECT_ROOT, 'test/fixtures/upstream');
const NAMES = readFileSync(join(DIR, 'names.txt'), 'utf8').split('\n').slice(0, -1);
const ORACLE = join(PROJECT_ROOT, 'test/helpers/carbon-router-oracle.py');

/** The three configs and whether owner order is defined (the aggregated routers yield a Python set). */
const CASES: [string, 'ordered' | 'set'][] = [
  ['rules', 'ordered'],
  ['aggregated', 'set'],
  ['fast-aggregated', 'set'],
];

interface Row {
  metric: string;
  owners: string[];
}

function parseRows(text: string): Row[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Row);
}

function ringOf(conf: string): Ring {
  return buildRing(loadRing(conf).spec);
}

function ours(ring: Ring, names: readonly string[]): Row[] {
  return names.map((metric) => ({ metric, owners: ring.locate(metric).owners.map(memberId) }));
}

function comparable(rows: Row[], mode: 'ordered' | 'set'): Row[] {
  return mode === 'ordered' ? rows : rows.map((r) => ({ metric: r.metric, owners: [...r.owners].sort() }));
}

function oracle(conf: string, names: readonly string[]): Row[] {
  const r = spawnSync('/usr/bin/python3', [ORACLE, conf], { input: names.join('\n') + '\n', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`carbon's routers (graphite-carbon, /usr/bin/python3) failed: ${r.stderr}`);
  return parseRows(r.stdout);
}

describe('carbon-relay rules and aggregation routers against carbon', () => {
  for (const [name, mode] of CASES) {
    const conf = join(DIR, `${name}-carbon.conf`);
    it(`${name}: every name of names.txt as the golden computed by carbon's routers`, () => {
      const golden = parseRows(readFileSync(join(DIR, `${name}.golden.ndjson`), 'utf8'));
      expect(golden.map((r) => r.metric)).toEqual(NAMES);
      expect(comparable(ours(ringOf(conf), NAMES), mode)).toEqual(comparable(golden, mode));
    });
    it(`${name}: live, carbon's own router classes on the same config`, () => {
      expect(comparable(ours(ringOf(conf), NAMES), mode)).toEqual(comparable(oracle(conf, NAMES), mode));
    });
  }

  it('the goldens exercise what matters: no owner, several owners, filtered and collapsed destinations', () => {
    const rules = parseRows(readFileSync(join(DIR, 'rules.golden.ndjson'), 'utf8'));
    expect(rules.filter((r) => r.owners.length === 0).length).toBeGreaterThan(10);
    expect(rules.filter((r) => r.owners.length >= 3).length).toBeGreaterThan(10);
    const agg = parseRows(readFileSync(join(DIR, 'aggregated.golden.ndjson'), 'utf8'));
    // a metric feeding two aggregates goes to the union of their owners (more than REPLICATION_FACTOR)
    expect(agg.filter((r) => r.owners.length > 2).length).toBeGreaterThan(5);
  });

  it('upstream configs: docker-graphite-statsd carbon.conf with its relay-rules.conf, carbon tests relay-rules.conf', () => {
    const conf = join(UPSTREAM, 'docker-graphite-statsd/carbon.conf');
    const names = ['a.b', 'stats.counters.x', 'carbon.agents.h.cpuUsage'];
    expect(ours(ringOf(conf), names)).toEqual(oracle(conf, names));
    const ring = ringOf(conf);
    expect(ring.locate('a.b').decidedBy).toBe('rule [default] (relay-rules.conf:19)');
  });

  it('what decided: the rule(s), the destinations carbon drops, the aggregate(s) hashed', () => {
    const rules = ringOf(join(DIR, 'rules-carbon.conf'));
    expect(rules.locate('team.BILLING.x1')).toMatchObject({
      owners: [{ server: 'cache-c' }, { server: 'cache-a' }, { server: 'cache-b' }],
      decidedBy: 'rules [billing] (rules-relay.conf:6), [default] (rules-relay.conf:2)',
    });
    const old = rules.locate('old.thing1');
    expect(old.owners).toEqual([]);
    expect(old.decidedBy).toBe('rule [retired] (rules-relay.conf:20); not in DESTINATIONS, never sent: cache-z:2004:a');
    expect(old.reason).toMatch(/never sends it/);
    const agg = ringOf(join(DIR, 'aggregated-carbon.conf'));
    const p = agg.locate('prod.applications.api.web1.requests');
    expect(p.decidedBy).toBe(
      'aggregates "prod.applications.api.all.requests" (aggregated-rules.conf:2), "prod.applications.all.requests" (aggregated-rules.conf:5)',
    );
    expect(p.hashKey).toBe('prod.applications.api.all.requests');
    expect(agg.locate('misc.1.count').decidedBy).toBe('no aggregation rule matches: hashed by its own name');
  });

  it('a rules relay without its relay-rules.conf is a one-line config error (carbon-relay exits)', () => {
    expect(() => loadRing(join(UPSTREAM, 'carbon/conf/carbon.conf.example'))).toThrow(
      /RELAY_METHOD = rules reads .*relay-rules\.conf, which does not exist/,
    );
  });

  it('ring locate prints what decided, in text and NDJSON', async () => {
    const conf = join(DIR, 'rules-carbon.conf');
    const text = await runCommand(RingLocate, ['--ring', conf, 'prod.billing.n1', 'old.x']);
    expect(text.code).toBe(0);
    const [billing, old] = text.out.trimEnd().split('\n');
    expect(billing).toMatch(
      /^prod\.billing\.n1\s+cache-c:2004:a\s+cache-a:2104:b\s+\(by rules \[billing\] \(rules-relay\.conf:6\), \[audit-copy\]/,
    );
    expect(old).toMatch(/^old\.x\s+-\s+\(by rule \[retired\].*never sent: cache-z:2004:a; no configured destination/);
    const json = await runCommand(RingLocate, ['--ring', join(DIR, 'aggregated-carbon.conf'), '--json', 'prod.host.h1.disk.var.log']);
    const line = JSON.parse(json.out) as Record<string, unknown>;
    expect(line).toMatchObject({
      metric: 'prod.host.h1.disk.var.log',
      decidedBy: 'aggregate "prod.disk.var.log.total" (aggregated-rules.conf:7)',
      hashKey: 'prod.disk.var.log.total',
    });
    const golden = parseRows(readFileSync(join(DIR, 'aggregated.golden.ndjson'), 'utf8')).find(
      (r) => r.metric === 'prod.host.h1.disk.var.log',
    )!;
    expect(
      (line['owners'] as { server: string; port: number; instance: string }[]).map((o) => `${o.server}:${o.port}:${o.instance}`).sort(),
    ).toEqual([...golden.owners].sort());
  });
});

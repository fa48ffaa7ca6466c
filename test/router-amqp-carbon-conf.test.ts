// carbon's AMQP settings read from each cache host's carbon.conf (ENABLE_AMQP, AMQP_EXCHANGE, BIND_PATTERNS,
// AMQP_METRIC_NAME_IN_BODY), named by host in a cluster file's ring.amqp.hosts: the members, the bindings
// with their carbon.conf lines, what carbon refuses (a listener setting without a default), exchanges that
// disagree, names carried in the body; then ring locate / sieve / diff and lint over such a cluster.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import RingDiff from '../commands/ring/diff.js';
import RingLocate from '../commands/ring/locate.js';
import RingSieve from '../commands/ring/sieve.js';
import { amqpCaches, cacheInstances } from '../src/config/carbon-amqp.js';
import { parseCarbonConf } from '../src/config/carbon-conf.js';
import { parseClusterFile } from '../src/config/cluster-file.js';
import { loadRing } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { buildRing } from '../src/ring/build.js';
import { memberId } from '../src/ring/types.js';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { runCommand } from './helpers/run-command.js';

const DIR = join(PROJECT_ROOT, 'test/fixtures/router/amqp');
const HOSTS = join(DIR, 'cluster-hosts.yaml');
const UPSTREAM_AMQP = join(PROJECT_ROOT, 'test/fixtures/upstream/carbon/conf/carbon.amqp.conf.example');

const LISTENER = 'AMQP_HOST = mq\nAMQP_PORT = 5672\nAMQP_VHOST = /\nAMQP_USER = u\nAMQP_PASSWORD = p\n';

function tmpCluster(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ringshift-amqp-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('carbon.conf AMQP settings', () => {
  it('every carbon-cache instance that enables AMQP is a member HOST:PICKLE_RECEIVER_PORT:INSTANCE with its own BIND_PATTERNS', () => {
    const file = join(DIR, 'hosts/graphite-1.conf');
    const conf = parseCarbonConf(readFileSync(file, 'utf8'), file);
    expect(cacheInstances(conf)).toEqual(['a', 'b']);
    const caches = amqpCaches(conf, 'graphite-1');
    expect(caches.map((c) => [memberId(c.binding.member), c.exchange, c.binding.patterns])).toEqual([
      [
        'graphite-1:2004:a',
        'metrics',
        [
          { text: 'servers.#', line: 17 },
          { text: 'stats.*.count', line: 18 },
        ],
      ],
      // [cache:b] inherits ENABLE_AMQP and the exchange from [cache], overrides the port and the patterns
      ['graphite-1:2104:b', 'metrics', [{ text: '#.latency', line: 24 }]],
    ]);
    expect(caches[1]!.sections).toEqual(['cache', 'cache:b']);
  });

  it("BIND_PATTERNS defaults to ['#'] (every metric), and ENABLE_AMQP = False consumes nothing", () => {
    const conf = parseCarbonConf(
      `[cache]\nENABLE_AMQP = yes\n${LISTENER}AMQP_EXCHANGE = graphite\n[cache:b]\nENABLE_AMQP = off\n`,
      'c.conf',
    );
    const caches = amqpCaches(conf, 'h');
    expect(caches.map((c) => [memberId(c.binding.member), c.binding.patterns])).toEqual([['h:2004:a', [{ text: '#' }]]]);
    expect(amqpCaches(parseCarbonConf('[cache]\nBIND_PATTERNS = a.#\n', 'c.conf'), 'h')).toEqual([]);
  });

  it("carbon's own carbon.amqp.conf.example enables AMQP without the listener's settings: refused as carbon fails (KeyError)", () => {
    const conf = parseCarbonConf(readFileSync(UPSTREAM_AMQP, 'utf8'), UPSTREAM_AMQP);
    const e = configError(() => amqpCaches(conf, 'h'));
    expect(e.message).toMatch(
      /^\[cache\] ENABLE_AMQP = True but AMQP_HOST, AMQP_PORT, AMQP_USER, AMQP_PASSWORD, AMQP_VHOST, AMQP_EXCHANGE are not set/,
    );
    expect(e.message).toContain("KeyError('AMQP_HOST')");
    expect(e.line).toBe(45);
  });

  it('a carbon.conf of AMQP caches without [relay] cannot be a ring by itself: the error says how to name its host', () => {
    const e = configError(() => loadRing(join(DIR, 'hosts/graphite-2.conf')));
    expect(e.message).toMatch(/\[cache\] consumes metrics from the AMQP exchange metrics .*does not name the host/);
    expect(e.expected).toMatch(/amqp: \{ hosts:/);
  });

  it('a relay carbon.conf whose caches also consume AMQP keeps its ring and says so', () => {
    const text = `[cache]\nENABLE_AMQP = True\n${LISTENER}AMQP_EXCHANGE = metrics\n[relay]\nRELAY_METHOD = consistent-hashing\nDESTINATIONS = a:2004:a, b:2004:a\n`;
    const dir = tmpCluster({ 'carbon.conf': text });
    const loaded = loadRing(join(dir, 'carbon.conf'));
    expect(loaded.spec.destinations.map(memberId)).toEqual(['a:2004:a', 'b:2004:a']);
    expect(loaded.diagnostics.find((d) => d.code === 'amqp-caches')).toMatchObject({ severity: 'info', line: 2 });
  });
});

describe('ring.amqp.hosts in a cluster file', () => {
  it('members and bindings come from the carbon.conf of each named host, the exchange from AMQP_EXCHANGE', () => {
    const spec = loadRing(HOSTS).spec;
    expect(spec.routing).toMatchObject({ kind: 'amqp-topic', exchange: 'metrics' });
    expect(buildRing(spec).members.map(memberId)).toEqual(['graphite-1:2004:a', 'graphite-1:2104:b', 'graphite-2:2004:a']);
  });

  it('ring locate: which caches receive each name, citing the carbon.conf line that binds it', async () => {
    const run = await runCommand(RingLocate, ['--cluster', HOSTS, '--json', '-f', join(DIR, 'names.txt')]);
    expect(run.code).toBe(0);
    const rows = run.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { metric: string; owners: { server: string; port: number; instance: string }[]; decidedBy: string });
    expect(Object.fromEntries(rows.map((r) => [r.metric, r.owners.map((o) => `${o.server}:${o.port}:${o.instance}`)]))).toEqual({
      'servers.web1.cpu.user': ['graphite-1:2004:a'],
      'servers.web1.disk.sda.reads': ['graphite-1:2004:a'],
      'stats.api.count': ['graphite-1:2004:a', 'graphite-2:2004:a'],
      'stats.api.timers.p99': ['graphite-2:2004:a'],
      'collectd.h1.cpu.0.idle': ['graphite-2:2004:a'],
      'collectd.h1.memory.free': [],
      'api.login.latency': ['graphite-1:2104:b'],
      latency: ['graphite-1:2104:b'],
      'other.thing': [],
    });
    expect(rows.find((r) => r.metric === 'stats.api.count')!.decidedBy).toBe(
      'exchange metrics: graphite-1:2004:a binds stats.*.count (graphite-1.conf:18), graphite-2:2004:a binds stats.# (graphite-2.conf:12)',
    );
  });

  it('ring sieve --node picks one cache instance of a host', async () => {
    const run = await runCommand(RingSieve, ['--cluster', HOSTS, '--node', 'graphite-1:b', '-f', join(DIR, 'names.txt')]);
    expect(run.code).toBe(0);
    expect(run.out).toBe('api.login.latency\nlatency\n');
  });

  it('ring diff: the hand-written bindings against the hosts’ own carbon.conf files', async () => {
    const dir = tmpCluster({
      'before.yaml':
        'ring:\n  amqp:\n    exchange: metrics\n    bindings:\n      graphite-1:2004:a: ["servers.#", "stats.*.count"]\n      graphite-1:2104:b: "#.latency"\n      graphite-2:2004:a: "stats.#"\n',
    });
    const run = await runCommand(RingDiff, [
      '--from',
      join(dir, 'before.yaml'),
      '--to',
      HOSTS,
      '-f',
      join(DIR, 'names.txt'),
      '--list',
      '--json',
      '--sample',
      '1000',
    ]);
    expect(run.code).toBe(0);
    const lines = run.out.trimEnd().split('\n');
    expect(lines.slice(0, -1).map((l) => JSON.parse(l) as unknown)).toEqual([
      { metric: 'collectd.h1.cpu.0.idle', from: [], to: ['graphite-2:2004:a'] },
    ]);
  });

  it('refuses what carbon would not run or what cannot be one model, with the cluster file line', () => {
    const keyless = tmpCluster({ 'c.yaml': `ring:\n  amqp:\n    hosts:\n      h1: ${UPSTREAM_AMQP}\n` });
    const e1 = configError(() => loadRing(join(keyless, 'c.yaml')));
    expect(e1.message).toContain("KeyError('AMQP_HOST')");

    const two = tmpCluster({
      'a.conf': `[cache]\nENABLE_AMQP = True\n${LISTENER}AMQP_EXCHANGE = metrics\n`,
      'b.conf': `[cache]\nENABLE_AMQP = True\n${LISTENER}AMQP_EXCHANGE = graphite\n`,
      'c.yaml': 'ring:\n  amqp:\n    hosts:\n      h1: a.conf\n      h2: b.conf\n',
      'd.yaml': 'ring:\n  amqp:\n    exchange: other\n    hosts:\n      h1: a.conf\n',
      'e.yaml': 'ring:\n  amqp:\n    hosts:\n      h1: missing.conf\n',
      'f.yaml': 'ring:\n  amqp:\n    bindings:\n      h1:2004:a: "#"\n    hosts:\n      h1: a.conf\n',
    });
    const e2 = configError(() => loadRing(join(two, 'c.yaml')));
    expect(e2.message).toMatch(/h2:2004:a consumes from AMQP_EXCHANGE graphite \(.*b\.conf:8\) but h1:2004:a uses metrics/);
    expect(e2.line).toBe(3);
    expect(configError(() => loadRing(join(two, 'd.yaml'))).message).toMatch(/but ring.amqp.exchange is other/);
    expect(configError(() => loadRing(join(two, 'e.yaml'))).message).toMatch(/cannot read .*missing\.conf \(ring.amqp.hosts.h1\)/);
    expect(configError(() => loadRing(join(two, 'f.yaml'))).message).toMatch(
      /h1:2004:a is bound both in ring.amqp.bindings and by its carbon.conf/,
    );
  });

  it('AMQP_METRIC_NAME_IN_BODY: the routing key is the publisher’s, so only a catch-all binding makes a cache certain', async () => {
    const dir = tmpCluster({
      'a.conf': `[cache]\nENABLE_AMQP = True\nAMQP_METRIC_NAME_IN_BODY = True\n${LISTENER}AMQP_EXCHANGE = m\nBIND_PATTERNS = #\n`,
      'b.conf': `[cache]\nENABLE_AMQP = True\nAMQP_METRIC_NAME_IN_BODY = True\n${LISTENER}AMQP_EXCHANGE = m\nBIND_PATTERNS = servers.#\n`,
      'c.yaml': 'ring:\n  amqp:\n    hosts:\n      h1: a.conf\n      h2: b.conf\n',
    });
    const run = await runCommand(RingLocate, ['--cluster', join(dir, 'c.yaml'), '--json', 'servers.x', 'other']);
    const rows = run.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { owners: { server: string }[]; decidedBy: string; reason: string });
    // servers.x would match h2's pattern by name, but h2 never sees the name as a routing key
    for (const r of rows) {
      expect(r.owners.map((o) => o.server)).toEqual(['h1']);
      expect(r.decidedBy).toBe('exchange m: h1:2004:a binds # (every routing key) (a.conf:10)');
      expect(r.reason).toMatch(/^AMQP_METRIC_NAME_IN_BODY: h2:2004:a receives it only if the publisher's routing key matches/);
    }
  });

  it('caches that disagree on AMQP_METRIC_NAME_IN_BODY and can share a message are reported (each drops the other form)', () => {
    const dir = tmpCluster({
      'a.conf': `[cache]\nENABLE_AMQP = True\nAMQP_METRIC_NAME_IN_BODY = True\n${LISTENER}AMQP_EXCHANGE = m\nBIND_PATTERNS = a.#\n`,
      'b.conf': `[cache]\nENABLE_AMQP = True\n${LISTENER}AMQP_EXCHANGE = m\n`,
      'c.conf': `[cache]\nENABLE_AMQP = True\n${LISTENER}AMQP_EXCHANGE = m\nBIND_PATTERNS = b.*\n`,
      'mixed.yaml': 'ring:\n  amqp:\n    hosts:\n      h1: a.conf\n      h2: b.conf\n',
      'disjoint.yaml': 'ring:\n  amqp:\n    hosts:\n      h1: a.conf\n      h3: c.conf\n',
    });
    const diags = (f: string) => parseClusterFile(readFileSync(join(dir, f), 'utf8'), join(dir, f)).diagnostics ?? [];
    expect(diags('mixed.yaml').find((d) => d.code === 'amqp-name-in-body-mixed')).toMatchObject({
      line: 2,
      message: expect.stringMatching(
        /True for h1:2004:a and False for h2:2004:a, and both bind routing keys such as 'a': .*invalid message line/,
      ),
    });
    // a.# and b.* never match one key: no message reaches both
    expect(diags('disjoint.yaml').filter((d) => d.code === 'amqp-name-in-body-mixed')).toEqual([]);
  });

  it('lint amqp-bindings-overlap cites the carbon.conf lines of both patterns', async () => {
    const { lintPaths } = await import('../src/lint/run-lint.js');
    const r = await lintPaths(['cluster-hosts.yaml'], { cwd: DIR });
    const hits = r.report.findings.filter((f) => f.rule === 'amqp-bindings-overlap');
    // '#.latency' on graphite-1:b overlaps three other patterns too (servers.latency, stats.latency, …)
    expect(hits.map((f) => [f.file, f.line, f.related?.[0]?.file, f.related?.[0]?.line])).toEqual([
      ['hosts/graphite-1.conf', 24, 'hosts/graphite-1.conf', 17],
      ['hosts/graphite-2.conf', 12, 'hosts/graphite-1.conf', 18],
      ['hosts/graphite-2.conf', 12, 'hosts/graphite-1.conf', 24],
      ['hosts/graphite-2.conf', 12, 'hosts/graphite-1.conf', 24],
    ]);
    expect(hits[1]!.message).toContain("graphite-2:2004:a binds 'stats.#' and graphite-1:2004:a binds 'stats.*.count'");
  });
});

describe('ring show on a placement by name (AMQP bindings, relay rules, relay-ng routes)', () => {
  it('refuses keyspace shares without names, and counts the names given per member', async () => {
    const { default: RingShow } = await import('../commands/ring/show.js');
    const none = await runCommand(RingShow, ['--cluster', HOSTS]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/places names by the caches' AMQP topic bindings, not by hashing them/);
    const run = await runCommand(RingShow, ['--cluster', HOSTS, '-f', join(DIR, 'names.txt')]);
    expect(run.code).toBe(0);
    expect(run.out).toContain('shares: none of the keyspace');
    const rows = Object.fromEntries(
      run.out
        .split('\n')
        .filter((l) => l.startsWith('graphite-'))
        .map((l) => l.split(/\s+/).slice(0, 2)),
    );
    // the same counts ring locate gives above: a name bound by two caches counts for both
    expect(rows).toEqual({ 'graphite-1:2004:a': '3', 'graphite-1:2104:b': '2', 'graphite-2:2004:a': '3' });
  });
});

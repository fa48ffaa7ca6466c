// carbon's AMQP mode as a placement model (issue 13, part 4): which caches receive a metric through their
// BIND_PATTERNS on the topic exchange. Ground truth for the matching: RabbitMQ's own topic-exchange test
// cases and its tutorial's documented deliveries (test/fixtures/router/amqp/rabbitmq-topic-cases.json,
// with their source); then the cluster-file description, ring locate and ring diff of two binding sets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import RingDiff from '../commands/ring/diff.js';
import RingLocate from '../commands/ring/locate.js';
import { parseClusterFile } from '../src/config/cluster-file.js';
import { loadRing } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { AmqpTopicRing, TopicPattern } from '../src/ring/amqp-topic.js';
import { buildRing } from '../src/ring/build.js';
import { makeRingSpec } from '../src/ring/spec.js';
import { memberId } from '../src/ring/types.js';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { runCommand } from './helpers/run-command.js';

const DIR = join(PROJECT_ROOT, 'test/fixtures/router/amqp');

interface Suite {
  name: string;
  bindings: [string, string][];
  expect: Record<string, string[]>;
}
const CASES = JSON.parse(readFileSync(join(DIR, 'rabbitmq-topic-cases.json'), 'utf8')) as { suites: Suite[] };

describe('AMQP topic matching against RabbitMQ’s own test cases', () => {
  let checked = 0;
  for (const suite of CASES.suites) {
    it(`${suite.name}: every routing key reaches exactly the expected queues`, () => {
      // Each queue is a "cache": one member per queue, its bindings as its patterns.
      const queues = [...new Set(suite.bindings.map(([, q]) => q))];
      const member = (q: string) => ({ server: q, port: 2004, instance: null });
      const ring = new AmqpTopicRing(makeRingSpec({ destinations: queues.map(member) }), {
        kind: 'amqp-topic',
        file: 'rabbitmq-topic-cases.json',
        exchange: 'x',
        bindings: queues.map((q) => ({
          member: member(q),
          patterns: suite.bindings.filter(([, qq]) => qq === q).map(([text]) => ({ text })),
        })),
      });
      for (const [key, want] of Object.entries(suite.expect)) {
        const got = ring.locate(key).owners.map((o) => o.server);
        expect([...got].sort(), `key ${JSON.stringify(key)}`).toEqual([...want].sort());
        checked++;
      }
    });
  }
  it('covers every case of the file (33 routing keys over 3 binding sets)', () => {
    expect(checked).toBe(33);
  });

  it('words: the empty key has none, a..b has an empty middle word, * never matches zero words', () => {
    expect(new TopicPattern('a.*.b').matches('a..b')).toBe(true);
    expect(new TopicPattern('*').matches('')).toBe(false);
    expect(new TopicPattern('#').matches('')).toBe(true);
    expect(new TopicPattern('a.#.b').matches('a.b.')).toBe(false);
    expect(new TopicPattern('#.a.*.b.#').matches('x.y.a.z.z.b.w')).toBe(false);
  });
});

describe('carbon AMQP bindings in a cluster file', () => {
  const cluster = join(DIR, 'cluster.yaml');

  it('ring locate: none, one or several caches, and which binding decided', async () => {
    const run = await runCommand(RingLocate, ['--cluster', cluster, '--json', '-f', join(DIR, 'names.txt')]);
    expect(run.code).toBe(0);
    const rows = run.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { metric: string; owners: { server: string }[]; decidedBy: string; reason?: string });
    const owners = Object.fromEntries(rows.map((r) => [r.metric, r.owners.map((o) => o.server)]));
    expect(owners).toEqual({
      'servers.web1.cpu.user': ['cache-a'],
      'servers.web1.disk.sda.reads': ['cache-a', 'cache-c'],
      'stats.api.count': ['cache-a', 'cache-b'],
      'stats.api.timers.p99': ['cache-b'],
      'collectd.h1.cpu.0.idle': ['cache-b'],
      'collectd.h1.memory.free': [],
      'api.login.latency': ['cache-c'],
      latency: ['cache-c'],
      'other.thing': [],
    });
    const none = rows.find((r) => r.metric === 'other.thing')!;
    expect(none).toMatchObject({ decidedBy: 'exchange metrics: no binding matches', reason: 'no cache receives it' });
    expect(rows.find((r) => r.metric === 'collectd.h1.cpu.0.idle')!.decidedBy).toBe(
      'exchange metrics: cache-b:2004:a binds collectd.*.cpu.# (cluster.yaml:7)',
    );
  });

  it('ring diff of two binding sets: the names whose caches change', async () => {
    const run = await runCommand(RingDiff, [
      '--from',
      cluster,
      '--to',
      join(DIR, 'cluster-after.yaml'),
      '-f',
      join(DIR, 'names.txt'),
      '--list',
      '--json',
      '--sample',
      '1000',
    ]);
    expect(run.code).toBe(0);
    const lines = run.out.trimEnd().split('\n');
    const moved = lines.slice(0, -1).map((l) => JSON.parse(l) as { metric: string; from: string[]; to: string[] });
    expect(moved).toEqual([
      { metric: 'collectd.h1.cpu.0.idle', from: ['cache-b:2004:a'], to: ['cache-c:2004:a'] },
      { metric: 'collectd.h1.memory.free', from: [], to: ['cache-c:2004:a'] },
    ]);
    const summary = JSON.parse(lines[lines.length - 1]!) as { metrics: { ownersChanged: number; names: number } };
    expect(summary.metrics).toMatchObject({ ownersChanged: 2 });
  });

  it('the ring description names the exchange, and bindings outside ring.destinations are refused with the line', () => {
    const ring = buildRing(loadRing(cluster).spec);
    expect(ring.members.map(memberId)).toEqual(['cache-a:2004:a', 'cache-b:2004:a', 'cache-c:2004:a']);
    const bad = 'ring:\n  destinations: ["cache-a:2004:a"]\n  amqp:\n    bindings:\n      cache-z:2004:a: "#"\n';
    let err: unknown;
    try {
      parseClusterFile(bad, join(DIR, 'bad.yaml'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/binds cache-z:2004:a, which is not in ring.destinations/);
    expect((err as ConfigError).line).toBe(3);
  });
});

// The exact "some routing key matches no binding" decision (lint amqp-unbound-keys): checked against brute
// force over random binding sets — every key of up to 6 words over the patterns' own words and one word
// none of them names — and on the rule's fixtures, its carbon.conf citations and AMQP_METRIC_NAME_IN_BODY.
import { mulberry32 } from '../src/seeded-random.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TopicPattern, unboundTopicKeys } from '../src/ring/amqp-topic.js';
import { lintPaths } from '../src/lint/run-lint.js';
import { PROJECT_ROOT } from './helpers/project-root.js';

/** Every key of 1..max words over `alphabet`. */
function keys(alphabet: readonly string[], max: number): string[][] {
  const out: string[][] = [];
  let layer: string[][] = [[]];
  for (let n = 1; n <= max; n++) {
    layer = layer.flatMap((k) => alphabet.map((w) => [...k, w]));
    out.push(...layer);
  }
  return out;
}

describe('unboundTopicKeys', () => {
  const cases: [string[], number[], number | undefined, string][] = [
    [['#'], [], undefined, ''],
    [['*.#'], [], undefined, ''],
    [['#.#'], [], undefined, ''],
    [['*', '*.*.#'], [], undefined, ''],
    [['servers.#', 'stats.#'], [], 1, 'x'],
    [['*', '*.*'], [], 3, 'x.x.x'],
    [['*.*.#'], [1], undefined, 'x'],
    [['*', '*.*.*.#'], [2], undefined, 'x.x'],
    [['*', '*.*.*'], [2], 4, 'x.x'],
    [['x.#', 'x1.*', '*.*.#'], [1], undefined, 'x2'],
    [['', 'a..b'], [], 1, 'x'],
  ];
  for (const [patterns, counts, from, witness] of cases) {
    it(`[${patterns.map((p) => `'${p}'`).join(', ')}]`, () => {
      const u = unboundTopicKeys(patterns);
      if (witness === '') expect(u).toBeUndefined();
      else expect(u).toEqual({ counts, from, witness });
    });
  }

  it('agrees with brute force on 800 random binding sets (every key of up to 6 words, with one fresh word)', () => {
    const next = mulberry32(13);
    const vocab = ['a', 'b', 'x', '*', '#'];
    let unbound = 0;
    for (let s = 0; s < 800; s++) {
      const count = 1 + Math.floor(next() * 4);
      const patterns = Array.from({ length: count }, () =>
        Array.from({ length: Math.floor(next() * 5) }, () => vocab[Math.floor(next() * vocab.length)]!).join('.'),
      );
      const compiled = patterns.map((p) => new TopicPattern(p));
      const unmatched = (k: string) => !compiled.some((p) => p.matches(k));
      const named = new Set(patterns.flatMap((p) => p.split('.')).filter((w) => w !== '*' && w !== '#'));
      const fresh = ['a', 'b', 'x', 'y'].find((w) => !named.has(w)) ?? 'zz';
      const alphabet = [...new Set([...named, fresh])];
      const all = keys(alphabet, 6).map((k) => k.join('.'));
      const brute = all.filter(unmatched);
      const u = unboundTopicKeys(patterns);
      const what = `patterns [${patterns.map((p) => `'${p}'`).join(', ')}]`;
      // patterns of at most 4 words: an unbound count, if any, is at most 5 (≤ 6 words are enumerated)
      expect(u !== undefined, what).toBe(brute.length > 0);
      if (u === undefined) continue;
      unbound++;
      expect(unmatched(u.witness), `${what}: witness '${u.witness}'`).toBe(true);
      // the witness has the smallest word count of any unmatched key
      const words = u.witness.split('.').length;
      expect(Math.min(...brute.map((k) => k.split('.').length)), what).toBe(words);
      // every reported count has an unmatched key of fresh words, and every other count up to 6 has none at all
      for (let n = 1; n <= 6; n++) {
        const reported = u.counts.includes(n) || (u.from !== undefined && n >= u.from);
        expect(
          brute.some((k) => k.split('.').length === n),
          `${what}: ${n} words`,
        ).toBe(reported);
        if (reported) expect(unmatched(Array.from({ length: n }, () => fresh).join('.')), `${what}: ${n} fresh words`).toBe(true);
      }
    }
    // both verdicts occur often enough to mean something
    expect(unbound).toBeGreaterThan(150);
    expect(unbound).toBeLessThan(750);
  });
});

const TMP = mkdtempSync(join(tmpdir(), 'ringshift-amqp-unbound-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('lint amqp-unbound-keys', () => {
  it('reports the unbound word counts with a key no binding matches, at the first binding of each cache', async () => {
    const r = await lintPaths(['amqp-unbound-keys/bad'], { cwd: join(PROJECT_ROOT, 'test/fixtures/lint') });
    const hits = r.report.findings.filter((f) => f.rule === 'amqp-unbound-keys');
    expect(hits.map((f) => [f.file, f.line, f.severity, f.related])).toEqual([
      ['amqp-unbound-keys/bad/cluster.yaml', 6, 'warning', [{ file: 'amqp-unbound-keys/bad/cluster.yaml', line: 7 }]],
    ]);
    expect(hits[0]!.message).toContain(
      "no binding of graphite-1:2004:a, graphite-2:2004:a matches a metric such as 'x.x.x.x': exchange graphite drops every name of 4 or more words made only of words no pattern names",
    );
    expect(hits[0]!.edits).toBeUndefined();
    expect(r.explain).toContain(
      "Note: amqp-unbound-keys/bad/cluster.yaml: exchange graphite: names of 4 or more words reach a cache only through a pattern's literal words (e.g. 'x.x.x.x' reaches none)",
    );
    const good = await lintPaths(['amqp-unbound-keys/good'], { cwd: join(PROJECT_ROOT, 'test/fixtures/lint') });
    expect(good.report.findings).toEqual([]);
    expect(good.explain.some((l) => l.includes('every metric name reaches a cache'))).toBe(true);
  });

  it("cites each cache's BIND_PATTERNS line and says when the routing key is not the name", async () => {
    const LISTENER = 'AMQP_HOST = q\nAMQP_PORT = 5672\nAMQP_USER = u\nAMQP_PASSWORD = p\nAMQP_VHOST = /\n';
    const files: Record<string, string> = {
      'a.conf': `[cache]\nENABLE_AMQP = True\nAMQP_METRIC_NAME_IN_BODY = True\n${LISTENER}AMQP_EXCHANGE = m\nBIND_PATTERNS = *.*.#\n`,
      'b.conf': `[cache]\nENABLE_AMQP = True\nAMQP_METRIC_NAME_IN_BODY = True\n${LISTENER}AMQP_EXCHANGE = m\nBIND_PATTERNS = servers.#\n`,
      'c.yaml': 'ring:\n  amqp:\n    hosts:\n      h1: a.conf\n      h2: b.conf\n',
      'all.conf': `[cache]\nENABLE_AMQP = True\n${LISTENER}AMQP_EXCHANGE = m\n`,
      'd.yaml': 'ring:\n  amqp:\n    hosts:\n      h1: all.conf\n',
    };
    for (const [f, text] of Object.entries(files)) writeFileSync(join(TMP, f), text);
    const r = await lintPaths(['c.yaml'], { cwd: TMP });
    const hits = r.report.findings.filter((f) => f.rule === 'amqp-unbound-keys');
    expect(hits.map((f) => [f.file, f.line, f.related])).toEqual([['a.conf', 10, [{ file: 'b.conf', line: 10 }]]]);
    expect(hits[0]!.message).toContain(
      "no binding of h1:2004:a, h2:2004:a matches a metric such as 'x': exchange m drops every name of 1 word made only of words no pattern names",
    );
    expect(hits[0]!.message).toContain(
      "with AMQP_METRIC_NAME_IN_BODY on h1:2004:a, h2:2004:a it is the publisher's routing key, not the metric name, that must match",
    );
    // carbon's default BIND_PATTERNS is '#': every key is bound
    const all = await lintPaths(['d.yaml'], { cwd: TMP });
    expect(all.report.findings.filter((f) => f.rule === 'amqp-unbound-keys')).toEqual([]);
  });
});

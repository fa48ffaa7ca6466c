// The exact overlap decision for two AMQP topic patterns (lint amqp-bindings-overlap): checked against
// hand-worked pairs, and exhaustively against brute force (every key up to the witness-length bound).
import { describe, expect, it } from 'vitest';
import { TopicPattern, topicOverlap } from '../src/ring/amqp-topic.js';

function both(a: string, b: string, key: string): boolean {
  return new TopicPattern(a).matches(key) && new TopicPattern(b).matches(key);
}

describe('topicOverlap', () => {
  const overlapping: [string, string][] = [
    ['#', 'servers.a.cpu'],
    ['#', ''],
    ['servers.#', 'servers'],
    ['servers.#', '*.web1.#'],
    ['*.cpu', 'servers.*'],
    ['a.#.z', 'a.*.*.z'],
    ['#.b.#', 'a.#'],
    ['#.a', 'a.#'],
    ['*.*.#', '#.x.y.z'],
    ['a..b', 'a.*.b'],
    ['#.#', 'a'],
  ];
  const disjoint: [string, string][] = [
    ['servers.#', 'stats.#'],
    ['*', '*.*'],
    ['a.*', 'a'],
    ['*.*.#', 'a'],
    ['a.b', 'a.c'],
    ['#.a', '#.b'],
    ['', '*'],
    ['a.#.z', 'a.#.y'],
    ['a..b', 'a.c.b'],
  ];
  for (const [a, b] of overlapping) {
    it(`'${a}' and '${b}' overlap, with a witness both match`, () => {
      const w = topicOverlap(a, b);
      expect(w).toBeDefined();
      expect(both(a, b, w!)).toBe(true);
      expect(topicOverlap(b, a)).toBeDefined();
    });
  }
  for (const [a, b] of disjoint) {
    it(`'${a}' and '${b}' are disjoint`, () => {
      expect(topicOverlap(a, b)).toBeUndefined();
      expect(topicOverlap(b, a)).toBeUndefined();
    });
  }

  it('agrees with brute force on every pair of patterns of up to 3 words over {a, b, *, #}', () => {
    const sym = ['a', 'b', '*', '#'];
    const seqs = (alphabet: string[], max: number): string[] => {
      const out: string[][] = [[]];
      for (let n = 1; n <= max; n++) for (const s of out.filter((x) => x.length === n - 1)) for (const w of alphabet) out.push([...s, w]);
      return out.map((s) => s.join('.'));
    };
    const patterns = seqs(sym, 3);
    // a shortest witness has at most |a|+|b| words; `c` stands for any word neither pattern names
    const keys = seqs(['a', 'b', 'c'], 6);
    let checked = 0;
    let overlaps = 0;
    for (const a of patterns) {
      const pa = new TopicPattern(a);
      const hitA = keys.filter((k) => pa.matches(k));
      for (const b of patterns) {
        const pb = new TopicPattern(b);
        const brute = hitA.some((k) => pb.matches(k));
        const w = topicOverlap(a, b);
        expect(w !== undefined, `'${a}' vs '${b}'`).toBe(brute);
        if (w !== undefined) {
          expect(both(a, b, w), `witness '${w}' for '${a}' vs '${b}'`).toBe(true);
          overlaps++;
        }
        checked++;
      }
    }
    expect(checked).toBe(85 * 85);
    expect(overlaps).toBeGreaterThan(1000);
    expect(overlaps).toBeLessThan(checked);
  });
});

describe('lint amqp-bindings-overlap', () => {
  it('reports each overlapping pair across caches at the later binding, with the other as related and a key both match', async () => {
    const { lintPaths } = await import('../src/lint/run-lint.js');
    const { PROJECT_ROOT } = await import('./helpers/project-root.js');
    const r = await lintPaths(['amqp-bindings-overlap/bad'], { cwd: `${PROJECT_ROOT}/test/fixtures/lint` });
    const hits = r.report.findings.filter((f) => f.rule === 'amqp-bindings-overlap');
    expect(hits.map((f) => [f.file, f.line, f.severity])).toEqual([['amqp-bindings-overlap/bad/cluster.yaml', 7, 'warning']]);
    expect(hits[0]!.message).toContain("'*.web1.#'");
    expect(hits[0]!.message).toContain("'servers.#'");
    expect(hits[0]!.message).toContain("'servers.web1'");
    expect(hits[0]!.related?.map((w) => w.line)).toEqual([6]);
  });
});

// Metric name ↔ whisper path as carbon-cache maps them. Expected values come from carbon's own tests
// (lib/carbon/tests/test_database.py), the TaggedSeries.encode docstring, and docs/spec/configs.md §2; the
// round-trip properties run over the ring vector names (test/vectors/ring).
import { describe, expect, it } from 'vitest';
import { metricToPath, pathToMetric } from '../src/storage/paths.js';
import { storedName, taggedHash } from '../src/storage/tagged.js';
import { escapeBytes } from '../src/storage/bytes.js';
import { loadMetrics } from './helpers/ring-vectors.js';

describe('metricToPath: carbon facts', () => {
  it("matches carbon's test_database.py", () => {
    expect(metricToPath('stats.example.counts')).toBe('stats/example/counts.wsp');
    expect(metricToPath('stats.example.counts;tag1=value1', { hashTagged: false })).toBe(
      '_tagged/872/252/stats_DOT_example_DOT_counts;tag1=value1.wsp',
    );
    expect(metricToPath('stats.example.counts;tag1=value1')).toBe(
      '_tagged/872/252/872252dcead671982862f82a3b440f02aa8f525dd6d0f2921de0dc2b3e874ad0.wsp',
    );
  });

  it('matches the TaggedSeries.encode docstring hash prefix (effaae)', () => {
    const name = 'some.metric;tag1=value2;tag2=value.2';
    expect(metricToPath(name, { hashTagged: false })).toBe('_tagged/eff/aae/some_DOT_metric;tag1=value2;tag2=value_DOT_2.wsp');
  });

  it('resolves odd dots and slashes the way the OS does (configs.md §2)', () => {
    expect(metricToPath('a..b.c')).toBe('a/b/c.wsp');
    expect(metricToPath('.a.b')).toBe('a/b.wsp');
    expect(metricToPath('....foo')).toBe('foo.wsp');
    expect(metricToPath('a.b.')).toBe('a/b/.wsp');
    expect(metricToPath('a.b/c')).toBe('a/b/c.wsp');
    expect(metricToPath('a.b....c')).toBe('a/b/c.wsp');
    expect(metricToPath('.')).toBe('.wsp');
  });

  it("stores the normalised name (carbon-cache's TaggedSeries.parse(name).path)", () => {
    expect(metricToPath('~a.b')).toBe('a/b.wsp');
    const sorted = 'x.y;a=1;b=2';
    expect(storedName('x.y;b=2;a=1')).toBe(sorted);
    expect(metricToPath('x.y;b=2;a=1')).toBe(metricToPath(sorted));
    expect(metricToPath('x.y{b="2",a="1"}')).toBe(metricToPath(sorted));
    // Unparseable tagged names are stored as received, still under _tagged/.
    expect(metricToPath('a;b')).toBe(`_tagged/${taggedHash('a;b').slice(0, 3)}/${taggedHash('a;b').slice(3, 6)}/${taggedHash('a;b')}.wsp`);
    expect(metricToPath('x.y;b=2;a=1', { normalize: false })).not.toBe(metricToPath(sorted));
  });

  it('never produces a path that leaves the root', () => {
    const evil = ['../../etc/passwd', '/etc/passwd', 'a/../../b', '..', '../x;t=1', 'x/..;t=../..', '~/../x'];
    for (const name of evil) {
      for (const hashTagged of [true, false]) {
        const p = metricToPath(name, { hashTagged });
        expect(p.startsWith('/')).toBe(false);
        expect(p.split('/')).not.toContain('..');
        expect(p.split('/')).not.toContain('');
      }
    }
    expect(() => metricToPath('a\0b')).toThrow(/NUL/);
  });
});

describe('pathToMetric', () => {
  it('maps plain and trailing-dot paths back to canonical names', () => {
    expect(pathToMetric('a/b/c.wsp')).toEqual({ metric: 'a.b.c', kind: 'metric' });
    expect(pathToMetric('c.wsp')).toEqual({ metric: 'c', kind: 'metric' });
    expect(pathToMetric('a/b/.wsp')).toEqual({ metric: 'a.b.', kind: 'trailing-dot' });
    expect(pathToMetric('.wsp')).toEqual({ metric: '.', kind: 'trailing-dot' });
    expect(pathToMetric('stats/caf\u00e9/\u043c\u0435\u0442\u0440\u0438\u043a\u0430 x.wsp')).toEqual({
      metric: 'stats.caf\u00e9.\u043c\u0435\u0442\u0440\u0438\u043a\u0430 x',
      kind: 'metric',
    });
  });

  it('recovers tagged names and checks them against the hash directories', () => {
    expect(pathToMetric('_tagged/872/252/stats_DOT_example_DOT_counts;tag1=value1.wsp')).toEqual({
      metric: 'stats.example.counts;tag1=value1',
      kind: 'tagged',
    });
    const hashed = pathToMetric('_tagged/872/252/872252dcead671982862f82a3b440f02aa8f525dd6d0f2921de0dc2b3e874ad0.wsp');
    expect(hashed.kind).toBe('tagged-hashed');
    expect(hashed.metric).toBeNull();
    expect(hashed.note).toMatch(/TAG_HASH_FILENAMES/);
    // Hash file in the wrong directory, name whose hash does not match its directories.
    expect(pathToMetric('_tagged/000/000/872252dcead671982862f82a3b440f02aa8f525dd6d0f2921de0dc2b3e874ad0.wsp').kind).toBe('malformed');
    expect(pathToMetric('_tagged/000/000/stats_DOT_example_DOT_counts;tag1=value1.wsp').kind).toBe('malformed');
    // carbon replaces every '.', so a '.' left in the name was not written by carbon.
    expect(pathToMetric('_tagged/872/252/stats.example_DOT_counts;tag1=value1.wsp').kind).toBe('malformed');
  });

  it('finds names that really contained "_DOT_" by their hash', () => {
    const name = 'a_DOT_b.c;t=v_DOT_w';
    const p = metricToPath(name, { hashTagged: false });
    expect(p.endsWith('/a_DOT_b_DOT_c;t=v_DOT_w.wsp')).toBe(true);
    expect(pathToMetric(p)).toEqual({ metric: name, kind: 'tagged' });
  });

  it('notes tagged names not in normalised order', () => {
    const raw = 'x;b=2;a=1';
    const p = metricToPath(raw, { hashTagged: false, normalize: false });
    expect(pathToMetric(p)).toMatchObject({ metric: raw, kind: 'tagged', note: expect.stringMatching(/normalised/) });
  });

  it('reports paths carbon cannot have written', () => {
    expect(pathToMetric('a/b.c.wsp')).toMatchObject({ metric: null, kind: 'malformed' });
    expect(pathToMetric('a..b/c.wsp')).toMatchObject({ metric: null, kind: 'malformed' });
    expect(pathToMetric('.hidden/c.wsp')).toMatchObject({ metric: null, kind: 'malformed' });
    expect(pathToMetric('a/b/x.wsp.wsp')).toMatchObject({ metric: null, kind: 'malformed' });
    expect(pathToMetric('a/b\nc.wsp')).toMatchObject({ metric: null, kind: 'malformed' });
    expect(pathToMetric('a/b.txt')).toMatchObject({ metric: null, kind: 'malformed' });
    expect(pathToMetric('a//b.wsp').kind).toBe('malformed');
    expect(pathToMetric('../b.wsp').kind).toBe('malformed');
    expect(pathToMetric('/a/b.wsp').kind).toBe('malformed');
  });

  it('keeps odd but possible names, with a note', () => {
    expect(pathToMetric('a/b;c.wsp')).toMatchObject({ metric: 'a.b;c', kind: 'metric', note: expect.stringMatching(/_tagged/) });
    expect(pathToMetric('_tagged/x/y.wsp')).toMatchObject({
      metric: '_tagged.x.y',
      kind: 'metric',
      note: expect.stringMatching(/_tagged/),
    });
    expect(pathToMetric('~a/b.wsp')).toMatchObject({ metric: '~a.b', kind: 'metric', note: expect.stringMatching(/~/) });
  });
});

describe('round trip over the ring vector names', () => {
  const names = loadMetrics();

  it('has a good mix of hard names', () => {
    expect(names.length).toBe(2000);
    expect(names.filter((n) => n.includes(';')).length).toBeGreaterThan(100);
    expect(names.filter((n) => n.includes('..') || n.endsWith('.') || n.startsWith('.')).length).toBeGreaterThan(20);
  });

  it('path → name → path lands on the same file; names without doubled/leading dots or "/" come back unchanged', () => {
    let exact = 0;
    for (const name of names) {
      const stored = storedName(name);
      const clean = !/\.\.|^\.|\/|\n|\r/.test(stored) && stored !== '';
      for (const hashTagged of [true, false]) {
        const p = metricToPath(name, { hashTagged });
        expect(p.split('/')).not.toContain('..');
        expect(p.startsWith('/')).toBe(false);
        const back = pathToMetric(p);
        if (back.kind === 'tagged-hashed') {
          expect(hashTagged && stored.includes(';')).toBe(true);
          expect(p).toContain(taggedHash(stored));
          continue;
        }
        expect(['metric', 'trailing-dot', 'tagged']).toContain(back.kind);
        expect(metricToPath(back.metric!, { hashTagged })).toBe(p);
        if (clean) {
          expect(back.metric).toBe(stored);
          exact++;
        }
      }
    }
    expect(exact).toBeGreaterThan(2000);
  });
});

describe('escapeBytes', () => {
  it('escapes bytes that are not UTF-8 and keeps the rest', () => {
    expect(escapeBytes(Buffer.from([0x61, 0xff, 0x62]))).toBe('a\\xffb');
    expect(escapeBytes(Buffer.from('caf\u00e9 \\', 'utf8'))).toBe('caf\u00e9 \\\\');
    expect(escapeBytes(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80'); // a UTF-16 surrogate
    expect(escapeBytes(Buffer.from([0xc0, 0xaf]))).toBe('\\xc0\\xaf'); // overlong '/'
    expect(escapeBytes(Buffer.from('\u{1f600}', 'utf8'))).toBe('\u{1f600}');
  });
});

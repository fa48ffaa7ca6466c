import { describe, expect, it } from 'vitest';
import { CrelaySanitizer, REASON_NOTHING_LEFT, crelayRawKey } from '../src/ring/crelay-sanitize.js';

// Examples from ring-spec §4.5 (rules 1-8); the full 2000-name check is in ring-vectors.test.ts.
describe('carbon-c-relay name cleaning', () => {
  const s = new CrelaySanitizer();
  const clean = (name: string) => {
    const r = s.clean(name);
    return r.dropped ? { dropped: r.reason } : { routedAs: r.routedAs, hashKey: r.hashKey };
  };

  it.each([
    ['a.b.c', 'a.b.c', 'a.b.c'],
    ['..a.b', 'a.b', 'a.b'], // rule 1
    [' \t.a', 'a', 'a'],
    ['a..b', 'a.b', 'a.b'], // rule 3
    ['a.b.', 'a.b', 'a.b'], // rule 4
    ['a.b..', 'a.b', 'a.b'],
    ['x.é', 'x.__', 'x.__'], // rule 5, byte by byte
    ['http_requests_total{env="prod"}', 'http_requests_total_env__prod__', 'http_requests_total_env__prod__'],
    ['a-b_c:d#e', 'a-b_c:d#e', 'a-b_c:d#e'],
    ['a.b;x=1', 'a.b;x=1', 'a.b'], // rule 6
    ['a.b;x=é..y ', 'a.b;x=é..y ', 'a.b'], // tags forwarded untouched
    ['a b;c=d', 'a b;c=d', 'a b'], // rule 7
    ['a .b', 'a b', 'a'], // rule 3, separator after the first space
    ['a\tb', 'a b', 'a'], // rule 2
    ['a b  c', 'a b c', 'a'],
    ['a b é', 'a b é', 'a'], // no replacement after the first space
    ['a ', 'a', 'a'],
    ['a. ', 'a', 'a'],
    ['a b.', 'a b.', 'a'],
    [';tag=v', ';tag=v', ''],
  ])('%j → forwarded %j, hashed %j', (name, routedAs, hashKey) => {
    expect(clean(name)).toEqual({ routedAs, hashKey });
  });

  it.each(['', '.', '...', '  ', '\t. '])('%j leaves nothing: dropped', (name) => {
    expect(clean(name)).toEqual({ dropped: REASON_NOTHING_LEFT });
  });

  it('ends the line at CR/LF', () => {
    expect(clean('a.b\nc d').dropped).toBeDefined(); // "a.b" has no value: discarded
    expect(clean('a b\nc')).toEqual({ routedAs: 'a b', hashKey: 'a' });
  });

  it('honours a custom allowed set (-c), and ";" in it disables tag handling', () => {
    const withSemi = new CrelaySanitizer('-_:#;');
    expect(withSemi.clean('a.b;x=1').hashKey).toBe('a.b;x_1');
    const plain = new CrelaySanitizer('');
    expect(plain.clean('a-b').routedAs).toBe('a_b');
  });

  it('test mode (-t) hashes the raw text up to the first space', () => {
    expect(crelayRawKey('a..b;x=1 y')).toBe('a..b;x=1');
    expect(crelayRawKey(' a')).toBe('');
    expect(crelayRawKey('a\tb')).toBe('a\tb');
  });
});

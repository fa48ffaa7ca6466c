import { describe, expect, it } from 'vitest';
import { compareCodePoints, normalizeTaggedName, parseTaggedName } from '../src/ring/tag-normalize.js';

// Cases follow ring-spec §7 and carbon's TaggedSeries.parse / format rules (see tag-normalize.ts).
describe('TAG_RELAY_NORMALIZED', () => {
  it.each([
    ['a.b', 'a.b'],
    ['cpu.load;rack=db;datacenter=web01;role=us-east-1a', 'cpu.load;datacenter=web01;rack=db;role=us-east-1a'],
    ['a.b;tag=v;tag=w', 'a.b;tag=w'],
    ['~a.b', 'a.b'],
    ['~~a.b;z=1;a=2', 'a.b;a=2;z=1'],
    ['a;name=other;x=1', 'a;x=1'],
    ['a;a=1;a-b=2', 'a;a-b=2;a=1'],
    ['http_requests_total{env="prod",region="eu"}', 'http_requests_total;env=prod;region=eu'],
    ['up{region="eu",env="prod"}', 'up;env=prod;region=eu'],
    ['m{k="a\\"b"}', 'm;k=a"b'],
    ['m{k="a\\\\b"}', 'm;k=a\\b'],
    ['m{a="1":,b="2"}', 'm;a=1;b=2'],
    ['~x{a="1"}', 'x;a=1'],
    ['a.b;kéy=naïve', 'a.b;kéy=naïve'],
  ])('%j → %j', (name, want) => {
    expect(normalizeTaggedName(name)).toBe(want);
  });

  it.each([
    'a;b', // segment without '='
    ';x=1', // no metric
    'a;=b', // empty tag
    'a.b;tag=', // empty value
    'a.b;tag=~x', // value starting with ~
    'queue.depth;role=p-rod;env!=#a1', // '!' in a tag
    'a;x^y=1',
    '~', // nothing left of the name
    '~;a=1',
    '',
    'm{a="1"}{b="2"}', // two '{'
    'm{a=1"}', // unquoted value
    '{a="1"}', // no metric
    'm{a=""}',
  ])('%j fails to parse and is routed unchanged', (name) => {
    expect(parseTaggedName(name)).toBeNull();
    expect(normalizeTaggedName(name)).toBe(name);
  });

  it('sorts by code point like Python, not by UTF-16 unit', () => {
    expect(compareCodePoints('\u{1f680}', '\uffff')).toBeGreaterThan(0);
    expect(['\u{1f680}', '\uffff'].sort()).toEqual(['\u{1f680}', '\uffff']); // JS order differs
    expect(normalizeTaggedName('m;k=\u{1f680};k2=x;k=\uffff')).toBe('m;k2=x;k=\uffff');
    expect(normalizeTaggedName('m;a=\u{1f680};a=\uffff;b=1')).toBe('m;a=\uffff;b=1');
    expect(normalizeTaggedName('m;x\u{1f680}=1;x\uffff=2')).toBe('m;x\uffff=2;x\u{1f680}=1');
  });
});

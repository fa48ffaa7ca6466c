import { describe, expect, it } from 'vitest';
import {
  parseBuckyMember,
  parseCarbonDestination,
  parseCrelayMember,
  parseDestinationList,
  parseInlineDestination,
} from '../src/ring/destination.js';
import { ConfigError } from '../src/errors.js';
import { memberId } from '../src/ring/types.js';

describe('carbon destinations (parseDestination)', () => {
  it.each([
    ['10.0.0.5:2004', { server: '10.0.0.5', port: 2004, instance: null }],
    [' 10.0.0.5:2104:b ', { server: '10.0.0.5', port: 2104, instance: 'b' }],
    ['[2001:db8::7]:2004:c', { server: '2001:db8::7', port: 2004, instance: 'c' }],
    ['cache1.example:2004:10.0.0.9:2003', { server: 'cache1.example', port: 2004, instance: '10.0.0.9:2003' }],
    ['h:2004:', { server: 'h', port: 2004, instance: '' }],
  ])('%s', (raw, want) => {
    expect(parseCarbonDestination(raw)).toEqual(want);
  });

  it('rejects an unbracketed IPv6 address with file and line', () => {
    const err = (() => {
      try {
        parseCarbonDestination('2001:db8::7:2004', { file: 'carbon.conf', line: 12 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).describe()).toMatch(/^carbon\.conf:12: bad port "db8"/);
    expect((err as ConfigError).exitCode).toBe(2);
  });

  it('rejects empty list items', () => {
    expect(() => parseDestinationList('a:1,', parseCarbonDestination)).toThrow(ConfigError);
  });
});

describe('c-relay members', () => {
  it.each([
    ['10.0.0.1', { server: '10.0.0.1', port: 2003, instance: null }],
    ['10.0.0.1:2104=a', { server: '10.0.0.1', port: 2104, instance: 'a' }],
    ['[::1]:2004=a', { server: '::1', port: 2004, instance: 'a' }],
    ['[::1]=b', { server: '::1', port: 2003, instance: 'b' }],
    ['h:2003=007', { server: 'h', port: 2003, instance: '7' }],
  ])('%s', (raw, want) => {
    expect(parseCrelayMember(raw)).toEqual(want);
  });
});

describe('bucky members', () => {
  it('parses Go integer bases and rejects IPv6', () => {
    expect(parseBuckyMember('h:0x7d4=a')).toEqual({ server: 'h', port: 2004, instance: 'a' });
    expect(parseBuckyMember('h:010')).toEqual({ server: 'h', port: 8, instance: null });
    expect(() => parseBuckyMember('[::1]:2004=a')).toThrow(/Error parsing port/);
  });
});

describe('inline destinations and member ids', () => {
  it('accepts both syntaxes and round-trips through memberId', () => {
    const a = parseInlineDestination('10.0.0.1:2004=a');
    const b = parseInlineDestination('10.0.0.1:2004:a');
    expect(a).toEqual(b);
    for (const raw of ['[::1]:2004:a', 'h:2004', 'h:2004:']) {
      expect(memberId(parseCarbonDestination(raw))).toBe(raw);
    }
  });
});

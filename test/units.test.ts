// The suite's one unit grammar (src/units.ts) and clock (src/clock.ts).
import { describe, expect, it } from 'vitest';
import { nowIso, nowSeconds } from '../src/clock.js';
import { UsageError } from '../src/errors.js';
import { groupThousands, parseByteRate, parseCount, parseDuration, parseSize, plural } from '../src/units.js';

describe('sizes and rates carry a unit', () => {
  it('reads 1024-based letters, 1000-based KB/MB, iB forms and bytes', () => {
    expect(parseSize('20M', '--x')).toBe(20 * 1024 * 1024);
    expect(parseSize('1.5G', '--x')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('20MB', '--x')).toBe(20e6);
    expect(parseSize('512KiB', '--x')).toBe(512 * 1024);
    expect(parseSize('100B', '--x')).toBe(100);
    expect(parseByteRate('20M/s', '--bwlimit')).toBe(20 * 1024 * 1024);
    expect(parseByteRate('500K', '--bwlimit')).toBe(500 * 1024);
  });
  it('refuses a bare number, naming the flag and what was expected', () => {
    expect(() => parseSize('500', '--high-water')).toThrow(UsageError);
    expect(() => parseByteRate('500', '--bwlimit')).toThrow(/--bwlimit "500" is not a rate/);
    expect(() => parseByteRate('0K', '--bwlimit')).toThrow(/above zero/);
    expect(() => parseSize('9e99T', '--x')).toThrow(/not a size|too large/);
  });
});

describe('durations and counts', () => {
  it('reads seconds, units and compounds', () => {
    expect(parseDuration('90', '--t')).toBe(90);
    expect(parseDuration('10m', '--t')).toBe(600);
    expect(parseDuration('1h30m', '--t')).toBe(5400);
    expect(parseDuration('7d', '--t')).toBe(7 * 86400);
    expect(() => parseDuration('10 minutes', '--t')).toThrow(/--t "10 minutes" is not a duration/);
    expect(() => parseDuration('', '--t')).toThrow(UsageError);
  });
  it('bounds counts instead of printing 1e20', () => {
    expect(parseCount('8', '--concurrency', 1, 64)).toBe(8);
    let said = '';
    try {
      parseCount('99999999999999999999', '--replication', 1, 64);
    } catch (e) {
      said = (e as UsageError).describe();
    }
    expect(said).toBe('--replication "99999999999999999999" is out of range (expected an integer from 1 to 64)');
    expect(() => parseCount('0', '--concurrency', 1, 64)).toThrow(UsageError);
  });
  it('pluralises', () => {
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(1048, 'file')).toBe('1,048 files');
    expect(plural(2, 'copy', 'copies')).toBe('2 copies');
  });
  it('groups thousands exactly as toLocaleString("en-US") does (without Intl for integers)', () => {
    const cases = [
      0,
      -0,
      1,
      12,
      123,
      999,
      1000,
      12345,
      123456,
      1234567,
      -1234567,
      1 << 24,
      Number.MAX_SAFE_INTEGER,
      1.5,
      1234.5678,
      -9876.54321,
    ];
    for (const n of cases) expect(groupThousands(n)).toBe(n.toLocaleString('en-US'));
    expect(groupThousands(16777216)).toBe('16,777,216');
  });
});

describe('one clock', () => {
  it('RINGSHIFT_NOW pins it and a malformed value is an error', () => {
    expect(nowSeconds({ RINGSHIFT_NOW: '1700000000' })).toBe(1700000000);
    expect(nowIso({ RINGSHIFT_NOW: '1700000000' })).toBe('2023-11-14T22:13:20.000Z');
    expect(() => nowSeconds({ RINGSHIFT_NOW: 'yesterday' })).toThrow(/RINGSHIFT_NOW "yesterday"/);
    expect(Math.abs(nowSeconds({}) - Date.now() / 1000)).toBeLessThan(5);
  });
});

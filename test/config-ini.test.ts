// configparser emulation: every trap of configs.md §1.1 as a small case.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { iniGet, iniItems, iniOption, iniSection, parseIni, pyBoolean } from '../src/config/ini.js';
import { expectConfigError } from './helpers/thrown.js';

const parse = (text: string, raw = false) => parseIni(text, { file: 't.conf', interpolation: raw ? 'none' : 'basic' });

describe('configparser emulation', () => {
  it('reads sections, both delimiters, optional spaces and lowercases keys', () => {
    const ini = parse('[cache]\nLINE_RECEIVER_PORT: 2003\nUSE_RATIO_RESET=False\n  \n[relay]\nDESTINATIONS = a:1\n');
    expect(ini.sections.map((s) => s.name)).toEqual(['cache', 'relay']);
    const port = iniOption(ini, 'cache', 'LINE_RECEIVER_PORT')!;
    expect(port).toMatchObject({ key: 'line_receiver_port', rawKey: 'LINE_RECEIVER_PORT', line: 2, delimiter: ':', raw: '2003' });
    expect(iniGet(ini, 'cache', 'use_ratio_reset')).toBe('False');
    expect(iniOption(ini, 'relay', 'destinations')!.line).toBe(6);
  });

  it('keeps inline comments in the value (Python 3)', () => {
    const ini = parse('[cache]\nMAX_CACHE_SIZE = inf   # unlimited\nX = a ; b\n');
    expect(iniGet(ini, 'cache', 'MAX_CACHE_SIZE')).toBe('inf   # unlimited');
    expect(iniGet(ini, 'cache', 'x')).toBe('a ; b');
  });

  it('drops whole-line comments, indented ones too, and comment lines inside continuations', () => {
    const text = [
      '# top',
      '[relay]',
      '   ; indented comment',
      'DESTINATIONS = 10.1.0.1:2004:a,',
      '    10.1.0.2:2004:a,',
      '    # retired: 10.1.0.3:2004:a',
      '    10.1.0.4:2004:a',
      'NEXT = 1',
    ].join('\n');
    const ini = parse(text);
    const d = iniOption(ini, 'relay', 'destinations')!;
    expect(d.raw).toBe('10.1.0.1:2004:a,\n10.1.0.2:2004:a,\n10.1.0.4:2004:a');
    expect(d.parts.map((p) => p.line)).toEqual([4, 5, 7]);
    expect(iniGet(ini, 'relay', 'next')).toBe('1');
  });

  it('keeps blank lines inside a continued value, and an indented line after a blank line still continues', () => {
    const ini = parse('[s]\nA = x,\n\n    y\n\nB = 2\n');
    expect(iniOption(ini, 's', 'a')!.raw).toBe('x,\n\ny');
    expect(iniGet(ini, 's', 'b')).toBe('2');
  });

  it('reads an unindented host:port line as a new key (the DESTINATIONS trap)', () => {
    const ini = parse('[relay]\nDESTINATIONS = 10.1.0.1:2004:a,\n10.1.0.2:2004:a\n');
    expect(iniGet(ini, 'relay', 'DESTINATIONS')).toBe('10.1.0.1:2004:a,');
    const bogus = iniOption(ini, 'relay', '10.1.0.2')!;
    expect(bogus).toMatchObject({ rawKey: '10.1.0.2', raw: '2004:a', line: 3 });
  });

  it('keeps a trailing "; note" on a continuation line', () => {
    const ini = parse('[relay]\nDESTINATIONS = 10.1.0.1:2004:a,\n  10.1.0.2:2004:a ; old box\n');
    expect(iniGet(ini, 'relay', 'destinations')).toBe('10.1.0.1:2004:a,\n10.1.0.2:2004:a ; old box');
  });

  it('gives an empty value for "KEY ="', () => {
    expect(iniGet(parse('[cache]\nUSER =\n'), 'cache', 'user')).toBe('');
  });

  it('interpolates %(name)s from the same section and [DEFAULT], and %% as a literal %', () => {
    const ini = parse(
      '[DEFAULT]\nroot = /srv\n[cache]\nSTORAGE_DIR = %(root)s/storage\nLOCAL_DATA_DIR = %(STORAGE_DIR)s/whisper\nPCT = 50%%\n',
    );
    expect(iniGet(ini, 'cache', 'LOCAL_DATA_DIR')).toBe('/srv/storage/whisper');
    expect(iniGet(ini, 'cache', 'pct')).toBe('50%');
    // [DEFAULT] keys appear in every section's items()
    expect(iniItems(ini, 'cache').map((x) => x.option.key)).toEqual(['root', 'storage_dir', 'local_data_dir', 'pct']);
  });

  it('fails on a bare % when the value is read, with the key line', () => {
    const ini = parse('[cache]\nAMQP_PASSWORD = pa%ss\n[relay]\nX = 1\n');
    const e = expectConfigError(() => iniGet(ini, 'cache', 'AMQP_PASSWORD'));
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/bare '%'/);
    // items() of the section fails as a whole; other sections are fine
    expect(() => iniItems(ini, 'cache')).toThrow(ConfigError);
    expect(iniItems(ini, 'relay')).toHaveLength(1);
  });

  it('does not see keys of other sections in %(x)s', () => {
    const ini = parse('[cache]\nSTORAGE_DIR = /a\n[relay]\nX = %(STORAGE_DIR)s\n');
    expect(expectConfigError(() => iniGet(ini, 'relay', 'x')).message).toMatch(/not a key of \[relay\] or \[DEFAULT\]/);
  });

  it('reports recursion beyond 10 steps', () => {
    const ini = parse('[s]\na = %(b)s\nb = %(a)s\n');
    expect(expectConfigError(() => iniGet(ini, 's', 'a')).message).toMatch(/10 steps/);
  });

  it('does not interpolate in raw mode (RawConfigParser)', () => {
    expect(iniGet(parse('[main]\nX = 100%\n', true), 'main', 'x')).toBe('100%');
  });

  it('rejects a duplicate section', () => {
    const e = expectConfigError(() => parse('[cache]\nA = 1\n[relay]\n[cache]\n'));
    expect(e.line).toBe(4);
    expect(e.message).toMatch(/DuplicateSectionError/);
  });

  it('rejects the same key twice in one section, in any case', () => {
    const e = expectConfigError(() => parse('[cache]\nUSER = a\nuser = b\n'));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/DuplicateOptionError/);
    // the same key in two sections is fine
    expect(() => parse('[a]\nk = 1\n[b]\nk = 2\n')).not.toThrow();
  });

  it('rejects a key before the first header', () => {
    const e = expectConfigError(() => parse('# c\nUSER = x\n[cache]\n'));
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/MissingSectionHeaderError/);
  });

  it('does not skip a UTF-8 byte-order mark', () => {
    expect(expectConfigError(() => parse('\ufeff[cache]\nA = 1\n')).message).toMatch(/byte-order mark/);
  });

  it('rejects a line without a delimiter (ParsingError, first such line)', () => {
    const e = expectConfigError(() => parse('[cache]\nA = 1\njust words\nother words\n'));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/ParsingError/);
  });

  it('takes the section name up to the last ] and keeps spaces inside the brackets', () => {
    const ini = parse('[relay] ; main relay\nA = 1\n[ cache ]\nB = 2\n');
    expect(ini.sections.map((s) => s.name)).toEqual(['relay', ' cache ']);
  });

  it('treats an indented line after a key as a continuation even if it looks like a header', () => {
    const ini = parse('[cache]\nA = 1\n  [relay]\n');
    expect(iniGet(ini, 'cache', 'a')).toBe('1\n[relay]');
    expect(iniSection(ini, 'relay')).toBeUndefined();
  });

  it('accepts getboolean words case-insensitively and nothing else', () => {
    expect(['1', 'YES', 'True', 'on'].map(pyBoolean)).toEqual([true, true, true, true]);
    expect(['0', 'no', 'FALSE', 'Off'].map(pyBoolean)).toEqual([false, false, false, false]);
    expect(pyBoolean('False # default')).toBeUndefined();
    expect(pyBoolean('')).toBeUndefined();
  });

  it('handles \\r\\n line endings', () => {
    const ini = parse('[cache]\r\nA = 1\r\n  2\r\n');
    expect(iniGet(ini, 'cache', 'a')).toBe('1\n2');
  });
});

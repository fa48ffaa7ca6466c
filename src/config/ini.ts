// Python 3 configparser, reproduced: what carbon (ConfigParser, BasicInterpolation) and carbonate
// (RawConfigParser) really read from an INI file, with the line of every section, key and value line.
//
// Rules kept on purpose (configs.md §1.1): whole-line `#`/`;` comments only (inline comments stay in the
// value); a line indented deeper than its key continues the value (joined with "\n", comment lines inside
// dropped, blank lines kept as empty lines); `=` and `:` both delimit, the first one wins; keys are
// lowercased; duplicate sections/options, a key before the first header and lines without a delimiter are
// errors; `%(name)s` / `%%` interpolation against the same section and [DEFAULT], a bare `%` is an error
// when the value is read.
import { ConfigError } from '../errors.js';
import { firstNonSpace, pyLstrip, pyRstrip, pyStrip } from './python/pytext.js';

export type Interpolation = 'basic' | 'none';

export interface IniOptions {
  /** File name used in errors and diagnostics. */
  file: string;
  /** 'basic' = ConfigParser (carbon), 'none' = RawConfigParser (carbonate). Default 'basic'. */
  interpolation?: Interpolation;
}

/** One physical line's contribution to a value: the key line's value text, then each continuation line. */
export interface IniValueLine {
  line: number;
  /** Stripped text ('' for a blank line kept inside a multi-line value). */
  text: string;
}

export interface IniOption {
  /** As configparser stores it: lowercased, right-stripped. */
  key: string;
  /** As written (right-stripped), e.g. `DESTINATIONS`. */
  rawKey: string;
  /** Line of the key. */
  line: number;
  /** Indentation (characters) of the key line. */
  indent: number;
  delimiter: '=' | ':';
  /** The value before interpolation: parts joined with "\n", right-stripped. */
  raw: string;
  /** Every physical line that contributed to the value, in order. */
  parts: IniValueLine[];
}

export interface IniSection {
  /** Exactly as between the brackets (not stripped: `[ relay ]` is section " relay "). */
  name: string;
  /** Line of the header ([DEFAULT]: first header line; 0 if the file has none). */
  line: number;
  options: Map<string, IniOption>;
}

export interface IniFile {
  file: string;
  interpolation: Interpolation;
  /** Sections in file order, without DEFAULT. */
  sections: IniSection[];
  /** The [DEFAULT] section (empty when absent); its keys appear in every section. */
  defaults: IniSection;
  /** Every header line that named DEFAULT. */
  defaultHeaderLines: number[];
}

const SECTION_SYNTAX = '[section] headers followed by `key = value` or `key: value` lines';

/** Split like Python's universal-newline text mode: \r\n, \r and \n all end a line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Parse INI text as Python 3's configparser.read() does; throws ConfigError where read() raises. */
export function parseIni(text: string, opts: IniOptions): IniFile {
  const file = opts.file;
  const sections: IniSection[] = [];
  const byName = new Map<string, IniSection>();
  const defaults: IniSection = { name: 'DEFAULT', line: 0, options: new Map() };
  const defaultHeaderLines: number[] = [];
  const seen = new Set<string>(); // sections and section\0option added while reading
  const parseErrors: { line: number; text: string }[] = [];

  let cursect: IniSection | null = null;
  let cur: IniOption | null = null; // option that continuation lines extend
  let indentLevel = 0;

  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const lineno = i + 1;
    const line = lines[i]!;
    const stripped = pyStrip(line);
    const isComment = stripped.startsWith('#') || stripped.startsWith(';');
    const value = isComment ? '' : stripped;
    if (value === '') {
      // Blank lines (not comment lines) are kept inside a value; neither changes the indent level.
      if (!isComment && cursect !== null && cur !== null && cur.key !== '') cur.parts.push({ line: lineno, text: '' });
      continue;
    }
    const nonSpace = firstNonSpace(line);
    const indent = nonSpace < 0 ? 0 : nonSpace;
    if (cursect !== null && cur !== null && cur.key !== '' && indent > indentLevel) {
      cur.parts.push({ line: lineno, text: value });
      continue;
    }
    indentLevel = indent;
    const header = sectionHeader(value);
    if (header !== null) {
      if (header === 'DEFAULT') {
        cursect = defaults;
        if (defaults.line === 0) defaults.line = lineno;
        defaultHeaderLines.push(lineno);
      } else if (byName.has(header)) {
        if (seen.has(header)) {
          throw new ConfigError(`section ${pyQuote(header)} already exists (configparser DuplicateSectionError)`, {
            file,
            line: lineno,
            expected: 'each [section] header once',
          });
        }
        cursect = byName.get(header)!;
      } else {
        cursect = { name: header, line: lineno, options: new Map() };
        sections.push(cursect);
        byName.set(header, cursect);
        seen.add(header);
      }
      cur = null;
      continue;
    }
    if (cursect === null) {
      const bom = line.startsWith('\ufeff') ? ' (the file starts with a UTF-8 byte-order mark, which configparser does not skip)' : '';
      throw new ConfigError(`line before the first [section] header${bom} (configparser MissingSectionHeaderError)`, {
        file,
        line: lineno,
        expected: 'a [section] header first',
      });
    }
    const delim = firstDelimiter(value);
    if (delim < 0) {
      parseErrors.push({ line: lineno, text: line });
      continue;
    }
    const rawKey = pyRstrip(value.slice(0, delim));
    const key = rawKey.toLowerCase();
    if (rawKey === '') parseErrors.push({ line: lineno, text: line });
    const id = `${cursect.name}\0${key}`;
    if (seen.has(id)) {
      const first = cursect.options.get(key);
      throw new ConfigError(
        `option ${pyQuote(key)} in section ${pyQuote(cursect.name)} already exists` +
          (first ? ` (first set at line ${first.line})` : '') +
          ' (configparser DuplicateOptionError; keys are case-insensitive)',
        { file, line: lineno, expected: 'each key once per section' },
      );
    }
    seen.add(id);
    cur = {
      key,
      rawKey,
      line: lineno,
      indent,
      delimiter: value[delim] as '=' | ':',
      raw: '',
      parts: [{ line: lineno, text: pyStrip(pyLstrip(value.slice(delim + 1))) }],
    };
    cursect.options.set(key, cur);
  }

  for (const s of [defaults, ...sections]) {
    for (const o of s.options.values()) o.raw = pyRstrip(o.parts.map((p) => p.text).join('\n'));
  }
  if (parseErrors.length > 0) {
    const first = parseErrors[0]!;
    const more = parseErrors.length > 1 ? ` (and ${parseErrors.length - 1} more such line${parseErrors.length > 2 ? 's' : ''})` : '';
    throw new ConfigError(
      `line ${JSON.stringify(pyStrip(first.text))} is neither a [section], a key = value, nor an indented continuation${more} (configparser ParsingError)`,
      { file, line: first.line, expected: SECTION_SYNTAX },
    );
  }
  return { file, interpolation: opts.interpolation ?? 'basic', sections, defaults, defaultHeaderLines };
}

/** configparser's SECTCRE `\[(?P<header>.+)\]` with match(): up to the LAST `]`, trailing text ignored. */
function sectionHeader(value: string): string | null {
  if (!value.startsWith('[')) return null;
  const close = value.lastIndexOf(']');
  if (close < 2) return null;
  return value.slice(1, close);
}

/** The first `=` or `:` (configparser's non-greedy OPTCRE). */
function firstDelimiter(value: string): number {
  for (let i = 0; i < value.length; i++) if (value[i] === '=' || value[i] === ':') return i;
  return -1;
}

function pyQuote(s: string): string {
  return `'${s}'`;
}

export function iniSection(ini: IniFile, name: string): IniSection | undefined {
  if (name === 'DEFAULT') return ini.defaults;
  return ini.sections.find((s) => s.name === name);
}

/** The option as the section sees it: its own, else [DEFAULT]'s. */
export function iniOption(ini: IniFile, section: string, key: string): IniOption | undefined {
  const k = key.toLowerCase();
  return iniSection(ini, section)?.options.get(k) ?? ini.defaults.options.get(k);
}

/** Raw values the section sees (DEFAULT first, in Python dict-update order). */
function sectionMap(ini: IniFile, section: string): Map<string, IniOption> {
  const m = new Map(ini.defaults.options);
  const s = iniSection(ini, section);
  if (s !== undefined) for (const [k, o] of s.options) m.set(k, o);
  return m;
}

const MAX_INTERPOLATION_DEPTH = 10;

/** configparser.get(section, key): the value after interpolation; throws ConfigError where get() raises. */
export function iniGet(ini: IniFile, section: string, key: string): string | undefined {
  const opt = iniOption(ini, section, key);
  if (opt === undefined) return undefined;
  if (ini.interpolation === 'none') return opt.raw;
  return interpolate(ini, section, opt, sectionMap(ini, section));
}

/** configparser.items(section): every key (DEFAULT's too), interpolated; one bad value fails the whole call. */
export function iniItems(ini: IniFile, section: string): { option: IniOption; value: string }[] {
  const map = sectionMap(ini, section);
  const out: { option: IniOption; value: string }[] = [];
  for (const opt of map.values()) {
    out.push({ option: opt, value: ini.interpolation === 'none' ? opt.raw : interpolate(ini, section, opt, map) });
  }
  return out;
}

/** The problem interpolation would raise for this option, or null (for diagnostics without throwing). */
export function interpolationProblem(ini: IniFile, section: string, opt: IniOption): ConfigError | null {
  if (ini.interpolation === 'none') return null;
  try {
    interpolate(ini, section, opt, sectionMap(ini, section));
    return null;
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
}

function interpolate(ini: IniFile, section: string, opt: IniOption, map: Map<string, IniOption>): string {
  const acc: string[] = [];
  interpolateSome(ini, section, opt, acc, opt.raw, map, 1);
  return acc.join('');
}

function interpolateSome(
  ini: IniFile,
  section: string,
  opt: IniOption,
  acc: string[],
  text: string,
  map: Map<string, IniOption>,
  depth: number,
): void {
  const ctx = { file: ini.file, line: opt.line };
  if (depth > MAX_INTERPOLATION_DEPTH) {
    throw new ConfigError(
      `value of ${opt.rawKey} in [${section}] cannot be substituted in ${MAX_INTERPOLATION_DEPTH} steps (configparser InterpolationDepthError)`,
      { ...ctx, expected: 'no circular %(name)s references' },
    );
  }
  let rest = text;
  while (rest !== '') {
    const p = rest.indexOf('%');
    if (p < 0) {
      acc.push(rest);
      return;
    }
    if (p > 0) {
      acc.push(rest.slice(0, p));
      rest = rest.slice(p);
    }
    const c = rest.slice(1, 2);
    if (c === '%') {
      acc.push('%');
      rest = rest.slice(2);
    } else if (c === '(') {
      const m = /^%\(([^)]+)\)s/.exec(rest);
      if (m === null) {
        throw new ConfigError(
          `bad interpolation variable reference ${JSON.stringify(rest)} in ${opt.rawKey} of [${section}] (configparser InterpolationSyntaxError)`,
          { ...ctx, expected: '%(name)s, or %% for a literal %' },
        );
      }
      const name = m[1]!.toLowerCase();
      rest = rest.slice(m[0].length);
      const ref = map.get(name);
      if (ref === undefined) {
        throw new ConfigError(
          `${opt.rawKey} in [${section}] refers to %(${m[1]})s, which is not a key of [${section}] or [DEFAULT] (configparser InterpolationMissingOptionError; carbon's computed defaults are not visible here)`,
          { ...ctx, expected: 'a key defined in the same section or in [DEFAULT]' },
        );
      }
      if (ref.raw.includes('%')) interpolateSome(ini, section, opt, acc, ref.raw, map, depth + 1);
      else acc.push(ref.raw);
    } else {
      throw new ConfigError(
        `bare '%' in the value of ${opt.rawKey} in [${section}]: '%' must be followed by '%' or '(' (configparser InterpolationSyntaxError)`,
        { ...ctx, expected: '%% for a literal %' },
      );
    }
  }
}

export const BOOLEAN_STATES: Readonly<Record<string, boolean>> = {
  '1': true,
  yes: true,
  true: true,
  on: true,
  '0': false,
  no: false,
  false: false,
  off: false,
};

/** configparser.getboolean semantics on an already-read value; undefined when Python raises ValueError. */
export function pyBoolean(value: string): boolean | undefined {
  return BOOLEAN_STATES[value.toLowerCase()];
}

/**
 * Map an offset in `opt.raw` to the physical line it came from (raw = parts joined with "\n"), so items of
 * a multi-line list keep their own line numbers.
 */
export function lineAtOffset(opt: IniOption, offset: number): number {
  let pos = 0;
  for (const part of opt.parts) {
    const end = pos + part.text.length;
    if (offset <= end) return part.line;
    pos = end + 1;
  }
  return opt.parts[opt.parts.length - 1]!.line;
}

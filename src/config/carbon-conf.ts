// carbon.conf as carbon reads it: typed settings per section (Settings.readFrom), effective settings per
// program and instance (read_config, configs.md §1.2), the relay's ring (§1.3-1.5), and every parser
// hazard of §1.1 as a diagnostic with its line.
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { parseCarbonDestination } from '../ring/destination.js';
import { makeRingSpec } from '../ring/spec.js';
import type { Destination, HashType, RingSpec, RouterType } from '../ring/types.js';
import {
  CARBON_DEFAULTS,
  CARBON_HASH_TYPES,
  CARBON_KNOWN_KEYS,
  CARBON_PROGRAMS,
  RELAY_METHODS,
  carbonKeyIsNumeric,
  carbonKeyKind,
  type CarbonDefault,
  type CarbonProgram,
  type RelayMethod,
} from './carbon-keys.js';
import { DiagnosticSink, type ConfigDiagnostic } from './diagnostics.js';
import {
  iniGet,
  iniItems,
  iniSection,
  interpolationProblem,
  lineAtOffset,
  parseIni,
  pyBoolean,
  type IniFile,
  type IniOption,
  type IniSection,
} from './ini.js';
import { didYouMean, pyFloat, pyInt, pyJoin, pyNormpath, pyStrip } from './python/pytext.js';

export type CarbonValue =
  | { type: 'list'; value: string[]; items: { text: string; line: number }[] }
  | { type: 'bool'; value: boolean }
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'str'; value: string }
  | { type: 'none' };

export interface CarbonSetting {
  /** Uppercase, as carbon stores it. */
  key: string;
  value: CarbonValue;
  source: 'config' | 'default' | 'derived';
  /** Section the value was read from ('DEFAULT' for a [DEFAULT] key). */
  section?: string;
  line?: number;
  /** The string carbon typed (after interpolation). */
  raw?: string;
}

export interface CarbonConf {
  file: string;
  ini: IniFile;
  /** Section names in file order (without DEFAULT). */
  sections: string[];
  /** Hazards found in every section, whether or not a given program reads it. */
  diagnostics: ConfigDiagnostic[];
}

export interface CarbonPaths {
  storageDir?: string | undefined;
  localDataDir?: string | undefined;
  logDir?: string | undefined;
  pidDir?: string | undefined;
  pidfile?: string | undefined;
  whitelistsDir?: string | undefined;
  confDir: string;
}

export interface EffectiveSettings {
  program: CarbonProgram;
  /** null when run without --instance (never the case for the init scripts: the default is 'a'). */
  instance: string | null;
  /** Sections actually read, in order ([relay], then [relay:a] if present). */
  sectionsRead: string[];
  settings: Map<string, CarbonSetting>;
  paths: CarbonPaths;
  /** Why paths are missing (GRAPHITE_ROOT unknown), if they are. */
  unresolved?: string;
}

export interface EnvOptions {
  /** Environment for GRAPHITE_ROOT / GRAPHITE_STORAGE_DIR (never read from process.env implicitly). */
  env?: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------------------

/** Parse carbon.conf text. Throws ConfigError where every carbon program would refuse to start. */
export function parseCarbonConf(text: string, file: string): CarbonConf {
  const ini = parseIni(text, { file, interpolation: 'basic' });
  const sink = new DiagnosticSink(file);
  for (const s of ini.sections) checkSection(ini, s, sink);
  if (ini.defaults.options.size > 0) checkSection(ini, ini.defaults, sink);
  return { file, ini, sections: ini.sections.map((s) => s.name), diagnostics: sink.items };
}

/**
 * Settings.readFrom(path, section): the section's keys (and [DEFAULT]'s), interpolated and typed. Empty when
 * the section does not exist. Throws ConfigError for what makes carbon refuse to start (interpolation
 * errors anywhere in the section, a boolean key that is not a boolean).
 */
export function readSection(conf: CarbonConf, section: string): Map<string, CarbonSetting> {
  const out = new Map<string, CarbonSetting>();
  if (!conf.ini.sections.some((s) => s.name === section)) return out;
  for (const { option, value } of iniItems(conf.ini, section)) {
    const key = option.rawKey.toUpperCase();
    const own = iniSection(conf.ini, section)!.options.get(option.key) === option;
    out.set(key, {
      key,
      value: typeCarbonValue(key, value, option, conf.file, true),
      source: 'config',
      section: own ? section : 'DEFAULT',
      line: option.line,
      raw: value,
    });
  }
  return out;
}

/** Type one value the way Settings.readFrom does. With `strict`, a bad boolean throws ConfigError. */
export function typeCarbonValue(key: string, value: string, opt: IniOption | undefined, file: string, strict: boolean): CarbonValue {
  const kind = carbonKeyKind(key);
  if (kind === 'list') {
    const items = splitListItems(value, opt);
    return { type: 'list', value: items.map((i) => i.text), items };
  }
  if (kind === 'bool') {
    const b = pyBoolean(value);
    if (b === undefined) {
      if (strict) {
        throw new ConfigError(`${key} = ${JSON.stringify(value)} is not a boolean (ValueError at startup)`, {
          file,
          line: opt?.line,
          expected: '1/yes/true/on or 0/no/false/off',
        });
      }
      return { type: 'str', value };
    }
    return { type: 'bool', value: b };
  }
  return autoType(value);
}

/** int(), else float(), else the string. */
function autoType(value: string): CarbonValue {
  const i = pyInt(value);
  if (i !== undefined) return { type: 'int', value: Number(i) };
  const f = pyFloat(value);
  if (f !== undefined) return { type: 'float', value: f };
  return { type: 'str', value };
}

function splitListItems(value: string, opt: IniOption | undefined): { text: string; line: number }[] {
  const mapLines = opt !== undefined && opt.raw === value;
  const out: { text: string; line: number }[] = [];
  let offset = 0;
  for (const piece of value.split(',')) {
    const lead = piece.length - piece.trimStart().length;
    const line = opt === undefined ? 0 : mapLines ? lineAtOffset(opt, offset + Math.min(lead, piece.length)) : opt.line;
    out.push({ text: pyStrip(piece), line });
    offset += piece.length + 1;
  }
  return out;
}

function defaultValue(d: CarbonDefault): CarbonValue {
  if (d === null) return { type: 'none' };
  if (Array.isArray(d)) return { type: 'list', value: [...d], items: d.map((text) => ({ text, line: 0 })) };
  if (typeof d === 'boolean') return { type: 'bool', value: d };
  if (typeof d === 'number') return Number.isInteger(d) ? { type: 'int', value: d } : { type: 'float', value: d };
  return { type: 'str', value: d };
}

/** The value as a string the way Python's str() would render it (for paths and messages). */
export function carbonValueText(v: CarbonValue): string {
  switch (v.type) {
    case 'list':
      return v.value.join(', ');
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'int':
      return String(v.value);
    case 'float':
      return Number.isFinite(v.value)
        ? Number.isInteger(v.value)
          ? `${v.value}.0`
          : String(v.value)
        : v.value > 0
          ? 'inf'
          : v.value < 0
            ? '-inf'
            : 'nan';
    case 'str':
      return v.value;
    case 'none':
      return 'None';
  }
}

/**
 * read_config(program, --instance): defaults, [program], derived paths (set once), [program:instance].
 * `instance` defaults to 'a' like carbon's --instance; pass null for no instance.
 */
export function effectiveSettings(
  conf: CarbonConf,
  program: CarbonProgram,
  instance: string | null = 'a',
  opts: EnvOptions = {},
): EffectiveSettings {
  const env = opts.env ?? {};
  const settings = new Map<string, CarbonSetting>();
  for (const [key, d] of CARBON_DEFAULTS) settings.set(key, { key, value: defaultValue(d.default), source: 'default' });
  const derived = (key: string, value: string): void => {
    settings.set(key, { key, value: { type: 'str', value }, source: 'derived' });
  };
  const confDir = dirname(pyNormpath(resolve(conf.file)));
  derived('CONF_DIR', confDir);
  const root = env['GRAPHITE_ROOT'];
  const storageDefault = env['GRAPHITE_STORAGE_DIR'] ?? (root === undefined ? undefined : pyJoin(root, 'storage'));
  if (storageDefault !== undefined) derived('STORAGE_DIR', storageDefault);

  const sectionsRead: string[] = [];
  const overlay = (section: string): void => {
    if (!conf.sections.includes(section)) return;
    sectionsRead.push(section);
    for (const [k, s] of readSection(conf, section)) settings.set(k, s);
  };
  const setDefaultPaths = (): void => {
    const sd = settings.get('STORAGE_DIR');
    if (sd === undefined) return;
    const storage = carbonValueText(sd.value);
    if (!settings.has('PID_DIR')) derived('PID_DIR', storage);
    if (!settings.has('LOG_DIR')) derived('LOG_DIR', pyJoin(storage, 'log', `carbon-${program}`));
    if (!settings.has('LOCAL_DATA_DIR')) derived('LOCAL_DATA_DIR', pyJoin(storage, 'whisper'));
    if (!settings.has('WHITELISTS_DIR')) derived('WHITELISTS_DIR', pyJoin(storage, 'lists'));
  };

  overlay(program);
  setDefaultPaths();
  if (instance !== null) overlay(`${program}:${instance}`);
  setDefaultPaths();

  const text = (k: string): string | undefined => {
    const s = settings.get(k);
    return s === undefined ? undefined : carbonValueText(s.value);
  };
  const clean = (p: string | undefined): string | undefined => (p === undefined ? undefined : pyNormpath(p));
  const pidDir = text('PID_DIR');
  const logBase = text('LOG_DIR');
  const paths: CarbonPaths = {
    confDir,
    storageDir: clean(text('STORAGE_DIR')),
    localDataDir: clean(text('LOCAL_DATA_DIR')),
    whitelistsDir: clean(text('WHITELISTS_DIR')),
    pidDir: clean(pidDir),
    pidfile: clean(
      pidDir === undefined ? undefined : pyJoin(pidDir, instance === null ? `carbon-${program}.pid` : `carbon-${program}-${instance}.pid`),
    ),
    logDir: clean(logBase === undefined ? undefined : instance === null ? logBase : pyJoin(logBase, `carbon-${program}-${instance}`)),
  };
  const result: EffectiveSettings = { program, instance, sectionsRead, settings, paths };
  if (paths.storageDir === undefined) {
    result.unresolved = 'STORAGE_DIR is not set in the file and neither GRAPHITE_STORAGE_DIR nor GRAPHITE_ROOT was given';
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// The relay ring

export interface CarbonRingOptions extends EnvOptions {
  /**
   * Which process: 'relay' (default), 'relay:2' or just '2' (instance of carbon-relay), 'aggregator',
   * 'aggregator:b'. Without an instance, carbon's default instance 'a' applies ([relay:a] if present).
   */
  cluster?: string;
  /**
   * Return the relay of a RELAY_METHOD = rules section too (its DESTINATIONS, for carbon-routing.ts to put
   * the rules on); without it such a section is a ConfigError (no hash ring).
   */
  rulesRelay?: boolean;
}

export interface CarbonRing {
  spec: RingSpec;
  method: RelayMethod;
  settings: EffectiveSettings;
  /** Diagnostics relevant to this ring (a subset of the file's, plus ring-specific notes). */
  diagnostics: ConfigDiagnostic[];
}

/** The ring carbon-relay (or carbon-aggregator) builds from this file. Throws ConfigError where it would exit. */
export function carbonRing(conf: CarbonConf, opts: CarbonRingOptions = {}): CarbonRing {
  const file = conf.file;
  const { program, instance, explicit } = parseProcessName(opts.cluster, file);
  if (!conf.sections.includes(program)) {
    throw new ConfigError(`no [${program}] section`, {
      file,
      expected: `a [${program}] section with RELAY_METHOD and DESTINATIONS (sections here: ${listOr(conf.sections)})`,
    });
  }
  if (explicit && instance !== null && !conf.sections.includes(`${program}:${instance}`)) {
    throw new ConfigError(`no [${program}:${instance}] section`, {
      file,
      expected: `one of ${listOr(conf.sections)}`,
    });
  }
  const eff = effectiveSettings(conf, program, instance ?? 'a', opts);
  const sink = new DiagnosticSink(file);
  const others = conf.sections.filter((s) => s.startsWith(`${program}:`) && !eff.sectionsRead.includes(s));
  if (!explicit && others.length > 0) {
    sink.info(
      'other-instances',
      conf.ini.sections.find((s) => s.name === program)?.line ?? null,
      `this ring is [${eff.sectionsRead.join('] + [')}] (carbon's default instance 'a'); the file also configures ${others.map((s) => `[${s}]`).join(', ')}, which may route differently (choose one with --cluster-name)`,
      { sections: others },
    );
  }
  const get = (k: string): CarbonSetting => eff.settings.get(k)!;
  const where = (s: CarbonSetting) => ({ file, line: s.line });

  const methodSetting = get('RELAY_METHOD');
  const method = carbonValueText(methodSetting.value);
  if (!(RELAY_METHODS as readonly string[]).includes(method)) {
    throw new ConfigError(`RELAY_METHOD ${JSON.stringify(method)} is not a carbon router (carbon-relay exits)`, {
      ...where(methodSetting),
      expected: RELAY_METHODS.join(', '),
    });
  }
  if ((method === 'rules' && opts.rulesRelay !== true) || method === 'constant') {
    throw new ConfigError(
      `[${eff.sectionsRead.join('] + [')}] RELAY_METHOD = ${method}: this relay routes by ${method === 'rules' ? 'relay-rules.conf' : 'sending everything everywhere'}, not by a hash ring`,
      {
        ...where(methodSetting),
        expected: 'RELAY_METHOD consistent-hashing, aggregated-consistent-hashing, fast-hashing or fast-aggregated-hashing',
      },
    );
  }
  const fast = method.startsWith('fast-');
  const router: RouterType = fast ? 'fast-hashing' : 'consistent-hashing';
  if (method.includes('aggregated')) {
    sink.info(
      'aggregated-routing',
      methodSetting.line ?? null,
      `RELAY_METHOD = ${method}: metrics matching an aggregation rule are routed by the aggregate's name, not their own`,
    );
  }

  const hashSetting = get('ROUTER_HASH_TYPE');
  const hash = carbonHashType(hashSetting, fast ? 'mmh3_ch' : 'carbon_ch', sink);

  const rfSetting = get('REPLICATION_FACTOR');
  const replication = pyIntOf(rfSetting.value);
  if (replication === undefined) {
    throw new ConfigError(
      `REPLICATION_FACTOR = ${JSON.stringify(carbonValueText(rfSetting.value))} is not a number (int() fails at startup)`,
      {
        ...where(rfSetting),
        expected: 'an integer ≥ 1',
      },
    );
  }
  const boolOf = (k: string): boolean => {
    const s = get(k);
    if (s.value.type !== 'bool') {
      throw new ConfigError(`${k} is not a boolean`, { ...where(s), expected: '1/yes/true/on or 0/no/false/off' });
    }
    return s.value.value;
  };
  const diverse = boolOf('DIVERSE_REPLICAS');
  const tagRelayNormalized = boolOf('TAG_RELAY_NORMALIZED');
  if (eff.settings.get('DYNAMIC_ROUTER')?.value.type === 'bool' && boolOf('DYNAMIC_ROUTER')) {
    sink.info(
      'dynamic-router',
      get('DYNAMIC_ROUTER').line ?? null,
      'DYNAMIC_ROUTER = True: while a destination is down its metrics go to other nodes',
    );
  }

  const destSetting = get('DESTINATIONS');
  if (destSetting.value.type !== 'list') throw new Error('DESTINATIONS is always a list');
  if (destSetting.source === 'default') {
    const why = method === 'rules' ? ' (RELAY_METHOD = rules sends only to DESTINATIONS: this relay sends nothing)' : '';
    throw new ConfigError(`[${program}] has no DESTINATIONS${why}`, {
      file,
      line: conf.ini.sections.find((s) => s.name === program)?.line,
      expected: 'DESTINATIONS = host:port[:instance], ...',
    });
  }
  const destinations: Destination[] = destSetting.value.items.map((item) => {
    if (item.text === '') {
      throw new ConfigError('empty item in DESTINATIONS (a stray or trailing comma?): carbon-relay fails at startup', {
        file,
        line: item.line || destSetting.line,
        expected: 'host:port[:instance] between commas',
      });
    }
    return parseCarbonDestination(item.text, { file, line: item.line || destSetting.line });
  });

  const origin: RingSpec['origin'] = { file, cluster: eff.sectionsRead[eff.sectionsRead.length - 1] ?? program, format: 'carbon' };
  if (destSetting.line !== undefined) origin.line = destSetting.line;
  const spec = makeRingSpec({
    impl: 'carbon',
    hash,
    router,
    destinations,
    replication,
    diverse,
    tagRelayNormalized,
    sanitize: false,
    origin,
  });
  const lines = new Set(eff.sectionsRead.flatMap((s) => [...(iniSection(conf.ini, s)?.options.values() ?? [])].map((o) => o.line)));
  const seen = new Set(sink.items.map((d) => `${d.code}\0${d.line}`));
  for (const d of conf.diagnostics) if (d.line !== null && lines.has(d.line) && !seen.has(`${d.code}\0${d.line}`)) sink.items.push(d);
  return { spec, method: method as RelayMethod, settings: eff, diagnostics: sink.items };
}

function parseProcessName(name: string | undefined, file: string): { program: CarbonProgram; instance: string | null; explicit: boolean } {
  if (name === undefined || name === '') return { program: 'relay', instance: null, explicit: false };
  const colon = name.indexOf(':');
  const head = colon < 0 ? name : name.slice(0, colon);
  if ((CARBON_PROGRAMS as readonly string[]).includes(head)) {
    return { program: head as CarbonProgram, instance: colon < 0 ? null : name.slice(colon + 1), explicit: true };
  }
  if (colon < 0) return { program: 'relay', instance: name, explicit: true };
  throw new ConfigError(`unknown carbon process ${JSON.stringify(name)}`, {
    file,
    expected: 'relay, relay:<instance>, <instance>, aggregator or aggregator:<instance>',
  });
}

function carbonHashType(s: CarbonSetting, fallback: HashType, sink: DiagnosticSink): HashType {
  // ROUTER_HASH_TYPE is used as `settings.ROUTER_HASH_TYPE or <default>`: None, '' and 0 mean the default.
  const v = s.value;
  if (v.type === 'none' || (v.type === 'str' && v.value === '') || ((v.type === 'int' || v.type === 'float') && v.value === 0))
    return fallback;
  const text = carbonValueText(v);
  if ((CARBON_HASH_TYPES as readonly string[]).includes(text)) return text as HashType;
  sink.warn(
    'unknown-hash-type',
    s.line ?? null,
    `ROUTER_HASH_TYPE = ${text} is not carbon_ch, fnv1a_ch or mmh3_ch: carbon silently hashes with md5 (carbon_ch)`,
    { value: text, suggestions: didYouMean(text, CARBON_HASH_TYPES) },
  );
  return 'carbon_ch';
}

function pyIntOf(v: CarbonValue): number | undefined {
  if (v.type === 'int') return v.value;
  if (v.type === 'float' && Number.isFinite(v.value)) return Math.trunc(v.value);
  if (v.type === 'bool') return v.value ? 1 : 0;
  return undefined;
}

function listOr(items: readonly string[]): string {
  return items.length === 0 ? '(none)' : items.map((s) => `[${s}]`).join(', ');
}

// ---------------------------------------------------------------------------------------------------------
// Hazard checks (R15 and friends)

const PROGRAM_SECTION = /^(cache|relay|aggregator|aggregator-cache)(:.+)?$/;
const HOSTISH_KEY = /^(\[[0-9a-f:.]+\]|[0-9]{1,3}(\.[0-9]{1,3}){3}|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)$/i;

function checkSection(ini: IniFile, s: IniSection, sink: DiagnosticSink): void {
  const isDefault = s === ini.defaults;
  if (!isDefault) checkSectionName(s, sink);
  const opts = [...s.options.values()];
  for (let i = 0; i < opts.length; i++) {
    const opt = opts[i]!;
    const key = opt.rawKey.toUpperCase();
    if (isDefault) {
      sink.info('default-key', opt.line, `${opt.rawKey} in [DEFAULT] applies to every section of the file`, { key });
    }
    const hostish =
      !CARBON_KNOWN_KEYS.has(key) &&
      HOSTISH_KEY.test(opt.rawKey) &&
      /^[0-9]+(:|$)/.test(opt.raw) &&
      /[.:]|^[0-9]/.test(opt.rawKey + opt.raw);
    if (hostish) {
      const prev = opts[i - 1];
      const trailingComma = prev !== undefined && prev.raw.endsWith(',');
      const msg =
        `line "${opt.rawKey}${opt.delimiter}${opt.parts[0]!.text}" was read as a key ${opt.rawKey} = ${opt.raw}: ` +
        `an unindented continuation of ${prev ? prev.rawKey : 'the previous value'}?` +
        (trailingComma
          ? ` ${prev!.rawKey} now ends in an empty item and carbon fails at startup`
          : ' This destination is silently not in the ring');
      sink.add(trailingComma ? 'error' : 'warning', 'host-port-key', opt.line, msg, {
        key: opt.rawKey,
        value: opt.raw,
        continues: prev?.rawKey,
        destination: `${opt.rawKey}:${opt.raw}`,
      });
    } else if (!CARBON_KNOWN_KEYS.has(key)) {
      const suggestions = didYouMean(key, CARBON_KNOWN_KEYS);
      sink.warn(
        'unknown-key',
        opt.line,
        `unknown key ${opt.rawKey}: carbon accepts it silently and never reads it` +
          (suggestions.length ? ` (did you mean ${suggestions.join(' or ')}?)` : ''),
        { key, suggestions },
      );
    }
    for (const part of opt.parts) {
      const m = /(^|[\s])([#;].*)$/.exec(part.text);
      if (m) {
        sink.warn(
          'inline-comment',
          part.line,
          `${opt.rawKey}: ${JSON.stringify(m[2])} is part of the value (Python 3 configparser keeps inline comments)`,
          { key, comment: m[2] },
        );
      }
    }
    const problem = interpolationProblem(ini, s.name, opt);
    if (problem !== null) {
      sink.error('interpolation', opt.line, `${problem.message}; carbon programs reading [${s.name}] fail at startup`, {
        key,
        section: s.name,
      });
      continue;
    }
    checkTypedValue(ini, s, opt, key, sink);
  }
  if (!isDefault && /:/.test(s.name) && s.options.has('storage_dir') && !s.options.has('local_data_dir')) {
    const o = s.options.get('storage_dir')!;
    sink.warn(
      'instance-storage-dir',
      o.line,
      `[${s.name}] sets STORAGE_DIR but not LOCAL_DATA_DIR: the data directory is derived from the program section's STORAGE_DIR, so this instance's whisper files do not move`,
      { section: s.name },
    );
  }
}

function checkSectionName(s: IniSection, sink: DiagnosticSink): void {
  if (PROGRAM_SECTION.test(s.name)) return;
  const trimmed = s.name.trim();
  if (trimmed !== s.name && PROGRAM_SECTION.test(trimmed)) {
    sink.warn(
      'section-name-spaces',
      s.line,
      `section [${s.name}] has spaces inside the brackets; carbon looks for [${trimmed}] and never reads it`,
      {
        section: s.name,
      },
    );
    return;
  }
  if (/^[0-9a-f:.]*:[0-9a-f:.]*$/i.test(s.name) || /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(s.name)) {
    sink.warn('host-port-section', s.line, `section [${s.name}] looks like an unindented [IPv6]:port destination line`, {
      section: s.name,
    });
    return;
  }
  const head = s.name.split(':')[0]!;
  sink.info('unknown-section', s.line, `section [${s.name}] is not read by carbon-cache, -relay, -aggregator or -aggregator-cache`, {
    section: s.name,
    suggestions: didYouMean(head, CARBON_PROGRAMS),
  });
}

function checkTypedValue(ini: IniFile, s: IniSection, opt: IniOption, key: string, sink: DiagnosticSink): void {
  // No interpolation problem here, so the interpolated value can be computed.
  const value = iniGet(ini, s.name, opt.key) ?? opt.raw;
  const typed = typeCarbonValue(key, value, opt, ini.file, false);
  const kind = carbonKeyKind(key);
  if (kind === 'bool' && typed.type !== 'bool') {
    sink.error('bad-boolean', opt.line, `${opt.rawKey} = ${JSON.stringify(value)} is not a boolean; carbon fails at startup (ValueError)`, {
      key,
      value,
    });
  }
  if (kind === 'auto' && typed.type === 'str' && carbonKeyIsNumeric(key)) {
    const fatal = /_PORT$/.test(key) || key === 'REPLICATION_FACTOR';
    sink.add(
      fatal ? 'error' : 'warning',
      'non-numeric',
      opt.line,
      `${opt.rawKey} = ${JSON.stringify(value)} is not a number, so carbon keeps it as a string` +
        (fatal ? ' and fails when it converts it (int())' : ' and fails or misbehaves when it uses it'),
      { key, value },
    );
  }
  if (key === 'ROUTER_HASH_TYPE' && value !== '' && !(CARBON_HASH_TYPES as readonly string[]).includes(value)) {
    sink.warn(
      'unknown-hash-type',
      opt.line,
      `ROUTER_HASH_TYPE = ${value} is not carbon_ch, fnv1a_ch or mmh3_ch: carbon silently hashes with md5 (carbon_ch)`,
      {
        value,
        suggestions: didYouMean(value, CARBON_HASH_TYPES),
      },
    );
  }
  if (key === 'RELAY_METHOD' && !(RELAY_METHODS as readonly string[]).includes(value)) {
    sink.error('unknown-relay-method', opt.line, `RELAY_METHOD = ${value} is not a carbon router; carbon-relay exits at startup`, {
      value,
      suggestions: didYouMean(value, RELAY_METHODS),
    });
  }
  if (key === 'DESTINATIONS' && typed.type === 'list') checkDestinations(typed.items, opt, sink);
}

function checkDestinations(items: { text: string; line: number }[], opt: IniOption, sink: DiagnosticSink): void {
  const seen = new Map<string, { port: number; line: number }>();
  for (const item of items) {
    if (item.text === '') {
      sink.error('empty-destination', item.line, 'empty item in DESTINATIONS (a stray or trailing comma?); carbon fails at startup');
      continue;
    }
    let d: Destination;
    try {
      d = parseCarbonDestination(item.text, { file: sink.file, line: item.line });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      sink.error('bad-destination', item.line, `${opt.rawKey}: ${e.message}`, { item: item.text });
      continue;
    }
    const id = `${d.server}\0${d.instance ?? '\0none'}`;
    const prev = seen.get(id);
    if (prev === undefined) {
      seen.set(id, { port: d.port, line: item.line });
    } else if (prev.port === d.port) {
      sink.warn(
        'repeated-destination',
        item.line,
        `${item.text} is listed twice (first at line ${prev.line}); the relay skips the repeat`,
        {
          item: item.text,
        },
      );
    } else {
      sink.error(
        'duplicate-destination',
        item.line,
        `${item.text}: server ${d.server} with instance ${d.instance ?? 'None'} is already configured (line ${prev.line}); the port is not part of the ring identity and carbon-relay refuses the duplicate`,
        { item: item.text },
      );
    }
  }
}

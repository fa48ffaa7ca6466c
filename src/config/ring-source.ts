// Where a ring comes from (command-line words, no CLI framework here): inline flags (--impl, --hash,
// --destinations, …), a config file (--ring FILE [--ring-format FMT] [--cluster-name NAME] via
// loadRingSpec), a ringshift cluster file (--cluster FILE), or — for `ring diff --from/--to` — one RING
// string that is either a file path or the inline form `key=value;key=value`. Defaults are applied
// here, once, so every command builds the same RingSpec from the same words.
import { isAbsolute, relative } from 'node:path';
import { RING_FORMATS, type RingFormat } from './formats.js';
import type { LoadRingOptions } from './load.js';
import { ConfigError, UsageError } from '../errors.js';
import { buildRing } from '../ring/build.js';
import { parseDestinationList, parseInlineDestination } from '../ring/destination.js';
import { HASH_TYPES, IMPLS, type Destination, type HashType, type Impl, type Ring, type RingSpec, type RouterType } from '../ring/types.js';

export { RING_FORMATS };
export const ROUTERS: readonly RouterType[] = ['consistent-hashing', 'fast-hashing'];

/** The parsed values of the ring flags (src/cli/ring-flags.ts; undefined for flags not given). */
export interface RingFlagValues {
  ring?: string | undefined;
  'ring-format'?: string | undefined;
  /** A ringshift cluster file. */
  cluster?: string | undefined;
  /** A cluster inside a multi-cluster --ring file. */
  'cluster-name'?: string | undefined;
  impl?: string | undefined;
  hash?: string | undefined;
  router?: string | undefined;
  destinations?: string | undefined;
  replication?: number | undefined;
  diverse?: boolean | undefined;
  'tag-relay-normalized'?: boolean;
  sanitize?: boolean | undefined;
  'relay-rules'?: string | undefined;
  'aggregation-rules'?: string | undefined;
}

/** Ring settings given explicitly (flags or inline keys); anything absent falls back to file or default. */
export interface RingOverrides {
  impl?: Impl;
  hash?: HashType;
  router?: RouterType;
  destinations?: Destination[];
  replication?: number;
  diverse?: boolean;
  tagRelayNormalized?: boolean;
  sanitize?: boolean;
}

/** A ring source: an optional config file plus explicit settings. */
export interface RingSource {
  file?: string | undefined;
  load: LoadRingOptions;
  overrides: RingOverrides;
  /** How the source is named in errors: '--destinations', '--from', … */
  label: string;
}

/** RingSpec from the ring flags of locate/sieve/show. */
export async function ringSpecFromFlags(flags: RingFlagValues): Promise<RingSpec> {
  const overrides: RingOverrides = {};
  if (flags.impl !== undefined) overrides.impl = flags.impl as Impl;
  if (flags.hash !== undefined) overrides.hash = flags.hash as HashType;
  if (flags.router !== undefined) overrides.router = flags.router as RouterType;
  if (flags.destinations !== undefined) {
    overrides.destinations = parseDestinationList(flags.destinations, parseInlineDestination, { file: '--destinations' });
  }
  if (flags.replication !== undefined) overrides.replication = flags.replication;
  if (flags.diverse !== undefined) overrides.diverse = flags.diverse;
  if (flags['tag-relay-normalized'] !== undefined) overrides.tagRelayNormalized = flags['tag-relay-normalized'];
  if (flags.sanitize !== undefined) overrides.sanitize = flags.sanitize;
  const load: LoadRingOptions = {};
  let file = flags.ring;
  if (flags.cluster !== undefined) {
    if (flags.ring !== undefined) {
      throw new UsageError(
        `--cluster takes a ringshift cluster file; to choose cluster ${JSON.stringify(flags.cluster)} inside --ring ${flags.ring} ` +
          `write --cluster-name ${flags.cluster}`,
        { expected: '--ring FILE [--cluster-name NAME], or --cluster CLUSTER.yaml' },
      );
    }
    if (flags['cluster-name'] !== undefined || flags['ring-format'] !== undefined) {
      throw new UsageError('--cluster-name and --ring-format apply to --ring FILE, not to a ringshift cluster file (--cluster)', {
        expected: 'ring.source and ring.cluster inside the cluster file',
      });
    }
    file = flags.cluster;
    load.format = 'cluster';
  } else {
    if (flags['ring-format'] !== undefined) load.format = flags['ring-format'] as RingFormat;
    if (flags['cluster-name'] !== undefined) load.cluster = flags['cluster-name'];
    if (flags['relay-rules'] !== undefined) load.relayRules = flags['relay-rules'];
    if (flags['aggregation-rules'] !== undefined) load.aggregationRules = flags['aggregation-rules'];
  }
  return resolveRingSource({ file, load, overrides, label: 'command line' });
}

/** Load the file (if any), then apply explicit settings and the implementation's defaults. */
export async function resolveRingSource(src: RingSource): Promise<RingSpec> {
  // Loaded on demand: the config parsers are a good part of the start-up time of an inline-ring run.
  const base = src.file !== undefined ? await (await import('./load.js')).loadRingSpec(src.file, src.load) : undefined;
  return applyOverrides(base, src.overrides, src.label);
}

/**
 * Defaults when there is no file: impl carbon; hash carbon_ch (mmh3_ch for carbon's fast-hashing router,
 * as carbon does with ROUTER_HASH_TYPE unset); consistent-hashing; replication 1; diverse replicas on
 * for carbon and graphite-web (graphite-web is always diverse), off for c-relay and bucky (no such
 * option); no tag normalisation; c-relay name cleansing on.
 */
export function applyOverrides(base: RingSpec | undefined, o: RingOverrides, label: string): RingSpec {
  const ctx = { file: label };
  const destinations = o.destinations ?? base?.destinations;
  if (destinations === undefined) {
    throw new UsageError('no ring given', { expected: '--ring FILE, --cluster FILE or --destinations host:port[:instance],…' });
  }
  const impl = o.impl ?? base?.impl ?? 'carbon';
  const implChanged = base !== undefined && o.impl !== undefined && o.impl !== base.impl;
  const fromBase = <K extends keyof RingSpec>(k: K): RingSpec[K] | undefined => (implChanged ? undefined : base?.[k]);

  const router = o.router ?? fromBase('router') ?? 'consistent-hashing';
  if (o.router !== undefined && o.router !== 'consistent-hashing' && impl !== 'carbon') {
    throw new ConfigError(`router ${o.router} is carbon's RELAY_METHOD; ${impl} has no such option`, {
      ...ctx,
      expected: 'impl carbon, or no router',
    });
  }
  const hash = o.hash ?? fromBase('hash') ?? (impl === 'carbon' && router === 'fast-hashing' ? 'mmh3_ch' : 'carbon_ch');
  const replication = o.replication ?? base?.replication ?? 1;
  if (!Number.isInteger(replication) || replication < 1) {
    throw new ConfigError(`replication ${replication} is not a positive integer`, { ...ctx, expected: 'an integer >= 1' });
  }

  const alwaysDiverse = impl === 'graphite-web';
  const neverDiverse = impl === 'carbon-c-relay' || impl === 'bucky';
  if (o.diverse === false && alwaysDiverse) {
    throw new ConfigError('graphite-web always picks replicas on distinct hosts; --no-diverse does not apply', {
      ...ctx,
      expected: 'no diverse setting for impl graphite-web',
    });
  }
  if (o.diverse === true && neverDiverse) {
    throw new ConfigError(`${impl} has no diverse-replicas option (replicas may share a host)`, {
      ...ctx,
      expected: 'diverse only with impl carbon or graphite-web',
    });
  }
  const diverse = alwaysDiverse ? true : neverDiverse ? false : (o.diverse ?? fromBase('diverse') ?? true);

  if (o.tagRelayNormalized === true && impl !== 'carbon') {
    throw new ConfigError(`tag-relay-normalized is a carbon-relay setting; ${impl} does not have it`, {
      ...ctx,
      expected: 'impl carbon',
    });
  }
  if (o.sanitize === false && impl !== 'carbon-c-relay') {
    throw new ConfigError(`sanitize applies to carbon-c-relay only (${impl} never rewrites names)`, {
      ...ctx,
      expected: 'impl carbon-c-relay',
    });
  }
  const spec: RingSpec = {
    impl,
    hash,
    router: impl === 'carbon' ? router : 'consistent-hashing',
    destinations,
    replication,
    diverse,
    tagRelayNormalized: impl === 'carbon' ? (o.tagRelayNormalized ?? fromBase('tagRelayNormalized') ?? false) : false,
    sanitize: o.sanitize ?? fromBase('sanitize') ?? true,
  };
  if (base?.origin !== undefined) spec.origin = base.origin;
  if (base?.routing !== undefined && impl === 'carbon' && !implChanged) spec.routing = base.routing;
  return spec;
}

// ---------------------------------------------------------------------------------------------------
// The RING argument of `ring diff`: a file path, or `key=value;key=value;…`.

const INLINE_KEYS = [
  'impl',
  'hash',
  'router',
  'destinations',
  'replication',
  'diverse',
  'tag-relay-normalized',
  'sanitize',
  'ring',
  'ring-format',
  'cluster',
  'cluster-name',
] as const;
type InlineKey = (typeof INLINE_KEYS)[number];
const KEY_ALIASES: Record<string, InlineKey> = {
  dest: 'destinations',
  dests: 'destinations',
  rf: 'replication',
  file: 'ring',
  format: 'ring-format',
};
const INLINE_SYNTAX = `key=value;… with keys ${INLINE_KEYS.join(', ')}`;

/** True when a RING argument is the inline form (it starts with a known `key=`); otherwise it is a file. */
export function isInlineRing(text: string): boolean {
  const m = /^\s*([a-z-]+)\s*=/.exec(text);
  return m !== null && (INLINE_KEYS.includes(m[1] as InlineKey) || m[1]! in KEY_ALIASES);
}

/**
 * Parse the inline RING form, e.g. `impl=carbon;hash=carbon_ch;replication=2;destinations=a:2004:a,b:2004:a`
 * or `ring=carbon.conf;replication=2` (a file with what-if changes). Items are separated by `;`, a value
 * runs to the next `;` (so it may contain `=`, as in c-relay's `host:port=instance`); booleans are
 * true/false/yes/no/on/off/1/0.
 */
export function parseInlineRing(text: string, label: string): RingSource {
  const ctx = { file: label };
  const src: RingSource = { load: {}, overrides: {}, label };
  const seen = new Set<InlineKey>();
  let clusterFile: string | undefined;
  for (const raw of text.split(';')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) throw new ConfigError(`${JSON.stringify(item)} is not key=value`, { ...ctx, expected: INLINE_SYNTAX });
    const rawKey = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    const key = KEY_ALIASES[rawKey] ?? (INLINE_KEYS.includes(rawKey as InlineKey) ? (rawKey as InlineKey) : undefined);
    if (key === undefined) throw new ConfigError(`unknown key ${JSON.stringify(rawKey)}`, { ...ctx, expected: INLINE_SYNTAX });
    if (seen.has(key)) throw new ConfigError(`${key} given twice`, { ...ctx, expected: INLINE_SYNTAX });
    seen.add(key);
    const o = src.overrides;
    switch (key) {
      case 'impl':
        o.impl = oneOf(value, IMPLS, key, ctx);
        break;
      case 'hash':
        o.hash = oneOf(value, HASH_TYPES, key, ctx);
        break;
      case 'router':
        o.router = oneOf(value, ROUTERS, key, ctx);
        break;
      case 'destinations':
        o.destinations = parseDestinationList(value, parseInlineDestination, ctx);
        break;
      case 'replication':
        if (!/^[0-9]+$/.test(value) || Number(value) < 1) {
          throw new ConfigError(`replication ${JSON.stringify(value)} is not a positive integer`, { ...ctx, expected: 'an integer >= 1' });
        }
        o.replication = Number(value);
        break;
      case 'diverse':
        o.diverse = parseBool(value, key, ctx);
        break;
      case 'tag-relay-normalized':
        o.tagRelayNormalized = parseBool(value, key, ctx);
        break;
      case 'sanitize':
        o.sanitize = parseBool(value, key, ctx);
        break;
      case 'ring':
        if (value === '') throw new ConfigError('ring= needs a file path', { ...ctx, expected: 'ring=PATH' });
        src.file = value;
        break;
      case 'ring-format':
        src.load.format = oneOf(value, RING_FORMATS, key, ctx);
        break;
      case 'cluster':
        if (value === '') throw new ConfigError('cluster= needs a ringshift cluster file', { ...ctx, expected: 'cluster=FILE' });
        clusterFile = value;
        break;
      case 'cluster-name':
        src.load.cluster = value;
        break;
    }
  }
  if (clusterFile !== undefined) {
    if (src.file !== undefined) {
      throw new ConfigError(
        `cluster= takes a ringshift cluster file; to choose cluster ${JSON.stringify(clusterFile)} inside ring=${src.file} write cluster-name=${clusterFile}`,
        { ...ctx, expected: 'ring=FILE;cluster-name=NAME, or cluster=CLUSTER.yaml' },
      );
    }
    if (src.load.format !== undefined || src.load.cluster !== undefined) {
      throw new ConfigError('ring-format= and cluster-name= apply to ring=FILE, not to a ringshift cluster file', {
        ...ctx,
        expected: 'ring.source and ring.cluster inside the cluster file',
      });
    }
    src.file = clusterFile;
    src.load.format = 'cluster';
  }
  if (src.file === undefined && src.overrides.destinations === undefined) {
    throw new ConfigError('inline ring has no destinations', { ...ctx, expected: 'destinations=host:port[:instance],… or ring=FILE' });
  }
  if (src.file === undefined && (src.load.format !== undefined || src.load.cluster !== undefined)) {
    throw new ConfigError('ring-format= and cluster-name= apply to a ring file', { ...ctx, expected: 'ring=FILE' });
  }
  return src;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], key: string, ctx: { file: string }): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(`${key} ${JSON.stringify(value)} is not supported`, { ...ctx, expected: allowed.join(', ') });
}

function parseBool(value: string, key: string, ctx: { file: string }): boolean {
  const v = value.toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0'].includes(v)) return false;
  throw new ConfigError(`${key} ${JSON.stringify(value)} is not a boolean`, { ...ctx, expected: 'true/false, yes/no, on/off, 1/0' });
}

/**
 * A RING argument of `ring diff` (--from/--to) with its --*-ring-format and --*-cluster-name flags: the
 * inline form when it starts with a known key, else a config file path.
 */
export function ringSourceFromArg(value: string, label: string, load: LoadRingOptions = {}): RingSource {
  if (isInlineRing(value)) {
    const src = parseInlineRing(value, label);
    if (load.format !== undefined || load.cluster !== undefined) {
      if (src.file === undefined) {
        throw new UsageError(`${label}-ring-format/${label}-cluster-name apply to a ring file, not an inline ring`);
      }
      src.load = { ...load, ...src.load };
    }
    return src;
  }
  return { file: value, load, overrides: {}, label: value };
}

/** The ring described by the ring flags (buildRing's ConfigError, with file:line, passes through). */
export async function ringFromFlags(flags: RingFlagValues): Promise<Ring> {
  return buildLabelledRing(await ringSpecFromFlags(flags), 'command line');
}

/**
 * buildRing, with errors about an inline ring (no file to point at) labelled with where the ring was
 * given ('--to', 'command line'), so a diff of two inline rings says which one is wrong.
 */
export function buildLabelledRing(spec: RingSpec, label: string): Ring {
  try {
    return buildRing(spec);
  } catch (e) {
    if (e instanceof ConfigError && e.file === undefined) {
      throw new ConfigError(e.message, { file: label, line: e.line, expected: e.expected });
    }
    throw e;
  }
}

/** A path relative to the working directory when it lies below it (reports stay short). */
function shortPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** What places names in `spec` when it is not a hash of the keyspace (undefined for a ring). */
export function placedByName(spec: RingSpec): string | undefined {
  switch (spec.routing?.kind) {
    case 'amqp-topic':
      return "the caches' AMQP topic bindings";
    case 'relay-rules':
      return "carbon-relay's relay-rules.conf";
    case 'relayng':
      return "carbon-relay-ng's route table";
    default:
      return undefined;
  }
}

/** One-line description of a ring for reports: "carbon carbon_ch, replication 2, diverse, 6 members (carbon.conf)". */
export function describeSpec(spec: RingSpec, members?: number): string {
  const routing = spec.routing;
  if (routing?.kind === 'amqp-topic' || routing?.kind === 'relay-rules' || routing?.kind === 'relayng') {
    // No hash ring: the bindings or the rules decide (src/ring/rule-routers.ts, src/ring/amqp-topic.ts).
    const n = members ?? spec.destinations.length;
    const what =
      routing.kind === 'amqp-topic'
        ? `carbon AMQP topic exchange ${routing.exchange}, ${n} bound cache${n === 1 ? '' : 's'}`
        : routing.kind === 'relayng'
          ? `carbon-relay-ng route table, ${routing.routes.length} route${routing.routes.length === 1 ? '' : 's'}, ${n} carbon destination${n === 1 ? '' : 's'}`
          : `carbon-relay RELAY_METHOD rules (${shortPath(routing.file)}), ${n} destination${n === 1 ? '' : 's'}`;
    return what + (spec.origin?.file !== undefined ? ` (${shortPath(spec.origin.file)})` : '');
  }
  const parts = [`${spec.impl} ${spec.hash}`];
  if (spec.impl === 'carbon' && spec.router !== 'consistent-hashing') parts.push(spec.router);
  parts.push(`replication ${spec.replication}`);
  if (spec.replication > 1 && spec.impl === 'carbon') parts.push(spec.diverse ? 'diverse' : 'not diverse');
  if (spec.tagRelayNormalized) parts.push('tag-relay-normalized');
  if (spec.routing?.kind === 'aggregation') parts.push(`aggregated by ${shortPath(spec.routing.file)}`);
  if (spec.impl === 'carbon-c-relay' && !spec.sanitize) parts.push('raw keys');
  const n = members ?? spec.destinations.length;
  parts.push(`${n} member${n === 1 ? '' : 's'}`);
  const origin =
    spec.origin?.file !== undefined
      ? ` (${shortPath(spec.origin.file)}${spec.origin.cluster !== undefined ? ` cluster ${spec.origin.cluster}` : ''})`
      : '';
  return parts.join(', ') + origin;
}

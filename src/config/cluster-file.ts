// ringshift's cluster file (YAML): the ring (inline, or read from a config with `source:`) and where each
// member's whisper tree lives. Every key is checked; unknown keys are errors that name the line and the
// accepted keys. New optional top-level sections register a parser in CLUSTER_SECTIONS.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { ConfigError } from '../errors.js';
import { parseBuckyMember, parseCarbonDestination, parseCrelayMember, parseInlineDestination } from '../ring/destination.js';
import { makeRingSpec } from '../ring/spec.js';
import { HASH_TYPES, IMPLS, memberId, type Destination, type HashType, type Impl, type RingSpec, type RouterType } from '../ring/types.js';
import { DiagnosticSink, type ConfigDiagnostic } from './diagnostics.js';
import { RING_FORMATS, type RingFormat } from './formats.js';
import { loadUpstreamRingSpec } from './upstream-ring.js';
import type { SectionContext } from './cluster-section.js';
import { parseTopologySection } from './cluster-topology.js';
import { parseNodeSshSection } from './cluster-node-ssh.js';
import { parseAmqpBlock } from './cluster-amqp.js';

/** ringshift's cluster file (YAML): a ring plus where each member's whisper tree lives. */
export interface ClusterFile {
  /** Absolute path of the cluster file. */
  path: string;
  ring: RingSpec;
  /**
   * storage: key is "server" or "server:instance" exactly as written; value is an absolute local path
   * (resolved against the cluster file's directory) or an ssh:// URL, kept as written.
   */
  storage: StorageEntry[];
  /** Set when the ring came from `source:`. */
  source?: { file: string; format?: RingFormat; cluster?: string; line: number };
  /** Line of the `ring:` key. (Optional fields stay optional so hand-built ClusterFiles keep compiling.) */
  ringLine?: number;
  /** Parsed optional sections (CLUSTER_SECTIONS), by name. */
  sections?: Record<string, unknown>;
  /** Storage keys matching no member, members without storage. */
  diagnostics?: ConfigDiagnostic[];
}

export interface StorageEntry {
  key: string;
  location: string;
  line?: number;
  /** The key split: server (brackets removed) and instance (null when the key has none). */
  server?: string;
  instance?: string | null;
  /** true for ssh:// locations. */
  remote?: boolean;
}

/**
 * Optional top-level sections beyond `ring` and `storage`, accepted by every command; the parsed value lands
 * in ClusterFile.sections[name] for the feature that reads it (`topology` for the linter).
 */
const CLUSTER_SECTIONS = new Map<string, (node: Node | null, ctx: SectionContext) => unknown>([
  ['topology', parseTopologySection],
  ['node_ssh', parseNodeSshSection],
]);

const RING_KEYS = [
  'impl',
  'hash',
  'replication',
  'diverse',
  'destinations',
  'router',
  'sanitize',
  'tag_relay_normalized',
  'source',
  'cluster',
  'format',
  'amqp',
];
const SOURCE_KEYS = ['source', 'cluster', 'format'];

export async function loadClusterFile(path: string): Promise<ClusterFile> {
  return loadClusterFileSync(path);
}

export function loadClusterFileSync(path: string): ClusterFile {
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read cluster file: ${(e as Error).message}`, { file: path, expected: 'a readable YAML cluster file' });
  }
  return parseClusterFile(text, abs);
}

/** Parse cluster-file text; `path` is used for messages and to resolve relative paths. */
export function parseClusterFile(text: string, path: string): ClusterFile {
  const file = path;
  const dir = dirname(resolve(path));
  const lc = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ConfigError(`YAML: ${e.message.split('\n')[0]}`, { file, line: e.linePos?.[0]?.line, expected: 'valid YAML' });
  }
  const sink = new DiagnosticSink(file);
  const lineOf = (n: Node | Pair | null | undefined): number | undefined => {
    if (n === null || n === undefined) return undefined;
    const node = isPair(n) ? (n.key as Node | null) : n;
    const r = node?.range;
    return r ? lc.linePos(r[0]).line : undefined;
  };
  const fail = (message: string, n: Node | Pair | null | undefined, expected?: string): never => {
    throw new ConfigError(message, { file, line: lineOf(n), ...(expected ? { expected } : {}) });
  };
  const ctx: SectionContext = { file, dir, line: lineOf, fail, sink };

  const root = doc.contents;
  if (!isMap(root)) fail('a cluster file is a YAML mapping with a ring: section', root, 'ring: and storage: at the top level');
  const top = entries(root as YAMLMap, ctx);
  const accepted = ['ring', 'storage', ...CLUSTER_SECTIONS.keys()];
  for (const [k, pair] of top) {
    if (!accepted.includes(k)) fail(`unknown section ${JSON.stringify(k)}`, pair, `one of: ${accepted.join(', ')}`);
  }
  const ringPair = top.get('ring');
  if (ringPair === undefined) fail('no ring: section', root, 'ring: with destinations (or source:)');
  const { ring, source } = parseRing(ringPair!.value as Node | null, ringPair!, ctx);
  const storagePair = top.get('storage');
  const storage = storagePair === undefined ? [] : parseStorage(storagePair.value as Node | null, storagePair, ctx);
  // A ring read from `source:` carries the source file's lines: cite the storage: section instead.
  checkStorage(ring, storage, sink, source === undefined ? undefined : (lineOf(storagePair) ?? source.line));

  const sections: Record<string, unknown> = {};
  for (const [name, parse] of CLUSTER_SECTIONS) {
    const p = top.get(name);
    if (p !== undefined) sections[name] = parse(p.value as Node | null, ctx);
  }
  const out: ClusterFile = { path: resolve(path), ring, storage, ringLine: lineOf(ringPair) ?? 1, sections, diagnostics: sink.items };
  if (source !== undefined) out.source = source;
  return out;
}

function entries(map: YAMLMap, ctx: SectionContext): Map<string, Pair> {
  const out = new Map<string, Pair>();
  for (const pair of map.items) {
    const k = pair.key;
    if (!isScalar(k) || (typeof k.value !== 'string' && typeof k.value !== 'number')) ctx.fail('keys must be plain strings', pair);
    out.set(String((k as { value: unknown }).value), pair);
  }
  return out;
}

function scalar(pair: Pair, ctx: SectionContext, what: string): unknown {
  const v = pair.value;
  if (!isScalar(v)) ctx.fail(`${keyOf(pair)} must be ${what}`, pair, what);
  return (v as { value: unknown }).value;
}

function keyOf(pair: Pair): string {
  return String((pair.key as { value: unknown }).value);
}

function parseRing(node: Node | null, at: Pair, ctx: SectionContext): { ring: RingSpec; source?: ClusterFile['source'] } {
  if (!isMap(node)) ctx.fail('ring: must be a mapping', at, `keys: ${RING_KEYS.join(', ')}`);
  const keys = entries(node as YAMLMap, ctx);
  for (const [k, pair] of keys) if (!RING_KEYS.includes(k)) ctx.fail(`unknown key ring.${k}`, pair, `one of: ${RING_KEYS.join(', ')}`);

  const str = (k: string): string | undefined => {
    const p = keys.get(k);
    if (p === undefined) return undefined;
    const v = scalar(p, ctx, 'a string');
    if (typeof v !== 'string' || v === '') ctx.fail(`ring.${k} must be a non-empty string`, p);
    return v as string;
  };
  const bool = (k: string): boolean | undefined => {
    const p = keys.get(k);
    if (p === undefined) return undefined;
    const v = scalar(p, ctx, 'true or false');
    if (typeof v !== 'boolean') ctx.fail(`ring.${k} must be true or false`, p, 'true or false');
    return v as boolean;
  };

  const sourcePair = keys.get('source');
  if (sourcePair !== undefined) {
    for (const [k, pair] of keys) {
      if (!SOURCE_KEYS.includes(k))
        ctx.fail(
          `ring.${k} cannot be combined with ring.source (the ring comes from the source file)`,
          pair,
          `with source: only ${SOURCE_KEYS.join(', ')}`,
        );
    }
    const src = str('source')!;
    const format = str('format');
    if (format !== undefined && !(RING_FORMATS as readonly string[]).includes(format)) {
      ctx.fail(`unknown ring.format ${JSON.stringify(format)}`, keys.get('format'), `one of: ${RING_FORMATS.join(', ')}`);
    }
    const clusterValue = keys.get('cluster') === undefined ? undefined : String(scalar(keys.get('cluster')!, ctx, 'a cluster name'));
    const srcPath = isAbsolute(src) ? src : resolve(ctx.dir, src);
    const opts: { format?: RingFormat; cluster?: string } = {};
    if (format !== undefined) opts.format = format as RingFormat;
    if (clusterValue !== undefined) opts.cluster = clusterValue;
    if (resolve(srcPath) === resolve(ctx.file)) ctx.fail('ring.source points at the cluster file itself', sourcePair);
    const ring = loadUpstreamRingSpec(srcPath, opts);
    const source: ClusterFile['source'] = { file: srcPath, line: ctx.line(sourcePair) ?? 1 };
    if (opts.format !== undefined) source.format = opts.format;
    if (opts.cluster !== undefined) source.cluster = opts.cluster;
    return { ring, source };
  }
  for (const k of ['cluster', 'format']) {
    if (keys.has(k)) ctx.fail(`ring.${k} only applies with ring.source`, keys.get(k), 'ring.source: <config file>');
  }

  const implText = str('impl') ?? 'carbon';
  if (!(IMPLS as readonly string[]).includes(implText))
    ctx.fail(`unknown ring.impl ${JSON.stringify(implText)}`, keys.get('impl'), `one of: ${IMPLS.join(', ')}`);
  const impl = implText as Impl;
  const hashText = str('hash') ?? 'carbon_ch';
  if (!(HASH_TYPES as readonly string[]).includes(hashText))
    ctx.fail(`unknown ring.hash ${JSON.stringify(hashText)}`, keys.get('hash'), `one of: ${HASH_TYPES.join(', ')}`);
  const hash = hashText as HashType;
  const allowedHashes: Record<Impl, HashType[]> = {
    carbon: ['carbon_ch', 'fnv1a_ch', 'mmh3_ch'],
    'graphite-web': ['carbon_ch', 'fnv1a_ch', 'mmh3_ch'],
    'carbon-c-relay': ['carbon_ch', 'fnv1a_ch', 'jump_fnv1a_ch'],
    bucky: ['carbon_ch', 'fnv1a_ch', 'jump_fnv1a_ch'],
  };
  if (!allowedHashes[impl].includes(hash))
    ctx.fail(`${impl} has no ${hash} ring`, keys.get('hash'), `for ${impl}: ${allowedHashes[impl].join(', ')}`);

  let replication = 1;
  const rp = keys.get('replication');
  if (rp !== undefined) {
    const v = scalar(rp, ctx, 'an integer ≥ 1');
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) ctx.fail('ring.replication must be an integer ≥ 1', rp, 'an integer ≥ 1');
    replication = v as number;
  }
  const diverseDefault = impl === 'carbon' || impl === 'graphite-web';
  const diverse = bool('diverse') ?? diverseDefault;
  if (impl === 'graphite-web' && !diverse)
    ctx.fail(
      'graphite-web always picks replicas on distinct hosts; ring.diverse: false does not apply',
      keys.get('diverse'),
      'omit ring.diverse or set it to true',
    );
  if ((impl === 'carbon-c-relay' || impl === 'bucky') && diverse)
    ctx.fail(
      `${impl} has no diverse replicas; ring.diverse: true does not apply`,
      keys.get('diverse'),
      'omit ring.diverse or set it to false',
    );

  const routerText = str('router') ?? 'consistent-hashing';
  if (routerText !== 'consistent-hashing' && routerText !== 'fast-hashing')
    ctx.fail(`unknown ring.router ${JSON.stringify(routerText)}`, keys.get('router'), 'consistent-hashing or fast-hashing');
  if (routerText === 'fast-hashing' && impl !== 'carbon')
    ctx.fail('ring.router: fast-hashing exists only in carbon', keys.get('router'), 'impl: carbon');
  const sanitize = bool('sanitize') ?? impl === 'carbon-c-relay';
  const tagRelayNormalized = bool('tag_relay_normalized') ?? false;

  const dp = keys.get('destinations');
  const ap = keys.get('amqp');
  const amqp =
    ap === undefined
      ? undefined
      : parseAmqpBlock(ap, ctx, (text, line) =>
          parseClusterDestination(text, impl, { file: ctx.file, ...(line !== undefined ? { line } : {}) }),
        );
  if (amqp !== undefined && impl !== 'carbon') ctx.fail('ring.amqp is carbon-cache AMQP mode', ap, 'impl: carbon (or omit impl)');
  if (dp === undefined && amqp !== undefined) {
    const ring = makeRingSpec({
      impl,
      destinations: amqp.bindings.map((b) => b.member),
      routing: amqp,
      origin: { file: ctx.file, line: ctx.line(at) ?? 1, format: 'cluster' },
    });
    return { ring };
  }
  if (dp === undefined)
    ctx.fail(
      'ring: needs destinations (or source:)',
      ctx.line(at) === undefined ? node : at,
      'destinations: ["host:port[:instance]", ...]',
    );
  const destinations = parseDestinationsNode(dp!, impl, ctx);
  if (destinations.length === 0) ctx.fail('ring.destinations is empty', dp, 'at least one destination');

  const ring = makeRingSpec({
    impl,
    hash,
    router: routerText as RouterType,
    destinations,
    replication,
    diverse,
    tagRelayNormalized,
    sanitize,
    origin: { file: ctx.file, line: ctx.line(at) ?? 1, format: 'cluster' },
  });
  if (amqp !== undefined) {
    const ids = new Set(destinations.map(memberId));
    for (const b of amqp.bindings) {
      if (!ids.has(memberId(b.member)))
        ctx.fail(
          `ring.amqp binds ${memberId(b.member)}, which is not in ring.destinations`,
          ap,
          'bindings for members of ring.destinations',
        );
    }
    ring.routing = amqp;
  }
  return { ring };
}

/** Destination syntax per implementation: carbon's host:port[:instance], or c-relay/bucky host[:port][=instance]. */
export function parseClusterDestination(text: string, impl: Impl, ctx: { file: string; line?: number }): Destination {
  const c = { file: ctx.file, ...(ctx.line !== undefined ? { line: ctx.line } : {}) };
  if (impl === 'carbon' || impl === 'graphite-web') return parseInlineDestination(text, c);
  const colons = (text.startsWith('[') ? text.slice(text.indexOf(']') + 1) : text).split(':').length - 1;
  if (!text.includes('=') && colons >= 2) return parseCarbonDestination(text, c);
  return impl === 'bucky' ? parseBuckyMember(text, c) : parseCrelayMember(text, c);
}

function parseDestinationsNode(pair: Pair, impl: Impl, ctx: SectionContext): Destination[] {
  const v = pair.value as Node | null;
  const items: { text: string; line: number | undefined }[] = [];
  if (isSeq(v)) {
    for (const item of v.items) {
      if (!isScalar(item) || typeof item.value !== 'string')
        ctx.fail('each destination must be a string', item as Node, '"host:port[:instance]"');
      items.push({ text: (item as { value: string }).value, line: ctx.line(item as Node) });
    }
  } else if (isScalar(v) && typeof v.value === 'string') {
    for (const piece of v.value.split(',')) items.push({ text: piece.trim(), line: ctx.line(v) });
  } else {
    ctx.fail('ring.destinations must be a list of strings', pair, '["host:port[:instance]", ...]');
  }
  return items.map((it) => {
    if (it.text.trim() === '') ctx.fail('empty destination', pair, '"host:port[:instance]"');
    return parseClusterDestination(it.text, impl, { file: ctx.file, ...(it.line !== undefined ? { line: it.line } : {}) });
  });
}

function parseStorage(node: Node | null, at: Pair, ctx: SectionContext): StorageEntry[] {
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isMap(node))
    ctx.fail(
      'storage: must be a mapping of server (or server:instance) to a path or ssh:// URL',
      at,
      '"10.0.0.1": /var/lib/graphite/whisper',
    );
  const out: StorageEntry[] = [];
  for (const pair of (node as YAMLMap).items) {
    const k = pair.key;
    if (!isScalar(k) || (typeof k.value !== 'string' && typeof k.value !== 'number'))
      ctx.fail('storage keys must be server or server:instance strings', pair);
    const key = String((k as { value: unknown }).value);
    const v = pair.value;
    if (!isScalar(v) || typeof v.value !== 'string' || v.value === '')
      ctx.fail(`storage.${key} must be a path or an ssh:// URL`, pair, '/path/to/whisper or ssh://user@host/path');
    const raw = (v as { value: string }).value;
    const line = ctx.line(pair);
    let location: string;
    let remote = false;
    if (/^ssh:\/\//.test(raw)) {
      let u: URL | undefined;
      try {
        u = new URL(raw);
      } catch {
        u = undefined;
      }
      if (u === undefined || u.hostname === '' || u.pathname === '' || u.pathname === '/') {
        ctx.fail(
          `storage.${key}: ${JSON.stringify(raw)} is not an ssh://[user@]host[:port]/path URL`,
          pair,
          'ssh://[user@]host[:port]/absolute/path',
        );
      }
      location = raw;
      remote = true;
    } else if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(raw)) {
      return ctx.fail(`storage.${key}: unsupported location ${JSON.stringify(raw)}`, pair, 'a local path or an ssh:// URL');
    } else if (raw === '~' || raw.startsWith('~/')) {
      location = resolve(homedir(), raw.slice(2));
    } else {
      location = isAbsolute(raw) ? resolve(raw) : resolve(ctx.dir, raw);
    }
    const { server, instance } = splitStorageKey(key, ctx, pair);
    const e: StorageEntry = { key, location, server, instance, remote };
    if (line !== undefined) e.line = line;
    out.push(e);
  }
  return out;
}

function splitStorageKey(key: string, ctx: SectionContext, pair: Pair): { server: string; instance: string | null } {
  if (key.startsWith('[')) {
    const close = key.indexOf(']');
    if (close < 0) ctx.fail(`storage key ${JSON.stringify(key)}: unterminated [`, pair, '[ipv6] or [ipv6]:instance');
    const rest = key.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':'))
      ctx.fail(`storage key ${JSON.stringify(key)}: unexpected text after ]`, pair, '[ipv6] or [ipv6]:instance');
    return { server: key.slice(1, close), instance: rest === '' ? null : rest.slice(1) };
  }
  const colon = key.indexOf(':');
  return colon < 0 ? { server: key, instance: null } : { server: key.slice(0, colon), instance: key.slice(colon + 1) };
}

function checkStorage(ring: RingSpec, storage: StorageEntry[], sink: DiagnosticSink, memberLine?: number): void {
  if (storage.length === 0) return;
  for (const e of storage) {
    const hit = ring.destinations.some((d) => d.server === e.server && (e.instance === null || d.instance === e.instance));
    if (!hit) {
      sink.warn('storage-unknown-member', e.line ?? null, `storage key ${JSON.stringify(e.key)} matches no ring member`, { key: e.key });
    }
  }
  for (const d of ring.destinations) {
    const covered = storage.some((e) => e.server === d.server && (e.instance === null || e.instance === d.instance));
    if (!covered) {
      sink.info(
        'storage-missing',
        memberLine ?? d.line ?? null,
        `no storage location for ring member ${d.server}${d.instance === null ? '' : ':' + d.instance}`,
        {
          server: d.server,
          instance: d.instance,
        },
      );
    }
  }
}

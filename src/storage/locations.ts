// From a cluster file's `storage:` section to storage locations: which directory each ring member writes,
// and which members share one directory (several carbon-cache instances on a host with one WHISPER_DIR
// are one location, so moving a metric between them is a no-op).
import { checkStorageRoots } from './root-overlap.js';
import * as fs from 'node:fs';
import { isAbsolute } from 'node:path';
import { posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ClusterFile } from '../config/cluster-file.js';
import { ConfigError, UsageError } from '../errors.js';
import type { Destination } from '../ring/types.js';
import { memberId } from '../ring/types.js';
import type { StorageDriver } from './driver.js';
import { LocalDriver } from './local-driver.js';
import type { SshOptions } from './ssh-driver.js';

/** One `storage:` entry as written in the cluster file. */
export interface StorageKey {
  key: string;
  location: string;
  line?: number;
}

export interface StorageLocation {
  /** Stable, readable id: the storage keys that resolved here, in file order, joined by '+'. */
  id: string;
  scheme: 'file' | 'ssh';
  /** Identity: file:///real/path, or the normalised ssh://[user@]host[:port]/path. */
  url: string;
  /** The real local directory, or the remote path. */
  root: string;
  /** The storage entries that point here. */
  keys: StorageKey[];
  /** Ring members writing here, in ring configuration order. */
  members: Destination[];
}

export interface StorageProblem extends StorageKey {
  message: string;
  /** Members that matched this entry (they have no usable location). */
  members: Destination[];
}

export interface ResolvedStorage {
  locations: StorageLocation[];
  /** Ring members no storage entry matches. */
  unmapped: Destination[];
  /** Storage entries no ring member matches. */
  unusedKeys: StorageKey[];
  /** Entries that cannot be used: missing directory, not a directory, unsupported URL, duplicate key. */
  problems: StorageProblem[];
}

/**
 * The storage keys a member answers to, most specific first: "server:instance" (also with a bracketed
 * IPv6 server) when it has an instance, then "server".
 */
export function storageKeysFor(d: Destination): string[] {
  const servers = d.server.includes(':') ? [d.server, `[${d.server}]`] : [d.server];
  const keys: string[] = [];
  if (d.instance !== null) for (const s of servers) keys.push(`${s}:${d.instance}`);
  keys.push(...servers);
  return keys;
}

interface Target {
  scheme: 'file' | 'ssh';
  url: string;
  root: string;
}

/** Where a `storage:` value points, or an error message. Local paths are resolved to their realpath. */
async function resolveTarget(location: string): Promise<Target | string> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    let u: URL;
    try {
      u = new URL(location);
    } catch {
      return `cannot parse URL ${JSON.stringify(location)}`;
    }
    if (u.protocol === 'file:') return resolveTarget(decodeURIComponent(u.pathname));
    if (u.protocol !== 'ssh:') return `unsupported storage URL scheme ${u.protocol}`;
    if (u.hostname === '') return `no host in ${location}`;
    const path = posix.normalize(decodeURIComponent(u.pathname) || '/');
    const root = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const user = u.username === '' ? '' : `${decodeURIComponent(u.username)}@`;
    const port = u.port === '' || u.port === '22' ? '' : `:${u.port}`;
    return { scheme: 'ssh', url: `ssh://${user}${u.hostname.toLowerCase()}${port}${root}`, root };
  }
  if (!isAbsolute(location)) return `storage path ${JSON.stringify(location)} is not absolute`;
  let real: string;
  try {
    real = await fs.promises.realpath(location);
  } catch (err) {
    return `storage directory ${location}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
  }
  if (!(await fs.promises.stat(real)).isDirectory()) return `storage path ${location} is not a directory`;
  return { scheme: 'file', url: pathToFileURL(real).href, root: real };
}

/** Resolve every storage entry of a cluster file and attach the ring's members to locations. */
export async function resolveLocations(cluster: ClusterFile): Promise<ResolvedStorage> {
  checkStorageRoots(cluster);
  const problems: StorageProblem[] = [];
  const byKey = new Map<string, StorageKey>();
  for (const entry of cluster.storage) {
    const first = byKey.get(entry.key);
    if (first !== undefined) {
      const at = first.line === undefined ? '' : ` (first at line ${first.line})`;
      problems.push({ ...entry, message: `duplicate storage key ${JSON.stringify(entry.key)}${at}`, members: [] });
      continue;
    }
    byKey.set(entry.key, entry);
  }

  // Members in ring order, each once.
  const membersOf = new Map<string, Destination[]>();
  const unmapped: Destination[] = [];
  const seen = new Set<string>();
  for (const d of cluster.ring.destinations) {
    const id = memberId(d);
    if (seen.has(id)) continue;
    seen.add(id);
    const key = storageKeysFor(d).find((k) => byKey.has(k));
    if (key === undefined) unmapped.push(d);
    else membersOf.set(key, [...(membersOf.get(key) ?? []), d]);
  }

  const byUrl = new Map<string, StorageLocation>();
  const unusedKeys: StorageKey[] = [];
  const targets = await Promise.all([...byKey.values()].map(async (e) => [e, await resolveTarget(e.location)] as const));
  for (const [entry, target] of targets) {
    const members = membersOf.get(entry.key) ?? [];
    if (members.length === 0) unusedKeys.push(entry);
    if (typeof target === 'string') {
      problems.push({ ...entry, message: target, members });
      continue;
    }
    let loc = byUrl.get(target.url);
    if (loc === undefined) {
      loc = { id: '', ...target, keys: [], members: [] };
      byUrl.set(target.url, loc);
    }
    loc.keys.push(entry);
    loc.members.push(...members);
  }

  const order = new Map<string, number>();
  cluster.ring.destinations.forEach((d, i) => {
    if (!order.has(memberId(d))) order.set(memberId(d), i);
  });
  const locations = [...byUrl.values()];
  for (const loc of locations) {
    loc.id = loc.keys.map((k) => k.key).join('+');
    loc.members.sort((a, b) => order.get(memberId(a))! - order.get(memberId(b))!);
  }
  return { locations, unmapped, unusedKeys, problems };
}

/**
 * Every storage key must name a ring member, or — for a node being emptied — a member of the old ring:
 * a typo ("bb:" for "b:") would otherwise become a location whose every file looks misplaced. Throws a
 * ConfigError at the key's line, listing the keys the members answer to. `shownPath` is the file as
 * the user named it.
 */
export function checkStorageKeys(cluster: ClusterFile, shownPath: string, oldMembers: readonly Destination[] = [], hint = ''): void {
  const members = [...cluster.ring.destinations, ...oldMembers];
  for (const e of cluster.storage) {
    if (members.some((d) => storageKeysFor(d).includes(e.key))) continue;
    const withInstance = e.key.lastIndexOf(':') > e.key.lastIndexOf(']');
    const keys = [
      ...new Set(
        cluster.ring.destinations.map((d) => storageKeysFor(d)[withInstance && d.instance !== null ? 0 : storageKeysFor(d).length - 1]!),
      ),
    ];
    const shown = keys.length > 12 ? [...keys.slice(0, 12), '…'] : keys;
    throw new ConfigError(`storage key ${JSON.stringify(e.key)} names no ring member`, {
      file: shownPath,
      line: e.line,
      expected: `one of: ${shown.join(', ')}${hint}`,
    });
  }
}

/** The location a ring member writes to, if it has one. */
export function locationOf(resolved: ResolvedStorage, d: Destination): StorageLocation | undefined {
  const id = memberId(d);
  return resolved.locations.find((loc) => loc.members.some((m) => memberId(m) === id));
}

/** True when both members write the same directory: moving a metric between them is a no-op. */
export function sameLocation(resolved: ResolvedStorage, a: Destination, b: Destination): boolean {
  const la = locationOf(resolved, a);
  return la !== undefined && la === locationOf(resolved, b);
}

/**
 * Locations selected by `--node`: a location id, a storage key, a member id (server:port[:instance]),
 * "server:instance", or a server name. Throws UsageError (listing the choices) when nothing matches.
 */
export function selectLocations(resolved: ResolvedStorage, query: string): StorageLocation[] {
  const hits = resolved.locations.filter(
    (loc) =>
      loc.id === query ||
      loc.keys.some((k) => k.key === query) ||
      loc.members.some((m) => memberId(m) === query || storageKeysFor(m).includes(query)),
  );
  if (hits.length > 0) return hits;
  const problem = resolved.problems.find(
    (p) => p.key === query || p.members.some((m) => memberId(m) === query || storageKeysFor(m).includes(query)),
  );
  if (problem !== undefined) throw new ConfigError(problem.message, { line: problem.line });
  const choices = resolved.locations.map((l) => l.id).join(', ');
  throw new UsageError(`no storage location for ${JSON.stringify(query)}`, {
    expected: choices === '' ? 'a cluster file with storage entries' : `one of: ${choices}`,
  });
}

/** A location for a directory given on the command line (no cluster file): its id is the path as given. */
export async function pathLocation(path: string): Promise<StorageLocation> {
  const target = await resolveTarget(path.startsWith('ssh://') || isAbsolute(path) ? path : `${process.cwd()}/${path}`);
  if (typeof target === 'string') throw new UsageError(target, { expected: 'an existing directory' });
  return { id: path, ...target, keys: [], members: [] };
}

/** A driver for a location (the ssh driver, and ssh2 with it, is loaded only for ssh:// locations). */
export async function openDriver(loc: StorageLocation, opts: { ssh?: SshOptions } = {}): Promise<StorageDriver> {
  switch (loc.scheme) {
    case 'file':
      return LocalDriver.open(loc.root);
    case 'ssh': {
      const { SshDriver } = await import('./ssh-driver.js');
      return SshDriver.connect(loc.url, opts.ssh);
    }
  }
}

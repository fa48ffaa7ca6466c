// graphite-web local_settings.py: the CarbonLink ring, the readers' fan-out (CLUSTER_SERVERS), the data
// directories it reads and its self-metrics prefix. Values come from the safe evaluator; whatever it cannot
// evaluate is reported, never guessed.
import {
  graphiteWebRing,
  parsePySettings,
  webSetting,
  webStorage,
  type PySettingsFile,
  type WebSetting,
} from '../../config/python/pysettings.js';
import { pyNormpath } from '../../config/python/pytext.js';
import { ConfigError } from '../../errors.js';
import { parseCarbonDestination } from '../../ring/destination.js';
import { makeRingSpec } from '../../ring/spec.js';
import type { Destination, HashType } from '../../ring/types.js';
import { reportDiagnostics, type LintContext } from '../context.js';
import { reportUnparseable, tryParse } from '../rules/config-unparseable.js';
import { reportReplicationExceeds } from '../rules/webapp-replication-exceeds-servers.js';
import { reportUnresolved } from '../rules/webapp-setting-unresolved.js';
import type { HeldRing, LintFile, Webapp, Where } from '../model.js';
import { DEFAULT_GRAPHITE_ROOT } from './carbon.js';

/** A `from x import *` is reported by the evaluator's own Unknowns where it matters. */
const WEBAPP_IGNORED = ['star-import'];

export function readWebapp(ctx: LintContext, f: LintFile): void {
  const ps = tryParse(ctx, f.path, 'local_settings.py cannot be read (graphite-web would not start)', () =>
    parsePySettings(f.text, { file: f.path, env: ctx.env }),
  );
  if (ps === undefined) return;
  reportDiagnostics(ctx, 'local-settings', ps.diagnostics, WEBAPP_IGNORED);
  const w: Webapp = { file: f.path, metricPrefix: { value: 'carbon', where: { file: f.path, line: null } } };

  const ring = webappRing(ctx, ps);
  if (ring !== undefined) w.ring = ring;

  const cs = known(ctx, ps, 'CLUSTER_SERVERS');
  if (cs !== undefined && (cs.value.t === 'list' || cs.value.t === 'tuple')) {
    const hosts: NonNullable<Webapp['clusterServers']>['hosts'] = [];
    cs.value.items.forEach((item, i) => {
      if (item.t !== 'str') return;
      const host = serverHost(item.v);
      if (host !== undefined)
        hosts.push({
          text: item.v,
          host,
          line: cs.value.t === 'list' || cs.value.t === 'tuple' ? (cs.value.lines?.[i] ?? cs.line) : cs.line,
        });
    });
    w.clusterServers = { hosts, where: { file: f.path, line: cs.line } };
  }

  const prefix = known(ctx, ps, 'CARBON_METRIC_PREFIX');
  if (prefix !== undefined && prefix.value.t === 'str')
    w.metricPrefix = { value: prefix.value.v, where: { file: f.path, line: prefix.line } };

  const tagdb = ps.settings.get('TAGDB');
  if (tagdb !== undefined) w.tagdb = { file: f.path, line: tagdb.line };

  const root = ctx.env['GRAPHITE_ROOT'];
  const storage = webStorage(ps, { env: ctx.env, graphiteRoot: root ?? DEFAULT_GRAPHITE_ROOT });
  const sd = storage.standardDirs;
  if (sd.value.t === 'list' || sd.value.t === 'tuple') {
    const paths = sd.value.items.flatMap((x) => (x.t === 'str' && x.v !== '' ? [stripSlash(pyNormpath(x.v))] : []));
    const line = sd.line ?? storage.whisperDir.line ?? storage.storageDir.line;
    w.dataDirs = { paths, where: { file: f.path, line } };
    if (sd.source !== 'file' && storage.whisperDir.source !== 'file' && storage.storageDir.source !== 'file' && root === undefined) {
      w.dataDirs.assumed = `graphite-web's default (GRAPHITE_ROOT assumed ${DEFAULT_GRAPHITE_ROOT} unless --env GRAPHITE_ROOT=… is given)`;
    }
  } else if (sd.value.t === 'unknown') {
    unresolved(ctx, f.path, sd);
  }
  ctx.webapps.push(w);
}

function stripSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/** A setting's value when it can be evaluated; an Unknown is reported as webapp-setting-unresolved. */
function known(ctx: LintContext, ps: PySettingsFile, name: string): WebSetting | undefined {
  const w = webSetting(ps, name);
  if (w.value.t === 'unknown') {
    unresolved(ctx, ps.file, w);
    return undefined;
  }
  return w;
}

function unresolved(ctx: LintContext, file: string, w: WebSetting): void {
  reportUnresolved(ctx, file, w);
}

/** The host part of a CLUSTER_SERVERS entry: "host:port", "host", "[v6]:port" or a URL. */
export function serverHost(entry: string): string | undefined {
  let s = entry.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(s);
  if (scheme) s = s.slice(scheme[0].length);
  s = s.split(/[/?#]/, 1)[0]!;
  const at = s.lastIndexOf('@');
  if (at >= 0) s = s.slice(at + 1);
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    return close > 1 ? s.slice(1, close) : undefined;
  }
  const colon = s.indexOf(':');
  const host = colon < 0 ? s : s.slice(0, colon);
  return host === '' ? undefined : host;
}

function webappRing(ctx: LintContext, ps: PySettingsFile): HeldRing | undefined {
  const file = ps.file;
  const hosts = webSetting(ps, 'CARBONLINK_HOSTS');
  if (hosts.value.t === 'unknown') {
    unresolved(ctx, file, hosts);
    return undefined;
  }
  for (const name of ['CARBONLINK_HASHING_TYPE', 'REPLICATION_FACTOR']) {
    const w = webSetting(ps, name);
    if (w.value.t === 'unknown') {
      unresolved(ctx, file, w);
      return undefined;
    }
  }
  const where = (w: WebSetting): Where => ({ file, line: w.line });
  const base = {
    role: 'webapp' as const,
    holder: 'graphite-web' as const,
    label: `${file} CARBONLINK_HOSTS`,
    file,
    members: where(hosts),
    membersName: 'CARBONLINK_HOSTS',
    hash: where(webSetting(ps, 'CARBONLINK_HASHING_TYPE')),
    replication: where(webSetting(ps, 'REPLICATION_FACTOR')),
  };
  try {
    const r = graphiteWebRing(ps);
    reportDiagnostics(ctx, 'local-settings', r.diagnostics, WEBAPP_IGNORED);
    return { ...base, spec: r.spec };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return fallbackRing(ctx, ps, e, base);
  }
}

/**
 * graphiteWebRing refuses a REPLICATION_FACTOR above the distinct servers (graphite-web raises on first
 * use). That is its own finding; the members are still worth comparing, so the ring is rebuilt with the
 * replication capped. Every other refusal is reported as is.
 */
function fallbackRing(ctx: LintContext, ps: PySettingsFile, err: ConfigError, base: Omit<HeldRing, 'spec'>): HeldRing | undefined {
  const file = ps.file;
  const hosts = webSetting(ps, 'CARBONLINK_HOSTS').value;
  const rf = webSetting(ps, 'REPLICATION_FACTOR');
  const ht = webSetting(ps, 'CARBONLINK_HASHING_TYPE').value;
  let destinations: Destination[] | undefined;
  if ((hosts.t === 'list' || hosts.t === 'tuple') && hosts.items.every((x) => x.t === 'str')) {
    try {
      destinations = hosts.items.map((x, i) =>
        parseCarbonDestination((x as { v: string }).v, { file, line: hosts.lines?.[i] ?? base.members.line ?? undefined }),
      );
    } catch {
      destinations = undefined;
    }
  }
  const servers = new Set(destinations?.map((d) => d.server) ?? []);
  if (destinations !== undefined && rf.value.t === 'int' && Number(rf.value.v) > servers.size && servers.size > 0) {
    const n = Number(rf.value.v);
    reportReplicationExceeds(ctx, file, n, [...servers], { file, line: rf.line }, base.members);
    const hash: HashType = ht.t === 'str' && (ht.v === 'fnv1a_ch' || ht.v === 'mmh3_ch') ? ht.v : 'carbon_ch';
    const spec = makeRingSpec({
      impl: 'graphite-web',
      hash,
      destinations,
      replication: servers.size,
      diverse: true,
      sanitize: false,
      origin: { file, format: 'graphite-web' },
    });
    return { ...base, spec };
  }
  reportUnparseable(ctx, file, err, 'graphite-web cannot build its CarbonLink ring');
  return undefined;
}

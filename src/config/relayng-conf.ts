// carbon-relay-ng's TOML config (configs.md §5): the ${HOST} expansion it does before parsing, the top-level
// settings, and every route with its matchers and destinations, from [[route]] tables and from the
// imperative `init.cmds` (`addRoute <type> <key> [matchers]  <dest opts>  <dest opts>`). smol-toml gives no
// positions, so lines are found by searching the text.
import { parse as parseToml, TomlError } from 'smol-toml';
import { ConfigError } from '../errors.js';
import { goRegExp } from '../ring/relayng-router.js';
import type { RelayngAggregatorModel } from '../ring/types.js';
import { DiagnosticSink, type ConfigDiagnostic } from './diagnostics.js';

export const RELAYNG_ROUTE_TYPES = [
  'sendAllMatch',
  'sendFirstMatch',
  'consistentHashing',
  'consistentHashing-v2',
  'grafanaNet',
  'kafkaMdm',
  'pubsub',
] as const;

export interface RelayngDestination {
  /** The whole string as written. */
  text: string;
  line: number | null;
  /** host:port[:instance] */
  address: string;
  host: string;
  port: number | null;
  /** Present only when the address has exactly two colons. */
  instance: string | null;
  options: Record<string, string>;
}

export interface RelayngRoute {
  key: string;
  type: string;
  line: number | null;
  /** 'table' for [[route]], 'init' for an init.cmds addRoute. */
  from: 'table' | 'init';
  matchers: Partial<Record<'prefix' | 'notPrefix' | 'sub' | 'notSub' | 'regex' | 'notRegex', string>>;
  destinations: RelayngDestination[];
}

export interface RelayngConf {
  file: string;
  /** The text after ${HOST} / ${GRAFANA_NET_*} expansion. */
  expanded: string;
  settings: Record<string, unknown>;
  routes: RelayngRoute[];
  /** init.cmds addAgg aggregators, in order (the relay adds them before the [[aggregation]] tables). */
  initAggregators: RelayngAggregatorModel[];
  diagnostics: ConfigDiagnostic[];
}

export interface RelayngOptions {
  /** Short host name for $HOST (default: left as the literal "$HOST"). */
  hostname?: string;
  /** Environment for GRAFANA_NET_* (never process.env implicitly). */
  env?: Readonly<Record<string, string>>;
}

/** os.Expand with the relay's mapping: HOST and GRAFANA_NET_* are substituted, any other ${X} becomes $X. */
export function expandRelayngVars(text: string, opts: RelayngOptions = {}): string {
  return text.replace(/\$(?:\{([^}]*)\}|([A-Za-z0-9_]+))/g, (_m, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    if (name === 'HOST') return opts.hostname ?? '$HOST';
    if (name.startsWith('GRAFANA_NET_')) return opts.env?.[name] ?? '';
    return '$' + name;
  });
}

export function parseRelayngConf(text: string, file: string, opts: RelayngOptions = {}): RelayngConf {
  const expanded = expandRelayngVars(text, opts);
  let toml: Record<string, unknown>;
  try {
    toml = parseToml(expanded) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) throw new ConfigError(`TOML: ${e.message.split('\n')[0]}`, { file, line: e.line, expected: 'valid TOML' });
    throw e;
  }
  const sink = new DiagnosticSink(file);
  const lines = expanded.split(/\r?\n/);
  const routes: RelayngRoute[] = [];

  const routeHeaders = lines.flatMap((l, i) => (/^\s*\[\[\s*route\s*\]\]/.test(l) ? [i + 1] : []));
  const tables = Array.isArray(toml['route']) ? (toml['route'] as Record<string, unknown>[]) : [];
  tables.forEach((t, i) => {
    const line = routeHeaders[i] ?? null;
    const nextHeader = lines.findIndex((l, j) => j + 1 > (line ?? 0) && /^\s*\[/.test(l));
    const end = nextHeader < 0 ? lines.length : nextHeader;
    const route: RelayngRoute = {
      key: String(t['key'] ?? ''),
      type: String(t['type'] ?? ''),
      line,
      from: 'table',
      matchers: {},
      destinations: [],
    };
    for (const m of ['prefix', 'notPrefix', 'sub', 'notSub', 'regex', 'notRegex'] as const) {
      if (typeof t[m] === 'string' && t[m] !== '') route.matchers[m] = t[m] as string;
    }
    const dests = Array.isArray(t['destinations']) ? (t['destinations'] as unknown[]) : [];
    for (const d of dests) {
      if (typeof d !== 'string') continue;
      const at = lines.findIndex((l, j) => j >= (line ?? 1) - 1 && j < end && l.includes(d));
      route.destinations.push(parseRelayngDestination(d, at < 0 ? line : at + 1));
    }
    routes.push(route);
  });

  // cfg.InitTable runs init.cmds before the tables: their routes and aggregators come first
  const init = toml['init'] as Record<string, unknown> | undefined;
  const cmds = Array.isArray(init?.['cmds']) ? (init!['cmds'] as unknown[]) : [];
  const initRoutes: RelayngRoute[] = [];
  const initAggregators: RelayngAggregatorModel[] = [];
  for (const c of cmds) {
    if (typeof c !== 'string') continue;
    const at = lines.findIndex((l) => l.includes(c));
    if (/^\s*addRoute\s/.test(c)) {
      const r = parseAddRoute(c, at < 0 ? null : at + 1, sink);
      if (r) initRoutes.push(r);
    } else if (/^\s*addAgg\s/.test(c)) {
      initAggregators.push(parseAddAgg(c, at < 0 ? null : at + 1, file));
    }
  }
  routes.unshift(...initRoutes);

  for (const r of routes) checkRoute(r, sink);
  const settings: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(toml)) if (k !== 'route') settings[k] = v;
  return { file, expanded, settings, routes, initAggregators, diagnostics: sink.items };
}

/** imperatives.readAddAgg's functions (percentiles exists only in [[aggregation]] tables). */
const ADDAGG_FUNCTIONS = ['avg', 'max', 'min', 'sum', 'last', 'count', 'delta', 'derive', 'stdev'];
const ADDAGG_MATCHERS = ['prefix', 'notPrefix', 'sub', 'notSub', 'regex', 'notRegex'] as const;

/**
 * `addAgg <func> [<regex>] [prefix=|notPrefix=|sub=|notSub=|regex=|notRegex=…] <fmt> <interval> <wait>
 * [cache=true|false] [dropRaw=true|false]` as imperatives.readAddAgg reads it (a bare word right after the
 * function is the old raw-regex syntax); what it refuses, the relay refuses at startup.
 */
function parseAddAgg(cmd: string, line: number | null, file: string): RelayngAggregatorModel {
  const fail = (why: string): never => {
    throw new ConfigError(`init.cmds ${JSON.stringify(cmd)}: ${why}`, {
      file,
      ...(line !== null ? { line } : {}),
      expected:
        'addAgg <avg|count|delta|derive|last|max|min|stdev|sum> [prefix/sub/regex=,..] <fmt> <interval> <wait> [cache=true/false] [dropRaw=true/false]',
    });
  };
  const words = cmd.trim().split(/\s+/).slice(1);
  const fn = words.shift() ?? '';
  if (!ADDAGG_FUNCTIONS.includes(fn)) fail('invalid function. need avg/max/min/sum/last/count/delta/derive/stdev');
  const optOf = (w: string): (typeof ADDAGG_MATCHERS)[number] | undefined => ADDAGG_MATCHERS.find((k) => w.startsWith(`${k}=`));
  const matcher: RelayngAggregatorModel['matcher'] = {};
  if (words[0] !== undefined && optOf(words[0]) === undefined) matcher.regex = words.shift()!;
  let w = words.shift();
  for (; w !== undefined && optOf(w) !== undefined; w = words.shift()) {
    const k = optOf(w)!;
    const v = w.slice(k.length + 1);
    if (v === '') fail(`${k}= needs a value`);
    matcher[k] = v;
  }
  if (matcher.regex === undefined) fail('need a regex string');
  try {
    goRegExp(matcher.regex!);
  } catch (e) {
    fail(`Failed to instantiate matcher: ${(e as Error).message}`);
  }
  if (w === undefined) fail('need a format string');
  const number = (what: string): number => {
    const t = words.shift();
    if (t === undefined || !/^[0-9]+$/.test(t)) fail(`need ${what} number`);
    return Number(t);
  };
  const interval = number('an interval');
  const wait = number('a wait');
  let dropRaw = false;
  for (const t of words) {
    const m = /^(cache|dropRaw)=(true|false)$/.exec(t);
    if (m === null) fail(`unexpected ${JSON.stringify(t)}`);
    if (m![1] === 'dropRaw') dropRaw = m![2] === 'true';
  }
  if (interval < 1) fail('interval 0 (the relay divides by it)');
  return { line, fn, matcher, format: w!, interval, wait, dropRaw };
}

/** "host:port[:instance] opt=val ..." */
export function parseRelayngDestination(text: string, line: number | null): RelayngDestination {
  const [address = '', ...opts] = text.trim().split(/\s+/);
  const parts = address.split(':');
  const options: Record<string, string> = {};
  for (const o of opts) {
    const eq = o.indexOf('=');
    if (eq > 0) options[o.slice(0, eq)] = o.slice(eq + 1);
  }
  const port = parts.length >= 2 && /^[0-9]+$/.test(parts[1]!) ? Number(parts[1]) : null;
  return { text, line, address, host: parts[0] ?? '', port, instance: parts.length === 3 ? parts[2]! : null, options };
}

/** `addRoute <type> <key> [prefix=… sub=… regex=…]  <dest> [opts]  <dest> [opts]` (two spaces between destinations). */
function parseAddRoute(cmd: string, line: number | null, sink: DiagnosticSink): RelayngRoute | undefined {
  const groups = cmd.trim().split(/ {2,}/);
  const head = groups[0]!.split(/\s+/);
  const [, type = '', key = '', ...matcherWords] = head;
  const route: RelayngRoute = { key, type, line, from: 'init', matchers: {}, destinations: [] };
  for (const w of matcherWords) {
    const eq = w.indexOf('=');
    const name = w.slice(0, eq);
    if (eq > 0 && ['prefix', 'notPrefix', 'sub', 'notSub', 'regex', 'notRegex'].includes(name)) {
      route.matchers[name as keyof RelayngRoute['matchers']] = w.slice(eq + 1);
    } else {
      sink.warn(
        'relayng-init-syntax',
        line,
        `addRoute: unexpected ${JSON.stringify(w)} before the destinations (two spaces separate the route options from each destination)`,
      );
    }
  }
  for (const g of groups.slice(1)) route.destinations.push(parseRelayngDestination(g, line));
  return route;
}

function checkRoute(r: RelayngRoute, sink: DiagnosticSink): void {
  if (!(RELAYNG_ROUTE_TYPES as readonly string[]).includes(r.type)) {
    sink.error(
      'relayng-route-type',
      r.line,
      `route ${JSON.stringify(r.key)}: unknown type ${JSON.stringify(r.type)}; the relay refuses the config`,
      {
        key: r.key,
        expected: RELAYNG_ROUTE_TYPES,
      },
    );
  }
  if ((r.type === 'consistentHashing' || r.type === 'consistentHashing-v2') && r.destinations.length < 2) {
    sink.error('relayng-ch-destinations', r.line, `route ${JSON.stringify(r.key)}: ${r.type} needs at least 2 destinations`, {
      key: r.key,
    });
  }
  for (const d of r.destinations) {
    if (d.port === null && !['grafanaNet', 'kafkaMdm', 'pubsub'].includes(r.type)) {
      sink.warn('relayng-destination', d.line, `route ${JSON.stringify(r.key)}: destination ${JSON.stringify(d.address)} has no port`, {
        key: r.key,
      });
    }
    if (d.address.split(':').length > 3) {
      sink.warn('relayng-ipv6', d.line, `route ${JSON.stringify(r.key)}: ${d.address}: carbon-relay-ng cannot use IPv6 addresses`, {
        key: r.key,
      });
    }
  }
}

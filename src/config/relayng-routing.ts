// carbon-relay-ng's config as a placement model: the routes relayng-conf.ts reads, plus the blocklist
// (`blocklist`, and the older `blacklist`: "prefix|notPrefix|sub|notSub|regex|notRegex VALUE") and the
// [[rewriter]] tables (old, new, not, max) and the [[aggregation]] tables (function, prefix/notPrefix/sub
// (or the older substr)/notSub/regex, format, interval, wait, dropRaw: cfg.Aggregation, keys matched
// case-insensitively as BurntSushi's TOML decoder does), in the order cfg/table.go applies them. Routes
// that are not carbon (grafanaNet, kafkaMdm, pubsub) have no members; their matches are still named.
import { ConfigError } from '../errors.js';
import { goRegExp } from '../ring/relayng-router.js';
import { makeRingSpec } from '../ring/spec.js';
import type {
  Destination,
  RelayngAggregatorModel,
  RelayngMatcherModel,
  RelayngRewriterModel,
  RelayngRouteModel,
  RingSpec,
} from '../ring/types.js';
import type { ConfigDiagnostic } from './diagnostics.js';
import { parseRelayngConf, type RelayngOptions } from './relayng-conf.js';

const MATCHER_KEYS = ['prefix', 'notPrefix', 'sub', 'notSub', 'regex', 'notRegex'] as const;
const CARBON_ROUTES = ['sendAllMatch', 'sendFirstMatch', 'consistentHashing', 'consistentHashing-v2'];

function blocklistMatcher(entry: string, i: number, file: string): RelayngMatcherModel {
  const sp = entry.indexOf(' ');
  if (sp < 0)
    throw new ConfigError(`invalid blocklist cmd #${i + 1}: ${JSON.stringify(entry)}`, {
      file,
      expected: '"prefix VALUE", "sub VALUE", "regex VALUE", …',
    });
  const method = entry.slice(0, sp);
  if (!(MATCHER_KEYS as readonly string[]).includes(method)) {
    throw new ConfigError(`invalid blocklist method for cmd #${i + 1}: ${method}`, { file, expected: MATCHER_KEYS.join(', ') });
  }
  return { [method]: entry.slice(sp + 1) };
}

/** aggregator.GetProcessorConstructor: any other function makes the relay refuse the config. */
const AGGREGATION_FUNCTIONS = ['avg', 'count', 'delta', 'derive', 'last', 'max', 'min', 'stdev', 'sum', 'percentiles'];

/** cfg.InitAggregation over the [[aggregation]] tables; `lines` finds each table's header line. */
function aggregators(s: Record<string, unknown>, text: string, file: string): RelayngAggregatorModel[] {
  const tables = Array.isArray(s['aggregation']) ? (s['aggregation'] as Record<string, unknown>[]) : [];
  const headers = text.split(/\r?\n/).flatMap((l, i) => (/^\s*\[\[\s*aggregation\s*\]\]/.test(l) ? [i + 1] : []));
  return tables.map((t, i) => {
    const line = headers[i] ?? null;
    // BurntSushi/toml matches keys to the struct's fields case-insensitively
    const get = (k: string): unknown => t[Object.keys(t).find((x) => x.toLowerCase() === k.toLowerCase()) ?? k];
    const str = (k: string): string => (typeof get(k) === 'string' ? (get(k) as string) : '');
    const num = (k: string): number => (typeof get(k) === 'number' ? (get(k) as number) : 0);
    const where = { file, ...(line !== null ? { line } : {}) };
    const fn = str('function');
    if (!AGGREGATION_FUNCTIONS.includes(fn)) {
      throw new ConfigError(`could not add aggregation #${i + 1}: no such aggregation function ${JSON.stringify(fn)}`, {
        ...where,
        expected: AGGREGATION_FUNCTIONS.join(', '),
      });
    }
    const matcher: RelayngMatcherModel = {};
    for (const [k, v] of [
      ['prefix', str('prefix')],
      ['notPrefix', str('notPrefix')],
      ['sub', str('sub') !== '' ? str('sub') : str('substr')],
      ['notSub', str('notSub')],
      ['regex', str('regex')],
    ] as const) {
      if (v !== '') matcher[k] = v;
    }
    if (matcher.regex === undefined) {
      throw new ConfigError(
        `aggregation #${i + 1} has no regex: carbon-relay-ng expands its format with a nil regex and crashes on the first metric it sees`,
        {
          ...where,
          expected: "regex = '^…(group)…' with the format's $1, $2, …",
        },
      );
    }
    try {
      goRegExp(matcher.regex);
    } catch (e) {
      throw new ConfigError(`Failed to instantiate matcher: aggregation #${i + 1}: ${(e as Error).message}`, {
        ...where,
        expected: 'a valid regex',
      });
    }
    const interval = num('interval');
    if (!Number.isInteger(interval) || interval < 1) {
      throw new ConfigError(`aggregation #${i + 1}: interval ${interval} (the relay divides by it)`, {
        ...where,
        expected: 'interval = seconds >= 1',
      });
    }
    return { line, fn, matcher, format: str('format'), interval, wait: num('wait'), dropRaw: get('dropRaw') === true };
  });
}

/** The relay's placement model from its TOML config. */
export function relayngRing(text: string, file: string, opts: RelayngOptions = {}): { spec: RingSpec; diagnostics: ConfigDiagnostic[] } {
  const conf = parseRelayngConf(text, file, opts);
  const s = conf.settings;
  const list = (k: string): string[] => (Array.isArray(s[k]) ? (s[k] as unknown[]).filter((x): x is string => typeof x === 'string') : []);
  const blocklist = [...list('blocklist'), ...list('blacklist')].map((e, i) => blocklistMatcher(e, i, file));
  const rewriters: RelayngRewriterModel[] = (Array.isArray(s['rewriter']) ? (s['rewriter'] as Record<string, unknown>[]) : []).map(
    (r, i) => {
      const old = String(r['old'] ?? '');
      const max = typeof r['max'] === 'number' ? r['max'] : 0;
      if (old === '') throw new ConfigError(`could not add rewriter #${i + 1}: 'old' is empty`, { file, expected: "a non-empty 'old'" });
      return { old, new: String(r['new'] ?? ''), not: String(r['not'] ?? ''), max };
    },
  );
  const aggs = [...conf.initAggregators, ...aggregators(s, conf.expanded, file)];
  const members: Destination[] = [];
  const routes: RelayngRouteModel[] = conf.routes.map((r) => ({
    key: r.key,
    type: r.type,
    line: r.line,
    matcher: { ...r.matchers },
    destinations: CARBON_ROUTES.includes(r.type)
      ? r.destinations.map((d) => {
          const member: Destination = { server: d.host, port: d.port ?? 2003, instance: d.instance };
          if (d.line !== null) member.line = d.line;
          members.push(member);
          const matcher: RelayngMatcherModel = {};
          for (const k of MATCHER_KEYS) if (d.options[k] !== undefined) matcher[k] = d.options[k];
          const addr = d.instance === null ? d.address : d.address.slice(0, d.address.lastIndexOf(':'));
          return { member, addr, instance: d.instance ?? '', matcher };
        })
      : [],
  }));
  if (members.length === 0) {
    throw new ConfigError('no route sends to a carbon destination', {
      file,
      expected: 'a sendAllMatch, sendFirstMatch or consistentHashing route',
    });
  }
  const spec = makeRingSpec({
    impl: 'carbon',
    destinations: members,
    routing: { kind: 'relayng', file, blocklist, rewriters, aggregators: aggs, routes },
    origin: { file, format: 'carbon-relay-ng' },
  });
  return { spec, diagnostics: conf.diagnostics };
}

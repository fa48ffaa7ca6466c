// carbon-relay-ng's config as a placement model: the routes relayng-conf.ts reads, plus the blocklist
// (`blocklist`, and the older `blacklist`: "prefix|notPrefix|sub|notSub|regex|notRegex VALUE") and the
// [[rewriter]] tables (old, new, not, max), in the order cfg/table.go applies them. Routes that are not
// carbon (grafanaNet, kafkaMdm, pubsub) have no members; their matches are still named.
import { ConfigError } from '../errors.js';
import { makeRingSpec } from '../ring/spec.js';
import type { Destination, RelayngMatcherModel, RelayngRewriterModel, RelayngRouteModel, RingSpec } from '../ring/types.js';
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
    routing: { kind: 'relayng', file, blocklist, rewriters, routes },
    origin: { file, format: 'carbon-relay-ng' },
  });
  return { spec, diagnostics: conf.diagnostics };
}

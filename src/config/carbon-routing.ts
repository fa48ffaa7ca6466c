// carbon-relay's placement when RELAY_METHOD is not a bare ring: `rules` reads relay-rules.conf and
// `aggregated-consistent-hashing` / `fast-aggregated-hashing` read aggregation-rules.conf, both from
// CONF_DIR (the directory of carbon.conf) unless carbon-relay's --rules / --aggregation-rules say
// otherwise (configs.md §1.6-1.7). The rules go onto the RingSpec as its routing model
// (src/ring/rule-routers.ts), so every ring command places names as the relay does.
import { readFileSync } from 'node:fs';
import type { Destination, RelayRuleModel, RingSpec, RoutingModel } from '../ring/types.js';
import { ConfigError } from '../errors.js';
import { amqpCaches } from './carbon-amqp.js';
import { carbonRing, carbonValueText, type CarbonConf, type CarbonRingOptions } from './carbon-conf.js';
import { parseAggregationRules, parseRelayRules, type AggregationRules, type RelayRules } from './carbon-rules.js';
import type { ConfigDiagnostic } from './diagnostics.js';
import { pyJoin } from './python/pytext.js';

export interface CarbonRoutingOptions extends CarbonRingOptions {
  /** carbon-relay --rules FILE (default CONF_DIR/RELAY_RULES). */
  relayRules?: string | undefined;
  /** carbon-relay --aggregation-rules FILE (default CONF_DIR/AGGREGATION_RULES). */
  aggregationRules?: string | undefined;
  /** How to read a rules file (tests); undefined when it does not exist. */
  readText?: (path: string) => string | undefined;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read ${path}: ${(e as Error).message}`, { file: path, expected: 'a readable rules file' });
  }
}

/** The relay's ring spec with its routing model (rules or aggregation), and what is worth telling about it. */
export function carbonRoutedRing(conf: CarbonConf, opts: CarbonRoutingOptions = {}): { spec: RingSpec; diagnostics: ConfigDiagnostic[] } {
  const amqp = amqpNote(conf, opts);
  if (amqp !== undefined && opts.cluster === undefined && !conf.sections.includes('relay')) {
    throw new ConfigError(`${amqp.text}; this file has no [relay], and a carbon.conf does not name the host it runs on`, {
      file: conf.file,
      line: amqp.line ?? undefined,
      expected:
        "a cluster file listing each cache host's carbon.conf (ring: { amqp: { hosts: { HOST: carbon.conf } } }), or a relay's carbon.conf",
    });
  }
  const ring = carbonRing(conf, { ...opts, rulesRelay: true });
  if (amqp !== undefined) {
    ring.diagnostics.push({
      file: conf.file,
      line: amqp.line,
      severity: 'info',
      code: 'amqp-caches',
      message: `${amqp.text}; this ring is the relay's. The topic bindings decide which caches store what arrives through the exchange: list each cache host's carbon.conf in a cluster file (ring.amqp.hosts) to model them`,
    });
  }
  const { spec, method, settings } = ring;
  if (settings.program !== 'relay') return ring;
  const read = opts.readText ?? readIfExists;
  const setting = (k: string): string => carbonValueText(settings.settings.get(k)!.value);
  const confDir = setting('CONF_DIR');
  const methodLine = settings.settings.get('RELAY_METHOD')?.line;
  if (method === 'rules') {
    const path = opts.relayRules ?? pyJoin(confDir, setting('RELAY_RULES'));
    const text = read(path);
    if (text === undefined) {
      throw new ConfigError(`RELAY_METHOD = rules reads ${path}, which does not exist: carbon-relay exits at startup`, {
        file: conf.file,
        line: methodLine,
        expected: 'relay-rules.conf beside carbon.conf (or --relay-rules FILE)',
      });
    }
    const rules = parseRelayRules(text, path);
    return { spec: { ...spec, routing: relayRulesModel(rules) }, diagnostics: [...ring.diagnostics, ...rules.diagnostics] };
  }
  if (method === 'aggregated-consistent-hashing' || method === 'fast-aggregated-hashing') {
    const path = opts.aggregationRules ?? pyJoin(confDir, setting('AGGREGATION_RULES'));
    const text = read(path);
    if (text === undefined) {
      // RuleManager.read_rules: a missing file means no rules, every metric hashed by its own name.
      const note = `${path} does not exist: carbon-relay aggregates nothing`;
      return { spec: { ...spec, routing: { kind: 'aggregation', file: path, rules: [], note } }, diagnostics: ring.diagnostics };
    }
    const rules = parseAggregationRules(text, path);
    return { spec: { ...spec, routing: aggregationModel(rules) }, diagnostics: [...ring.diagnostics, ...rules.diagnostics] };
  }
  return ring;
}

/** What to say about the AMQP consumers among this file's carbon-caches (undefined when there are none). */
function amqpNote(conf: CarbonConf, opts: CarbonRoutingOptions): { text: string; line: number | null } | undefined {
  const line = (): number | null => {
    for (const s of ['cache', ...conf.sections.filter((x) => x.startsWith('cache:'))]) {
      const o = conf.ini.sections.find((x) => x.name === s)?.options.get('enable_amqp');
      if (o !== undefined) return o.line;
    }
    return null;
  };
  try {
    const caches = amqpCaches(conf, 'HOST', opts.env !== undefined ? { env: opts.env } : {});
    if (caches.length === 0) return undefined;
    const which = caches.map((c) => `[${c.sections.join('] + [')}]`).join(', ');
    const text = `${which} ${caches.length === 1 ? 'consumes' : 'consume'} metrics from the AMQP exchange ${caches[0]!.exchange} (ENABLE_AMQP = True)`;
    return { text, line: line() };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { text: e.message, line: e.line ?? line() };
  }
}

/** relay-rules.conf as the routing model: rule order as loadRelayRules builds it (default last). */
export function relayRulesModel(rules: RelayRules): RoutingModel {
  const out: RelayRuleModel[] = rules.rules.map((r) => {
    const m: RelayRuleModel = {
      name: r.name,
      line: r.line,
      pattern: r.pattern?.regex ?? null,
      continueMatching: r.continueMatching,
      destinations: r.destinations.map((d): Destination => d.destination),
    };
    if (r.pattern !== undefined && r.pattern.regex === undefined) {
      m.unsupported = `pattern ${JSON.stringify(r.pattern.text)} cannot be evaluated here (${r.pattern.error ?? 'untranslatable regex'})`;
    }
    return m;
  });
  return { kind: 'relay-rules', file: rules.file, rules: out };
}

/** aggregation-rules.conf as the routing model. */
export function aggregationModel(rules: AggregationRules): RoutingModel {
  return {
    kind: 'aggregation',
    file: rules.file,
    rules: rules.rules.map((r) => ({ line: r.line, text: r.text, regex: r.regex, output: r.output })),
  };
}

// carbon.conf and its rule files, as the linter needs them: relay rings (carbon-relay, carbon-aggregator),
// relays that route by rules, every process's effective ports and paths, and the parser's hazards.
import { isAbsolute } from 'node:path';
import {
  carbonRing,
  carbonValueText,
  effectiveSettings,
  parseCarbonConf,
  type CarbonConf,
  type CarbonSetting,
  type EffectiveSettings,
} from '../../config/carbon-conf.js';
import { parseAggregationRules, parseRelayRules, parseRewriteRules } from '../../config/carbon-rules.js';
import type { ConfigDiagnostic } from '../../config/diagnostics.js';
import { pyJoin, pyNormpath } from '../../config/python/pytext.js';
import { ConfigError } from '../../errors.js';
import { parseCarbonDestination } from '../../ring/destination.js';
import type { Destination } from '../../ring/types.js';
import { reportDiagnostics, tryParse, type DiagnosticRoute, type LintContext } from '../context.js';
import type { CarbonProcess, HeldRing, LintFile, PortSetting, Where } from '../model.js';

/** Where carbon lives when neither the file nor --env says (the documented install root). */
export const DEFAULT_GRAPHITE_ROOT = '/opt/graphite';

export function carbonEnv(ctx: LintContext): Record<string, string> {
  return { GRAPHITE_ROOT: DEFAULT_GRAPHITE_ROOT, ...ctx.env };
}

const str = (d: ConfigDiagnostic, k: string): string | undefined => (typeof d.data?.[k] === 'string' ? (d.data[k] as string) : undefined);

export const CARBON_DIAGNOSTICS: Readonly<Record<string, DiagnosticRoute | null>> = {
  'inline-comment': {
    rule: 'carbon-inline-comment',
    fix: (d) => `move ${JSON.stringify(str(d, 'comment') ?? '# …')} to a line of its own above ${str(d, 'key') ?? 'the key'}`,
  },
  interpolation: {
    rule: 'carbon-percent-interpolation',
    fix: 'write a literal % as %%, and refer only to keys of the same section or [DEFAULT] with %(name)s',
  },
  'unknown-key': {
    rule: 'carbon-unknown-key',
    fix: (d) => {
      const s = Array.isArray(d.data?.['suggestions']) ? (d.data['suggestions'] as string[]) : [];
      return s.length > 0 ? `rename it to ${s[0]}` : 'remove it, or correct the name (see carbon.conf.example)';
    },
  },
  'host-port-key': {
    rule: 'carbon-destination-as-key',
    fix: (d) => `indent this line so it continues ${str(d, 'continues') ?? 'DESTINATIONS'} (and keep the comma on the line before)`,
  },
  'host-port-section': { rule: 'carbon-destination-as-key', fix: 'indent the line so it continues the previous value' },
  'bad-boolean': { rule: 'carbon-bad-value', fix: 'use True or False' },
  'non-numeric': {
    rule: 'carbon-bad-value',
    fix: (d) => `give ${str(d, 'key') ?? 'the key'} a plain number (comments go on their own line)`,
  },
  'empty-destination': { rule: 'carbon-bad-value', fix: 'remove the stray comma' },
  'bad-destination': { rule: 'carbon-bad-value', fix: 'write each destination as host:port[:instance] ([v6]:port[:instance] for IPv6)' },
  'unknown-hash-type': {
    rule: 'carbon-unknown-hash-type',
    fix: (d) => {
      const s = Array.isArray(d.data?.['suggestions']) ? (d.data['suggestions'] as string[]) : [];
      return s.length > 0
        ? `set ROUTER_HASH_TYPE = ${s[0]} (or remove the key for carbon_ch)`
        : 'set ROUTER_HASH_TYPE to carbon_ch, fnv1a_ch or mmh3_ch';
    },
  },
  'unknown-relay-method': {
    rule: 'carbon-unknown-relay-method',
    fix: (d) => {
      const s = Array.isArray(d.data?.['suggestions']) ? (d.data['suggestions'] as string[]) : [];
      return s.length > 0
        ? `set RELAY_METHOD = ${s[0]}`
        : 'use rules, consistent-hashing, aggregated-consistent-hashing, fast-hashing or fast-aggregated-hashing';
    },
  },
  'section-name-spaces': { rule: 'carbon-section-ignored', fix: 'remove the spaces inside the brackets' },
  'unknown-section': {
    rule: 'carbon-section-ignored',
    fix: 'rename the section to [cache], [relay], [aggregator] or [<program>:<instance>], or remove it',
  },
  'instance-storage-dir': { rule: 'instance-storage-dir', fix: 'set LOCAL_DATA_DIR (and PID_DIR, LOG_DIR) in the instance section too' },
  'duplicate-destination': { rule: 'duplicate-ring-member', fix: 'give each cache on one server its own instance name' },
  'repeated-destination': { rule: 'duplicate-ring-member', fix: 'remove the repeated destination' },
  'dynamic-router': {
    rule: 'dynamic-routing-strays',
    fix: 'nothing to change if intended; run the misplacement scan after an outage and fold the strays back',
  },
  'aggregated-routing': null,
  'default-key': null,
};

const RULE_FILE_DIAGNOSTICS: Readonly<Record<string, DiagnosticRoute | null>> = {
  'ignored-rule': { rule: 'relay-rules-invalid', severity: 'warning', fix: "add 'pattern = …' or 'default = true', or remove the section" },
};

export function readCarbonConf(ctx: LintContext, f: LintFile): void {
  const conf = tryParse(ctx, f.path, 'carbon.conf is refused by configparser', () => parseCarbonConf(f.text, f.path));
  if (conf === undefined) return;
  reportDiagnostics(ctx, conf.diagnostics, CARBON_DIAGNOSTICS);
  ctx.carbonConfs.push({ file: f.path, conf });
  for (const program of ['relay', 'aggregator'] as const) {
    for (const instance of programInstances(conf, program)) readRelayProcess(ctx, f, conf, program, instance);
  }
}

/**
 * The instances of a program the file configures: one per [program:X] section; the plain [program] alone
 * is instance a (carbon's default --instance).
 */
export function programInstances(conf: CarbonConf, program: string): string[] {
  if (!conf.sections.includes(program)) return [];
  const named = conf.sections.filter((s) => s.startsWith(`${program}:`)).map((s) => s.slice(program.length + 1));
  return named.length === 0 ? ['a'] : named;
}

function settingWhere(file: string, s: CarbonSetting | undefined, fallback: number | null): Where {
  return { file, line: s?.line ?? fallback };
}

function sectionLine(conf: CarbonConf, name: string): number | null {
  return conf.ini.sections.find((s) => s.name === name)?.line ?? null;
}

function readRelayProcess(ctx: LintContext, f: LintFile, conf: CarbonConf, program: 'relay' | 'aggregator', instance: string): void {
  const env = carbonEnv(ctx);
  const eff = tryParse(ctx, f.path, `carbon-${program} refuses [${program}]`, () => effectiveSettings(conf, program, instance, { env }));
  if (eff === undefined) return;
  const ownSection = conf.sections.includes(`${program}:${instance}`) ? `${program}:${instance}` : program;
  const secLine = sectionLine(conf, ownSection) ?? sectionLine(conf, program);
  ctx.processes.push(carbonProcess(f.path, conf, eff, program, instance));
  const method = carbonValueText(eff.settings.get('RELAY_METHOD')!.value);
  const label = `${f.path} [${ownSection}]`;
  const aggPath = rulePath(eff, 'AGGREGATION_RULES');
  if (program === 'aggregator') {
    ctx.aggregationUsers.push({
      file: f.path,
      role: 'aggregator',
      label,
      rulesPath: aggPath,
      where: settingWhere(f.path, eff.settings.get('AGGREGATION_RULES'), secLine),
    });
  }
  if (method === 'rules') {
    if (program === 'relay') readRulesRelay(ctx, f, eff, ownSection, secLine);
    return;
  }
  if (method === 'constant') return;
  const destSetting = eff.settings.get('DESTINATIONS');
  if (destSetting === undefined || destSetting.source === 'default') return;
  const ring = tryParse(ctx, f.path, `carbon-${program} cannot build its ring`, () =>
    carbonRing(conf, { cluster: instance === 'a' && ownSection === program ? program : `${program}:${instance}`, env }),
  );
  if (ring === undefined) return;
  reportDiagnostics(ctx, ring.diagnostics, CARBON_DIAGNOSTICS);
  const s = (k: string) => eff.settings.get(k);
  const protocolText = carbonValueText(s('DESTINATION_PROTOCOL')!.value);
  const held: HeldRing = {
    label,
    role: 'relay',
    holder: program === 'relay' ? 'carbon-relay' : 'carbon-aggregator',
    spec: ring.spec,
    members: settingWhere(f.path, destSetting, secLine),
    membersName: 'DESTINATIONS',
    hash: settingWhere(f.path, s('ROUTER_HASH_TYPE')?.source === 'config' ? s('ROUTER_HASH_TYPE') : undefined, null),
    replication: settingWhere(f.path, s('REPLICATION_FACTOR')?.source === 'config' ? s('REPLICATION_FACTOR') : undefined, null),
    diverse: settingWhere(f.path, s('DIVERSE_REPLICAS')?.source === 'config' ? s('DIVERSE_REPLICAS') : undefined, null),
    file: f.path,
    method,
    section: ownSection,
  };
  if (held.hash.line === null) held.hash = { file: f.path, line: secLine };
  if (held.replication.line === null) held.replication = { file: f.path, line: secLine };
  if (protocolText === 'pickle' || protocolText === 'line' || protocolText === 'udp' || protocolText === 'protobuf')
    held.protocol = protocolText;
  const dyn = s('DYNAMIC_ROUTER');
  if (dyn?.value.type === 'bool' && dyn.value.value) held.dynamic = settingWhere(f.path, dyn, secLine);
  if (method.startsWith('fast-'))
    held.approximate = `RELAY_METHOD = ${method} has no ring: nodes are sorted by hash and a metric goes to hash % N`;
  ctx.rings.push(held);
  if (method.includes('aggregated')) {
    ctx.aggregationUsers.push({
      file: f.path,
      role: 'relay',
      label,
      rulesPath: aggPath,
      where: settingWhere(f.path, s('RELAY_METHOD'), secLine),
    });
  }
}

/** RELAY_RULES / AGGREGATION_RULES / REWRITE_RULES: relative names are read from CONF_DIR. */
export function rulePath(eff: EffectiveSettings, key: string): string {
  const v = carbonValueText(eff.settings.get(key)!.value);
  return pyNormpath(isAbsolute(v) ? v : pyJoin(eff.paths.confDir, v));
}

function readRulesRelay(ctx: LintContext, f: LintFile, eff: EffectiveSettings, section: string, secLine: number | null): void {
  const dest = eff.settings.get('DESTINATIONS');
  const destinations: Destination[] = [];
  if (dest !== undefined && dest.value.type === 'list') {
    for (const item of dest.value.items) {
      if (item.text === '') continue;
      try {
        destinations.push(parseCarbonDestination(item.text, { file: f.path, line: item.line || dest.line }));
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e; // reported by the parser's diagnostics
      }
    }
  }
  ctx.rulesRelays.push({
    file: f.path,
    section,
    sectionLine: secLine,
    destinations,
    destinationsWhere: settingWhere(f.path, dest?.source === 'config' ? dest : undefined, secLine),
    rulesPath: rulePath(eff, 'RELAY_RULES'),
    rulesWhere: settingWhere(
      f.path,
      eff.settings.get('RELAY_RULES')?.source === 'config' ? eff.settings.get('RELAY_RULES') : undefined,
      secLine,
    ),
  });
}

function portOf(file: string, eff: EffectiveSettings, key: string, fallback: number | null): PortSetting {
  const s = eff.settings.get(key);
  const where = settingWhere(file, s?.source === 'config' ? s : undefined, fallback);
  if (s === undefined) return { value: null, where };
  const v = s.value;
  if (v.type === 'int') return { value: v.value, where };
  if (v.type === 'float' && Number.isInteger(v.value)) return { value: v.value, where };
  return { value: null, where, text: carbonValueText(v) };
}

/** A carbon process's effective ports, paths and self-metric settings. */
export function carbonProcess(
  file: string,
  conf: CarbonConf,
  eff: EffectiveSettings,
  program: CarbonProcess['program'],
  instance: string,
): CarbonProcess {
  const ownSection = conf.sections.includes(`${program}:${instance}`) ? `${program}:${instance}` : program;
  const secLine = sectionLine(conf, ownSection) ?? sectionLine(conf, program);
  const s = (k: string) => eff.settings.get(k);
  const udpEnabled = s('ENABLE_UDP_LISTENER');
  const prefix = s('CARBON_METRIC_PREFIX');
  const relayCache = s('RELAY_CACHE_METRICS');
  const overrides = new Set<string>();
  const inst = conf.ini.sections.find((x) => x.name === `${program}:${instance}`);
  if (inst !== undefined) for (const o of inst.options.values()) overrides.add(o.rawKey.toUpperCase());
  const p: CarbonProcess = {
    file,
    program,
    instance,
    sections: eff.sectionsRead,
    sectionLine: secLine,
    line: portOf(file, eff, 'LINE_RECEIVER_PORT', secLine),
    pickle: portOf(file, eff, 'PICKLE_RECEIVER_PORT', secLine),
    udp: { ...portOf(file, eff, 'UDP_RECEIVER_PORT', secLine), enabled: udpEnabled?.value.type === 'bool' && udpEnabled.value.value },
    cacheQuery: portOf(file, eff, 'CACHE_QUERY_PORT', secLine),
    metricPrefix: {
      value: prefix === undefined ? 'carbon' : carbonValueText(prefix.value),
      where: settingWhere(file, prefix?.source === 'config' ? prefix : undefined, secLine),
    },
    relayCacheMetrics: {
      value: relayCache?.value.type === 'bool' ? relayCache.value.value : false,
      where: settingWhere(file, relayCache?.source === 'config' ? relayCache : undefined, secLine),
    },
    instanceOverrides: overrides,
  };
  if (eff.paths.localDataDir !== undefined) {
    const ld = s('LOCAL_DATA_DIR');
    const sd = s('STORAGE_DIR');
    const fromConfig = ld?.source === 'config' ? ld : sd?.source === 'config' ? sd : undefined;
    p.localDataDir = { path: eff.paths.localDataDir, where: settingWhere(file, fromConfig, secLine) };
    if (fromConfig === undefined)
      p.localDataDir.assumed = `derived from GRAPHITE_ROOT (assumed ${DEFAULT_GRAPHITE_ROOT} unless --env GRAPHITE_ROOT=… is given)`;
  }
  if (eff.paths.pidfile !== undefined) p.pidfile = { path: eff.paths.pidfile, where: { file, line: secLine } };
  return p;
}

/** carbon-cache instance `instance` of a carbon.conf (carbon-cache --instance X reads [cache] then [cache:X]). */
export function cacheProcess(ctx: LintContext, file: string, conf: CarbonConf, instance: string): CarbonProcess | undefined {
  const eff = tryParse(ctx, file, 'carbon-cache refuses [cache]', () =>
    effectiveSettings(conf, 'cache', instance, { env: carbonEnv(ctx) }),
  );
  return eff === undefined ? undefined : carbonProcess(file, conf, eff, 'cache', instance);
}

export function readRelayRulesFile(ctx: LintContext, f: LintFile): void {
  // A refused relay-rules.conf is an R11 error (carbon-relay does not start).
  const rules = tryParse(
    ctx,
    f.path,
    'carbon-relay refuses relay-rules.conf',
    () => parseRelayRules(f.text, f.path),
    'relay-rules-invalid',
    'give every section a destinations list, and exactly one section `default = true` (without a pattern)',
  );
  if (rules === undefined) return;
  ctx.relayRules.set(f.path, rules);
  reportDiagnostics(ctx, rules.diagnostics, RULE_FILE_DIAGNOSTICS);
}

export function readAggregationRulesFile(ctx: LintContext, f: LintFile): void {
  const rules = tryParse(ctx, f.path, 'carbon-aggregator refuses aggregation-rules.conf', () => parseAggregationRules(f.text, f.path));
  if (rules === undefined) return;
  ctx.aggregationRules.set(f.path, rules);
  reportDiagnostics(ctx, rules.diagnostics, RULE_FILE_DIAGNOSTICS);
}

export function readRewriteRulesFile(ctx: LintContext, f: LintFile): void {
  const rules = tryParse(ctx, f.path, 'carbon-aggregator refuses rewrite-rules.conf', () => parseRewriteRules(f.text, f.path));
  if (rules === undefined) return;
  ctx.rewriteRules.set(f.path, rules);
  reportDiagnostics(ctx, rules.diagnostics, RULE_FILE_DIAGNOSTICS);
}

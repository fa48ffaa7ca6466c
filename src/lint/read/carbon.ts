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
import { pyJoin, pyNormpath } from '../../config/python/pytext.js';
import { ConfigError } from '../../errors.js';
import { parseCarbonDestination } from '../../ring/destination.js';
import type { Destination } from '../../ring/types.js';
import { existsSync, readFileSync } from 'node:fs';
import { parseRelayRules as parseRelayRulesText } from '../../config/carbon-rules.js';
import { reportDiagnostics, type LintContext } from '../context.js';
import { tryParse } from '../rules/config-unparseable.js';
import { reportMissingRules, rule as relayRulesInvalid } from '../rules/relay-rules-invalid.js';
import type { CarbonProcess, HeldRing, LintFile, PortSetting, Where } from '../model.js';

/** Where carbon lives when neither the file nor --env says (the documented install root). */
export const DEFAULT_GRAPHITE_ROOT = '/opt/graphite';

export function carbonEnv(ctx: LintContext): Record<string, string> {
  return { GRAPHITE_ROOT: DEFAULT_GRAPHITE_ROOT, ...ctx.env };
}

/** Diagnostics reported elsewhere: aggregated routing by R14 with the rules file, [DEFAULT] keys not at all. */
const CARBON_IGNORED = ['aggregated-routing', 'default-key'];

export function readCarbonConf(ctx: LintContext, f: LintFile): void {
  const conf = tryParse(ctx, f.path, 'carbon.conf is refused by configparser', () => parseCarbonConf(f.text, f.path));
  if (conf === undefined) return;
  reportDiagnostics(ctx, 'carbon-conf', conf.diagnostics, CARBON_IGNORED);
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
  reportDiagnostics(ctx, 'carbon-conf', ring.diagnostics, CARBON_IGNORED);
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
    relayRulesInvalid,
    relayRulesInvalid.msg('fixRefused'),
  );
  if (rules === undefined) return;
  ctx.relayRules.set(f.path, rules);
  reportDiagnostics(ctx, 'carbon-rules', rules.diagnostics);
}

export function readAggregationRulesFile(ctx: LintContext, f: LintFile): void {
  const rules = tryParse(ctx, f.path, 'carbon-aggregator refuses aggregation-rules.conf', () => parseAggregationRules(f.text, f.path));
  if (rules === undefined) return;
  ctx.aggregationRules.set(f.path, rules);
  reportDiagnostics(ctx, 'carbon-rules', rules.diagnostics);
}

export function readRewriteRulesFile(ctx: LintContext, f: LintFile): void {
  const rules = tryParse(ctx, f.path, 'carbon-aggregator refuses rewrite-rules.conf', () => parseRewriteRules(f.text, f.path));
  if (rules === undefined) return;
  ctx.rewriteRules.set(f.path, rules);
  reportDiagnostics(ctx, 'carbon-rules', rules.diagnostics);
}

/**
 * The relay-rules.conf each rules relay reads: a linted file, else its `.example` when the file itself does
 * not exist (and the example was linted), else the file on disk. A missing or refused file is R11's.
 */
export function resolveRulesRelays(ctx: LintContext): void {
  for (const relay of ctx.rulesRelays) {
    const linted = ctx.relayRules.get(relay.rulesPath);
    if (linted !== undefined) {
      ctx.rulesOfRelay.set(relay, linted);
      continue;
    }
    if (ctx.files.some((f) => f.path === relay.rulesPath)) continue; // linted and refused: already reported
    const example = ctx.relayRules.get(`${relay.rulesPath}.example`);
    if (example !== undefined && !existsSync(relay.rulesPath)) {
      ctx.notes.push(
        `${ctx.display(relay.file)} [${relay.section}]: ${ctx.display(relay.rulesPath)} does not exist; checked ${ctx.display(example.file)} in its place`,
      );
      ctx.rulesOfRelay.set(relay, example);
      continue;
    }
    if (!existsSync(relay.rulesPath)) {
      reportMissingRules(ctx, relay);
      continue;
    }
    let text: string;
    try {
      text = readFileSync(relay.rulesPath, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read ${relay.rulesPath}: ${(e as Error).message}`, { file: relay.file });
    }
    const parsed = tryParse(
      ctx,
      relay.rulesPath,
      'carbon-relay refuses relay-rules.conf',
      () => parseRelayRulesText(text, relay.rulesPath),
      relayRulesInvalid,
    );
    if (parsed === undefined) continue;
    ctx.relayRules.set(relay.rulesPath, parsed);
    ctx.rulesOfRelay.set(relay, parsed);
  }
}

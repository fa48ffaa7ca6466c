// The state of one lint run: the files, what was read from them, and the findings collected so far.
import { ConfigError, RingshiftError } from '../errors.js';
import type { ConfigDiagnostic } from '../config/diagnostics.js';
import type { Finding, Location, Severity } from './types.js';
import type { CarbonApi, CarbonProcess, GoCarbon, HeldRing, LintFile, StatedTopology, Webapp, Where } from './model.js';
import type { RelayRules, AggregationRules, RewriteRules } from '../config/carbon-rules.js';
import type { CrelayConfig } from '../config/crelay-conf.js';
import type { CarbonConf } from '../config/carbon-conf.js';
import type { Destination } from '../ring/types.js';
import { ruleMeta } from './rules/registry.js';
import { displayPath } from './files.js';

export interface FindingInput {
  file: string;
  line: number | null;
  message: string;
  fix?: string;
  related?: Where[];
  /** Defaults to the rule's severity. */
  severity?: Severity;
}

/** Collects findings; files are absolute paths until `finish` maps them to display paths. */
export class Findings {
  readonly items: Finding[] = [];
  private readonly keys = new Set<string>();

  add(rule: string, f: FindingInput): void {
    const meta = ruleMeta(rule);
    const finding: Finding = { rule, ref: meta.ref, severity: f.severity ?? meta.severity, file: f.file, line: f.line, message: f.message };
    if (f.fix !== undefined) finding.fix = f.fix;
    const related = (f.related ?? []).filter((r) => !(r.file === f.file && r.line === f.line));
    if (related.length > 0) finding.related = dedupeLocations(related);
    // The same problem reached twice (e.g. a file linted as part of two rings) is reported once.
    const key = `${rule}\0${f.file}\0${f.line}\0${f.message}`;
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.items.push(finding);
  }

  /** A config the program refuses: a finding with the parser's file:line and reason, never a crash. */
  unparseable(file: string, err: unknown, what: string, rule = 'config-unparseable', fix?: string): void {
    if (err instanceof RingshiftError) {
      // The parser's diagnostics already explained this line as an error: one finding is enough.
      const f = err.file ?? file;
      const l = err.line ?? null;
      if (l !== null && this.items.some((x) => x.severity === 'error' && x.file === f && x.line === l)) return;
      const exp = err.expected === undefined ? '' : ` (expected ${err.expected})`;
      this.add(rule, {
        file: err.file ?? file,
        line: err.line ?? null,
        message: `${what}: ${err.message}${exp}`,
        fix:
          fix ?? 'correct the file so the program that reads it accepts it; ringshift checks the cluster only with the files it can read',
      });
      return;
    }
    throw err;
  }
}

function dedupeLocations(xs: Where[]): Location[] {
  const seen = new Set<string>();
  const out: Location[] = [];
  for (const x of xs) {
    const k = `${x.file}\0${x.line}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ file: x.file, line: x.line });
  }
  return out;
}

/** A carbon-relay that routes by relay-rules.conf (RELAY_METHOD = rules): not a ring, but R11 applies. */
export interface RulesRelay {
  file: string;
  section: string;
  sectionLine: number | null;
  destinations: Destination[];
  destinationsWhere: Where;
  rulesPath: string;
  rulesWhere: Where;
}

/** A relay using aggregated-consistent-hashing (R14), or an aggregator, with its rules file. */
export interface AggregationUser {
  file: string;
  role: 'relay' | 'aggregator' | 'carbonate';
  label: string;
  host?: string;
  /** Absolute path of the aggregation-rules.conf it reads (null: carbonate, given on the command line). */
  rulesPath: string | null;
  where: Where;
}

export interface LintContext {
  cwd: string;
  /** How a file is named in messages (relative to the working directory when below it). */
  display: (path: string) => string;
  env: Readonly<Record<string, string>>;
  files: LintFile[];
  findings: Findings;
  rings: HeldRing[];
  processes: CarbonProcess[];
  goCarbons: GoCarbon[];
  webapps: Webapp[];
  carbonapis: CarbonApi[];
  rulesRelays: RulesRelay[];
  relayRules: Map<string, RelayRules>;
  aggregationRules: Map<string, AggregationRules>;
  rewriteRules: Map<string, RewriteRules>;
  aggregationUsers: AggregationUser[];
  crelays: CrelayConfig[];
  /** relay-ng files with rewriters (R13). */
  rewriters: { file: string; line: number | null; label: string }[];
  /** Parsed carbon.conf files; cache instances are decided with the topology (which instances relays use). */
  carbonConfs: { file: string; conf: CarbonConf }[];
  stated?: StatedTopology;
  /** Explanations for --explain, in order. */
  notes: string[];
}

export function newContext(cwd: string, env: Readonly<Record<string, string>>, files: LintFile[]): LintContext {
  return {
    cwd,
    display: (p) => displayPath(p, cwd),
    env,
    files,
    findings: new Findings(),
    rings: [],
    processes: [],
    goCarbons: [],
    webapps: [],
    carbonapis: [],
    rulesRelays: [],
    relayRules: new Map(),
    aggregationRules: new Map(),
    rewriteRules: new Map(),
    aggregationUsers: [],
    crelays: [],
    rewriters: [],
    carbonConfs: [],
    notes: [],
  };
}

/** Run `fn`; a ConfigError becomes a config-unparseable finding. Returns undefined then. */
export function tryParse<T>(ctx: LintContext, file: string, what: string, fn: () => T, rule?: string, fix?: string): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError || e instanceof RingshiftError) {
      ctx.findings.unparseable(file, e, what, rule, fix);
      return undefined;
    }
    throw e;
  }
}

/** Parser diagnostics → findings, by the diagnostic's code. */
export function reportDiagnostics(
  ctx: LintContext,
  diags: readonly ConfigDiagnostic[],
  map: Readonly<Record<string, DiagnosticRoute | null>>,
): void {
  for (const d of diags) {
    const route = map[d.code];
    if (route === null) continue;
    const r = route ?? { rule: 'config-warning' };
    const fix = typeof r.fix === 'function' ? r.fix(d) : r.fix;
    const f: FindingInput = { file: d.file, line: d.line, message: d.message, severity: r.severity ?? d.severity };
    if (fix !== undefined) f.fix = fix;
    ctx.findings.add(r.rule, f);
  }
}

export interface DiagnosticRoute {
  rule: string;
  severity?: Severity;
  fix?: string | ((d: ConfigDiagnostic) => string | undefined);
}

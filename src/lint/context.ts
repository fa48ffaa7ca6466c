// The state of one lint run: the files, what was read from them, the findings collected so far, and
// which rule reports each parser diagnostic (the routes, built by run.ts from the rule modules).
import type { ConfigDiagnostic } from '../config/diagnostics.js';
import type { FixEdit, LintFinding, Location, Severity } from './lint-finding.js';
import type { CarbonApi, CarbonProcess, GoCarbon, HeldRing, LintFile, StatedTopology, Webapp, Where } from './model.js';
import type { RelayRules, AggregationRules, RewriteRules } from '../config/carbon-rules.js';
import type { CrelayConfig } from '../config/crelay-conf.js';
import type { CarbonConf } from '../config/carbon-conf.js';
import type { Destination } from '../ring/types.js';
import type { RuleMeta } from './rule-meta.js';
import { displayPath } from './files.js';
import type { Topology } from './topology-model.js';

export interface FindingInput {
  file: string;
  line: number | null;
  message: string;
  fix?: string | undefined;
  /** The fix as edits; undefined entries (an edit that could not be made) drop the whole set. */
  edits?: readonly (FixEdit | undefined)[] | undefined;
  related?: Where[];
  /** Defaults to the rule's severity. */
  severity?: Severity;
}

/** Collects findings; files are absolute paths until the run maps them to display paths. */
export class Findings {
  readonly items: LintFinding[] = [];
  private readonly keys = new Set<string>();

  /** The finding added (undefined when the same one was already reported). */
  add(meta: RuleMeta, f: FindingInput): LintFinding | undefined {
    const rule = meta.id;
    const finding: LintFinding = {
      rule,
      ref: meta.ref,
      severity: f.severity ?? meta.severity,
      file: f.file,
      line: f.line,
      message: f.message,
    };
    if (f.fix !== undefined) finding.fix = f.fix;
    if (f.edits !== undefined && f.edits.length > 0 && f.edits.every((e) => e !== undefined)) finding.edits = f.edits as FixEdit[];
    const related = (f.related ?? []).filter((r) => !(r.file === f.file && r.line === f.line));
    if (related.length > 0) finding.related = dedupeLocations(related);
    // The same problem reached twice (e.g. a file linted as part of two rings) is reported once.
    const key = `${rule}\0${f.file}\0${f.line}\0${f.message}`;
    if (this.keys.has(key)) return undefined;
    this.keys.add(key);
    this.items.push(finding);
    return finding;
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
  /** The relay-rules.conf each rules relay reads (linted, or read from disk by reference). */
  rulesOfRelay: Map<RulesRelay, RelayRules>;
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
  /** Which rule reports which parser diagnostic. */
  routes: DiagnosticRoutes;
  /** Files named on the command line that are not configs ringshift reads. */
  unrecognized: { path: string; reason: string }[];
  /** Fix edits of diagnostic findings, made once the topology is known. */
  deferredEdits: ((topo: Topology) => void)[];
}

export function newContext(
  cwd: string,
  env: Readonly<Record<string, string>>,
  files: LintFile[],
  routes: DiagnosticRoutes = new Map(),
): LintContext {
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
    rulesOfRelay: new Map(),
    relayRules: new Map(),
    aggregationRules: new Map(),
    rewriteRules: new Map(),
    aggregationUsers: [],
    crelays: [],
    rewriters: [],
    carbonConfs: [],
    notes: [],
    routes,
    unrecognized: [],
    deferredEdits: [],
  };
}

/** The parsers whose diagnostics rules can claim. */
export type DiagnosticSource =
  'carbon-conf' | 'carbon-rules' | 'local-settings' | 'crelay' | 'relayng' | 'carbonate' | 'buckyd' | 'cluster-file';

/** A parser diagnostic a rule reports (its `diagnostics`): `code` of `source` ('*' for every code no other rule claims). */
export interface DiagnosticRoute {
  source: DiagnosticSource | '*';
  code: string;
  /** Instead of the diagnostic's own severity. */
  severity?: Severity;
  fix?: string | ((d: ConfigDiagnostic, ctx: LintContext) => string | undefined);
  /** The fix as edits (made after the cluster is modelled, so they may reach other files). */
  edits?: (d: ConfigDiagnostic, ctx: LintContext, topo: Topology) => readonly (FixEdit | undefined)[] | undefined;
}

/** The rule that reports each parser diagnostic: `source\0code`, and `*` for everything unclaimed. */
export type DiagnosticRoutes = ReadonlyMap<string, { meta: RuleMeta; route: DiagnosticRoute }>;

/**
 * Parser diagnostics → findings, by the rule that claims each code (run.ts builds the routes from the rule
 * modules). Codes in `ignore` are reported elsewhere or not at all (the reader says why).
 */
export function reportDiagnostics(
  ctx: LintContext,
  source: DiagnosticSource,
  diags: readonly ConfigDiagnostic[],
  ignore: readonly string[] = [],
): void {
  for (const d of diags) {
    if (ignore.includes(d.code)) continue;
    const hit = ctx.routes.get(`${source}\0${d.code}`) ?? ctx.routes.get('*');
    if (hit === undefined) continue;
    const { meta, route } = hit;
    const fix = typeof route.fix === 'function' ? route.fix(d, ctx) : route.fix;
    const f: FindingInput = { file: d.file, line: d.line, message: d.message, severity: route.severity ?? d.severity };
    if (fix !== undefined) f.fix = fix;
    const added = ctx.findings.add(meta, f);
    // Edits are made once the cluster is modelled: some fixes touch the other side (the host's webapp).
    const edits = route.edits;
    if (added !== undefined && edits !== undefined) {
      ctx.deferredEdits.push((topo) => {
        const es = edits(d, ctx, topo);
        if (es !== undefined && es.length > 0 && es.every((e) => e !== undefined)) added.edits = es as FixEdit[];
      });
    }
  }
}

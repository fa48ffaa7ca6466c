// What the HTML report is made from: plain data, mostly the very objects the commands print with --json
// (`ring show`, `ring diff`, the audit summary, `plan`), plus the aggregates a picture needs (the arcs of
// a wheel, the top prefixes per class, the progress of a plan from its journals). Nothing here holds a
// list of every metric: a report for a million names is the size of one for a hundred.

import type { DestinationReport, PairReport } from '../plan/summary.js';

/** `ring show --json` (src/ring/analysis/report.ts showJson), the fields the report reads. */
export interface RingShowJson {
  ring: { impl: string; hash: string; replication: number; destinations: number; source?: string; [k: string]: unknown };
  exact: boolean;
  method: 'positions' | 'jump' | 'sample';
  positions?: number;
  positionFn?: string;
  sample?: number;
  standardError?: number;
  members: { server: string; port: number; instance: string | null; share: number; anyShare?: number; names?: number; anyNames?: number }[];
  imbalance: ImbalanceJson;
  anyImbalance?: ImbalanceJson;
}

export interface ImbalanceJson {
  min: number;
  max: number;
  mean: number;
  stddev: number;
  maxOverMean: number;
}

/**
 * The arcs of one ring's wheel. Band 0 holds each position's primary owner, band k its (k+1)-th owner.
 * A band is run-length coded over `size` positions: run i starts at starts[i] and belongs to member
 * owners[i] (an index into RingPanel.ids; -1: no owner).
 */
export interface WheelData {
  /** 65536 for rings whose positions were enumerated; for the others the shares laid out as arcs. */
  size: number;
  /** True when the arcs are the real positions; false: contiguous arcs sized by share (no positions). */
  positional: boolean;
  bands: { starts: number[]; owners: number[] }[];
}

/** One ring: its description, `ring show --json`, member ids in the same order, and its wheel. */
export interface RingPanel {
  title: string;
  /** describeSpec(): "carbon carbon_ch, replication 2, diverse, 4 members (cluster.yaml)". */
  description: string;
  show: RingShowJson;
  /** memberId of show.members[i]. */
  ids: string[];
  wheel: WheelData;
}

export interface RingsInput {
  before?: RingPanel;
  after: RingPanel;
  /** Positions whose primary owner changed (same run-length coding, owners 0 = moved). */
  moved?: { size: number; starts: number[]; owners: number[]; share: number };
}

export interface NodeShareJson {
  node: string;
  from: string[];
  to: string[];
  primaryBefore: number;
  primaryAfter: number;
  anyBefore: number;
  anyAfter: number;
}

/** `ring diff --json` (diffJson), the fields the report reads. */
export interface RingDiffJson {
  exact: boolean;
  method: 'positions' | 'sample';
  positions?: number;
  positionFn?: string;
  sample?: number;
  standardError?: number;
  caveat?: string;
  from: Record<string, unknown>;
  to: Record<string, unknown>;
  match: { mode: string; reason: string };
  keyspace: { ownersChanged: number; primaryChanged: number; ownerSetChanged: number };
  members: NodeShareJson[];
  onlyFrom: string[];
  onlyTo: string[];
  flows: { from: string | null; to: string | null; share: number }[];
  metrics?: {
    total: number;
    ownersChanged: number;
    primaryChanged: number;
    ownerSetChanged: number;
    dropped: { from: number; to: number };
    errors: { from: number; to: number };
    members: NodeShareJson[];
    flows: { from: string | null; to: string | null; count: number }[];
  };
}

export interface MovesInput {
  diff: RingDiffJson;
  /** Where the metric counts come from, in words (a names file, the names found on disk). */
  metricsSource?: string;
  /** Bytes per source → destination location, from the plan (its `pairs`). */
  bytes?: { from: string; to: string; copies: number; fills: number; bytes: number }[];
}

export interface Cell {
  files: number;
  bytes: number;
}

/** The audit's `{"summary":…}` line (src/audit runAudit), the fields the report reads. */
export interface AuditSummaryJson {
  files: number;
  bytes: number;
  classes: Record<string, Cell & { nodes: Record<string, Cell> }>;
  ring: string;
  oldRing?: string;
  relay?: string;
  locations: { id: string; root: string; members: number; files: number }[];
  warnings?: string[];
  [k: string]: unknown;
}

/** What the report adds to the audit summary, aggregated from the findings as they stream. */
export interface AuditDigest {
  /** Per summary row: the prefixes (first PREFIX_DEPTH segments) with the most files. */
  prefixes: Record<string, { prefix: string; files: number; bytes: number }[]>;
  /** Per summary row (not ok): the first few findings, described. */
  examples: Record<string, { metric: string | null; node: string; path: string; why: string }[]>;
  /** Present when the findings carry liveness: per row, files live (a relay still writes) and stale. */
  liveness?: Record<string, { live: Cell; stale: Cell; unknown: Cell }>;
  prefixDepth: number;
}

export interface AuditInput {
  summary: AuditSummaryJson;
  digest: AuditDigest;
  /** The NDJSON file with every finding, when one was written. */
  findingsFile?: string;
}

/** `plan --json` (summaryJson), the fields the report reads; `phases` when the plan has them. */
export interface PlanJson {
  plan: string | null;
  written: boolean;
  actions: { copy: number; fill: number; delete: number; total: number };
  bytes: number;
  throughput: number;
  seconds: number;
  pairs: PairReport[];
  destinations: DestinationReport[];
  deletes: { at: string; files: number; bytes: number }[];
  maxFill: number;
  refused: string[];
  skipped: {
    files: number;
    byReason: Record<
      string,
      { files: number; items: { path: string; at: string; reason: string; fix?: string; metric?: string | null }[] }
    >;
  };
  notes: string[];
  /** A phased plan's runbook (`plan --phased --json`): its phases with their totals. */
  runbook?: { phases: PlanPhaseJson[] };
  /** What the graphs' readers see at the end of each phase (`plan --json` readImpact). */
  readImpact?: ReadImpactJson;
  [k: string]: unknown;
}

/** One phase of a phased plan: what it does, the files (actions, pairs or configs) and bytes it reads. */
export interface PlanPhaseJson {
  name: string;
  what?: string;
  files: number;
  bytes: number;
  seconds: number;
  /** Phase-specific numbers (cleanup: bytes freed; switch: config files). */
  detail?: Record<string, number>;
}

/** Per phase and reader (graphite-web with/without merge, broadcast): metrics whose graph shows a gap or misses recent points. */
export interface ReadImpactJson {
  metrics: number;
  phases: { phase: string; readers: Record<string, { gaps: number; recent: number; gapSample?: string[]; recentSample?: string[] }> }[];
}

/** The parts of a plan result beyond summaryJson that the report draws, when the planner gives them. */
export interface PlanPhaseParts {
  runbook?: { phases: readonly PlanPhaseJson[] } | undefined;
  readImpact?: ReadImpactJson | undefined;
}

export interface PlanInput {
  json: PlanJson;
  /** Where the figures come from, in words ("dry run now", "the plan file …"). */
  source: string;
}

export interface ProgressDestination {
  id: string;
  done: Cell;
  failed: Cell;
  /** Deletes waiting for copies into other destinations. */
  waiting: Cell;
  /** Ready to run, not run yet. */
  left: Cell;
}

/** A plan's progress from its journals (src/report/collect-progress.ts). */
export interface ProgressJson {
  plan: string;
  planSha256: string;
  actions: number;
  destinations: ProgressDestination[];
  totals: { done: Cell; failed: Cell; waiting: Cell; left: Cell };
  /** Bytes done per time bucket (UTC seconds of the bucket start), overall and per destination. */
  throughput: { bucketSeconds: number; start: number | null; series: { id: string; bytes: number[] }[] };
  failures: { id: number; node: string; op: string; code: string; error: string }[];
  first: string | null;
  last: string | null;
}

export interface LintFindingJson {
  rule: string;
  ref: string;
  severity: 'error' | 'warning' | 'info';
  file: string;
  line: number | null;
  message: string;
  fix?: string;
  edits?: { file: string; line: number; column?: number; old: string; new: string }[];
  related?: { file: string; line: number | null }[];
}

export interface LintInput {
  findings: LintFindingJson[];
  summary: { errors: number; warnings: number; infos: number; files: number };
  /** Lines around each finding's line, keyed "file:line" (first line number and the lines). */
  excerpts: Record<string, { first: number; lines: string[] }>;
  /** Per-rule documentation link base (docs/rules/<id>.md). */
  docsBase?: string;
}

export interface ReportInput {
  title: string;
  /** ISO time the data was gathered. */
  generated: string;
  /** What the report was made from: label and value (cluster file, old ring, plan, names). */
  sources: { label: string; value: string }[];
  /** Colour slot per member id, node label and location id (ColourKeys.toJson()). */
  colours: Record<string, number>;
  rings?: RingsInput;
  moves?: MovesInput;
  audit?: AuditInput;
  plan?: PlanInput;
  progress?: ProgressJson;
  lint?: LintInput;
  notes?: string[];
}

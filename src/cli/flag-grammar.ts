// The one CLI grammar as data: each flag name that more than one command uses (or that the grammar
// reserves) has ONE meaning, one short option letter at most, and a description that says so.
// test/cli-grammar.test.ts checks every command of the oclif manifest against this table, and
// scripts/cli-flag-table.mjs prints it into docs/cli.md. A new shared flag is added here first.

export interface FlagMeaning {
  /** The one meaning, as docs/cli.md states it. */
  meaning: string;
  /** Every command's description of this flag matches this (the "description class"). */
  describedBy: RegExp;
  /** boolean switch, or an option that takes a value. */
  kind: 'boolean' | 'option';
  /** The short letter, if the flag has one (then it has it in every command). */
  char?: string;
}

export const FLAG_GRAMMAR: Readonly<Record<string, FlagMeaning>> = {
  // Output
  json: { meaning: 'NDJSON on stdout: one JSON object a line, never pretty-printed', describedBy: /NDJSON/, kind: 'boolean' },
  format: { meaning: 'the output format (never an input format)', describedBy: /\boutput\b/i, kind: 'option' },
  output: { meaning: 'write the result to FILE (temp file, fsync, rename)', describedBy: /\bwrite\b|\bfile\b/i, kind: 'option', char: 'o' },
  progress: { meaning: 'progress on stderr even when it is not a terminal', describedBy: /progress/i, kind: 'boolean' },
  quiet: { meaning: 'no progress on stderr', describedBy: /progress|quiet/i, kind: 'boolean', char: 'q' },
  // Inputs
  cluster: { meaning: 'a ringshift cluster file (ring and storage locations)', describedBy: /cluster file/i, kind: 'option', char: 'c' },
  'cluster-name': {
    meaning: 'which cluster of a multi-cluster config (c-relay cluster, carbonate section)',
    describedBy: /cluster/i,
    kind: 'option',
  },
  ring: { meaning: 'a ring read from any config file (format detected)', describedBy: /\bring\b/i, kind: 'option' },
  'ring-format': { meaning: 'the format of --ring, when detection is not wanted', describedBy: /format/i, kind: 'option' },
  from: { meaning: 'the ring before (ring diff): a config file or an inline ring', describedBy: /\bring\b/i, kind: 'option' },
  to: { meaning: 'the ring after (ring diff): a config file or an inline ring', describedBy: /\bring\b/i, kind: 'option' },
  'old-ring': { meaning: 'the ring before a change (config file or inline ring)', describedBy: /ring before/i, kind: 'option' },
  file: { meaning: 'metric names to read, one a line ("-" = stdin)', describedBy: /names/i, kind: 'option', char: 'f' },
  names: { meaning: 'metric names as the relays received them (evidence for double dots)', describedBy: /names/i, kind: 'option' },
  'names-sample': { meaning: '--names is only a sample of the traffic', describedBy: /sample/i, kind: 'boolean' },
  // Selection and filters
  node: { meaning: 'only this node: one location or ring member', describedBy: /\bnode\b/i, kind: 'option', char: 'n' },
  match: { meaning: 'only metrics matching this Graphite glob', describedBy: /glob/i, kind: 'option' },
  regex: { meaning: 'only metrics matching this regular expression', describedBy: /regular expression|regex/i, kind: 'option' },
  metrics: { meaning: 'only the metrics listed in FILE', describedBy: /metric/i, kind: 'option' },
  sample: { meaning: 'how many names to sample for an estimate (a count with a range)', describedBy: /sample/i, kind: 'option' },
  'self-prefix': { meaning: "prefix of the caches' own metrics", describedBy: /prefix/i, kind: 'option' },
  // Times
  since: { meaning: 'start time: unix seconds, ISO 8601, now, -2h, now-2h', describedBy: /time|start|since|oldest|after/i, kind: 'option' },
  until: { meaning: 'end time: unix seconds, ISO 8601, now, -2h, now-2h', describedBy: /time|end|until|newest|before/i, kind: 'option' },
  'switched-at': { meaning: 'when the relays switched rings (a time)', describedBy: /switch/i, kind: 'option' },
  // Units
  bwlimit: { meaning: 'bandwidth cap, a rate with a unit (20M = 20 MiB/s)', describedBy: /bandwidth|rate/i, kind: 'option' },
  transport: {
    meaning: 'how copies between ssh:// nodes travel: auto, pull (node to node) or relay (through this machine)',
    describedBy: /travel/i,
    kind: 'option',
  },
  throughput: { meaning: 'expected transfer rate, a rate with a unit', describedBy: /rate/i, kind: 'option' },
  'high-water': { meaning: 'a filesystem fill limit, a percentage (90%)', describedBy: /fill|full/i, kind: 'option' },
  'lock-timeout': { meaning: "how long to wait for carbon-cache's flock (a duration)", describedBy: /lock/i, kind: 'option' },
  concurrency: { meaning: 'how many run at once (a count with a range)', describedBy: /at once|parallel|concurren/i, kind: 'option' },
  'spill-after': { meaning: 'entries kept in memory before spilling to temp files', describedBy: /spill/i, kind: 'option' },
  'tmp-dir': { meaning: 'where temp (spill) files go', describedBy: /spill|temp/i, kind: 'option' },
  // CI and writes
  'fail-on': { meaning: 'CI exit behaviour: exit 1 at error|warning|info, or never', describedBy: /\bexit 1\b/i, kind: 'option' },
  'dry-run': { meaning: 'show what would happen; write nothing', describedBy: /\bwould\b/i, kind: 'boolean' },
  yes: { meaning: 'act (destructive toolbox commands are dry runs without it)', describedBy: /\bact\b|really|delete/i, kind: 'boolean' },
  journal: { meaning: 'the journal of a destructive toolbox run (a new file)', describedBy: /journal/i, kind: 'option' },
  invert: { meaning: 'the complement: what is NOT selected', describedBy: /\bNOT\b/, kind: 'boolean', char: 'I' },
  root: { meaning: "carbon's storage directory (LOCAL_DATA_DIR) that paths are under", describedBy: /LOCAL_DATA_DIR/, kind: 'option' },
  // whisper files
  lock: {
    meaning: "take carbon-cache's flock on the files written (--no-lock to skip)",
    describedBy: /\bflock\b/,
    kind: 'boolean',
  },
  xff: { meaning: 'xFilesFactor: fraction of known points a coarser slot needs (0..1)', describedBy: /xFilesFactor/, kind: 'option' },
  aggregation: { meaning: 'aggregation method of the coarser archives', describedBy: /aggregation method/i, kind: 'option' },
  // ssh
  identity: { meaning: 'ssh private key (repeatable)', describedBy: /private key/i, kind: 'option', char: 'i' },
  'known-hosts': { meaning: 'ssh known_hosts file (repeatable)', describedBy: /known_hosts/, kind: 'option' },
  'accept-new-host-keys': { meaning: 'trust ssh hosts not yet known (a changed key is refused)', describedBy: /host/i, kind: 'boolean' },
};

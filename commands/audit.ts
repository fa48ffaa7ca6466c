import { Flags } from '@oclif/core';
import { failingRows, parseFailOn, renderAuditText } from '../src/audit/audit-report.js';
import { runAudit } from '../src/audit/run-audit.js';
import { stderrProgress } from '../src/audit/stage-progress.js';
import type { AuditFinding } from '../src/audit/audit-findings.js';
import { BaseCommand } from '../src/cli/base-command.js';
import {
  failOnFlag,
  progressFlags,
  progressStream,
  requiredClusterFileFlag,
  sshFlags,
  sshOptionsFrom,
  auditScanFlags,
} from '../src/cli/common-flags.js';
import { metricFilterFlags, metricFilterFrom } from '../src/cli/metric-filter-flags.js';
import { LineSink } from '../src/output/sinks.js';
import { AuditDigestBuilder } from '../src/report/collect-audit.js';
import { auditReportInput, HTML_FLAG_DESCRIPTION } from '../src/report/command-reports.js';
import { writeReport } from '../src/report/write-report.js';
import { auditLiveFlags, liveInputsFrom } from '../src/cli/live-flags.js';

export default class Audit extends BaseCommand {
  static override summary = 'Classify every whisper file of a cluster: ok, misplaced (and why), extra copies, missing replicas.';
  static override description = `Scans every storage location of the cluster file and checks each file against the ring:

  ok               this location holds an owner of the name
  misplaced        no owner here; explained by the first that applies:
    live             it received points after --switched-at, or within --live-window (default: 10 minutes,
                     or 3 finest steps when longer): a relay still writes it. Never moved or deleted; the
                     evidence names the known rings that send here (--old-ring, a raw-name variant, --ring)
    old-ring         an owner under --old-ring (a ring change left it here)
    double-dot       the relay hashes raw names (carbon-relay, buckytools) and a raw form of the name that
                     carbon-cache stores in the same file (.a.b.c, a..b.c, a.b..c) hashes here: confirmed
                     when that raw name is in --names (a sample of the traffic; --names-complete says it
                     is all of it, then a raw form it lacks is ruled out)
    cleansing        the relay is carbon-c-relay and would rewrite the name: its cleansed twin gets the data
    unexplained
  extra-copy       an unexplained copy of a metric that every owner already holds
  missing-replica  an owner lacks a file that another location holds
  corrupt          the header or structure is unsound (local files: every header is read)
  truncated        shorter than its header says
  self-metric      the caches' own metrics (--self-prefix, default carbon): written locally, not misplaced
  trailing-dot, tagged-hashed, malformed, symlink, unreadable: files whose placement cannot be checked

Members sharing a directory are one location. A configured directory that does not exist yet is an empty location.

--match GLOB, --regex RE and --metrics FILE audit only the files of the metrics that pass: a subset of the cluster, every copy of each.

ssh:// storage locations are listed over ssh (a remote find, or SFTP); keys from --identity or the ssh agent, host keys from known_hosts (--accept-new-host-keys trusts new hosts on first use). A remote directory must exist (create it on a new node first).

Text output: a table of files and bytes per class and location, a few examples per class, and notes.
--json: one finding a line, {"kind","metric","node","path","owners","size","explanation"?,"evidence"?}, ok files only with --all, then one line {"summary":{…}}.

--fail-on (for CI) takes a level or a comma-separated list of kinds:
  error    misplaced (any explanation), missing-replica, unreadable
  warning  the above, and extra-copy, trailing-dot, tagged-hashed, malformed, symlink
  info     the above, and self-metric
  never    (the default) exit 0 whatever is found
  kinds    e.g. misplaced,missing-replica or old-ring,unexplained

Exit status: 0, or 1 when --fail-on matches a finding; 2 for usage and config errors.`;

  static override examples = [
    '<%= config.bin %> audit --cluster cluster.yaml',
    '<%= config.bin %> audit --cluster cluster.yaml --old-ring cluster-old.yaml --names relay-names.txt',
    '<%= config.bin %> audit --cluster cluster.yaml --switched-at 2024-05-01T10:00Z --ring relay-b/carbon.conf',
    '<%= config.bin %> audit --cluster cluster.yaml --json | grep \'"kind":"misplaced"\'',
    '<%= config.bin %> audit --cluster cluster.yaml --fail-on error   # in CI',
    '<%= config.bin %> audit --cluster cluster.yaml --fail-on misplaced,missing-replica',
    '<%= config.bin %> audit --cluster cluster.yaml --self-prefix carbon.agents. --self-prefix carbon.relays.',
  ];

  static override flags = {
    cluster: requiredClusterFileFlag('the ring, and where each member stores its files.'),
    'old-ring': Flags.string({
      helpValue: 'RING',
      description:
        'The ring before a change: a config file, or inline key=value;… (e.g. "impl=carbon;replication=2;destinations=a:2004:a,b:2004:a"); names nodes being emptied.',
    }),
    names: Flags.string({
      helpValue: 'FILE',
      description: 'Metric names as the relays received them, one a line: confirms or rules out double-dot placements.',
    }),
    ...auditLiveFlags,
    ...auditScanFlags,
    'fail-on': failOnFlag('Or a comma-separated list of kinds (misplaced,missing-replica). [default: never]'),
    html: Flags.string({ helpValue: 'FILE', description: HTML_FLAG_DESCRIPTION }),
    all: Flags.boolean({ description: 'With --json: also print the ok files.', default: false }),
    ...metricFilterFlags,
    ...progressFlags,
    ...sshFlags,
  };

  public async run(): Promise<void> {
    const { flags } = await this.parse(Audit);
    const failOn = parseFailOn(failOnKinds(flags['fail-on']));
    const progress = progressStream(flags);
    const sink = new LineSink();
    const grouper: { memoryEntries?: number; tmpDir?: string } = {};
    if (flags['spill-after'] !== undefined) grouper.memoryEntries = flags['spill-after'];
    if (flags['tmp-dir'] !== undefined) grouper.tmpDir = flags['tmp-dir'];
    const inputs = {
      clusterPath: flags.cluster,
      ssh: sshOptionsFrom(flags),
      filter: await metricFilterFrom(flags),
      grouper,
      ...(flags['old-ring'] !== undefined ? { oldRing: flags['old-ring'] } : {}),
      ...(flags.names !== undefined ? { names: flags.names } : {}),
      ...liveInputsFrom(flags),
      ...(flags['self-prefix'] !== undefined ? { selfPrefixes: flags['self-prefix'] } : {}),
    };
    const digest = flags.html === undefined ? undefined : new AuditDigestBuilder();
    const onFinding = async (f: AuditFinding): Promise<void> => {
      digest?.add(f);
      if (!flags.json || (f.kind === 'ok' && !flags.all)) return;
      if (sink.push(JSON.stringify(f))) await sink.flush();
    };
    const result = await runAudit(inputs, onFinding, progress === undefined ? undefined : stderrProgress('audit', progress));
    const failing = failingRows(result.tally, failOn);
    if (flags.json) {
      const summary = { ...result.summary, ...(failOn.length > 0 ? { failOn, failing } : {}) };
      sink.push(JSON.stringify({ summary }));
    } else {
      for (const line of renderAuditText(result.tally, result.setup.locations, result.notes)) sink.push(line);
      if (failing.length > 0) sink.push(`fail: ${failing.map((r) => `${r} (${result.tally.count(r)})`).join(', ')}`);
    }
    await sink.flush();
    if (digest !== undefined) writeReport(flags.html!, auditReportInput(result, digest, flags.cluster));
    if (failing.length > 0) process.exitCode = 1;
  }
}

/** The kinds each --fail-on level adds to the one above it. */
const FAIL_ON_ADDS: [string, string[]][] = [
  ['never', []],
  ['error', ['misplaced', 'missing-replica', 'unreadable', 'corrupt', 'truncated']],
  ['warning', ['extra-copy', 'trailing-dot', 'tagged-hashed', 'malformed', 'symlink']],
  ['info', ['self-metric']],
];

/** The kinds each --fail-on level stands for (each level includes the ones above it). */
const FAIL_ON_LEVELS: Record<string, string[]> = Object.fromEntries(
  FAIL_ON_ADDS.map(([level], i) => [level, FAIL_ON_ADDS.slice(0, i + 1).flatMap(([, kinds]) => kinds)]),
);

/** A level, or the comma-separated kinds as given. */
function failOnKinds(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const level = FAIL_ON_LEVELS[value.trim()];
  return level === undefined ? value : level.join(',');
}

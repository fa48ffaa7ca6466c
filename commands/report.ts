import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { stderrProgress } from '../src/audit/stage-progress.js';
import { BaseCommand } from '../src/cli/base-command.js';
import {
  byteRateFlag,
  percentFlag,
  progressFlags,
  progressStream,
  requiredClusterFileFlag,
  sshFlags,
  sshOptionsFrom,
  auditScanFlags,
} from '../src/cli/common-flags.js';
import { UsageError } from '../src/errors.js';
import { LineSink } from '../src/output/sinks.js';
import { gatherReport, reportJsonLines } from '../src/report/gather-report.js';
import { writeReport } from '../src/report/write-report.js';
import { formatBytes } from '../src/units.js';

export default class Report extends BaseCommand {
  static override summary = 'Write one self-contained HTML report: the rings, what moves, where files stand, the plan, its progress, lint.';
  static override description = `One HTML file to look at (or show in a meeting) before and during a ring change. It needs no network: inline SVG charts and CSS, a few lines of script for hovering and filtering; it opens from a file:// URL and prints. Every chart has its numbers in a table beside it; --json prints the same data as NDJSON, one line per section.

Sections, each when its data is given:
  The rings          a wheel per ring: each member's arcs of the keyspace (primary outside, replicas inside), shares and imbalance; with --old-ring the old ring beside it and the arcs whose primary owner changes marked
  What moves         (--old-ring) primary flows between members in keyspace share, in metrics (the --names file, else the names found on disk) and in bytes (the plan); each node before and after
  Where files stand  the audit: classes per location, why misplaced files are where they are, top prefixes per class
  The plan           a dry run of "ringshift plan" now, or the --plan file: disk now / peak / after per location against the high-water mark, bytes per source → destination, time, skips with reasons
  Progress           (--plan) the plan's journals: done / failed / waiting / left per destination, throughput over time
  Lint               (--lint PATH) config findings grouped by rule, with the fix and the file excerpt

The scan runs once for the audit and once more for a dry-run plan (not with --plan). Nothing is written but the report (and --findings).`;

  static override examples = [
    '<%= config.bin %> report --cluster cluster.yaml --old-ring cluster-old.yaml -o report.html',
    '<%= config.bin %> report --cluster cluster.yaml --old-ring cluster-old.yaml --names names.txt --lint configs -o report.html',
    '<%= config.bin %> report --cluster cluster.yaml --plan shuffle.plan -o progress.html   # while apply runs',
    '<%= config.bin %> report --cluster cluster.yaml --old-ring cluster-old.yaml -o report.html --findings findings.ndjson --json',
  ];

  static override flags = {
    cluster: requiredClusterFileFlag('the (new) ring, and where each member stores its files.'),
    output: Flags.string({ char: 'o', helpValue: 'FILE', description: 'Write the HTML report to this file (temp file, fsync, rename).' }),
    'old-ring': Flags.string({
      helpValue: 'RING',
      description: 'The ring before the change (config file or inline key=value;…): the old wheel, what moves, leftovers explained.',
    }),
    plan: Flags.string({
      helpValue: 'PLAN',
      description: 'A plan file written by "ringshift plan -o": its plan section, and its progress from PLAN.journal/.',
    }),
    names: Flags.string({
      helpValue: 'FILE',
      description:
        'Metric names as the relays received them, one a line: confirms or rules out double-dot placements, and counts what moves.',
    }),
    'names-sample': Flags.boolean({ description: 'The --names list is only a sample of the traffic.', dependsOn: ['names'] }),
    lint: Flags.string({
      helpValue: 'PATH',
      description: 'Config files or directories to lint into the report (repeatable).',
      multiple: true,
    }),
    findings: Flags.string({
      helpValue: 'FILE',
      description: 'Also write every audit finding to this file (NDJSON); the report links to it.',
    }),
    'high-water': percentFlag('high-water', 'The filesystem fill the plan section measures against (peak).', '90%'),
    throughput: byteRateFlag('throughput', 'Expected transfer rate, for the time estimate.', '50MiB/s'),
    ...auditScanFlags,
    ...progressFlags,
    ...sshFlags,
  };

  public async run(): Promise<void> {
    const { flags } = await this.parse(Report);
    if (flags.output === undefined && !flags.json)
      throw new UsageError('where should the report go?', { expected: '-o report.html (or --json)' });
    const progress = progressStream(flags);
    const grouper: { memoryEntries?: number; tmpDir?: string } = {};
    if (flags['spill-after'] !== undefined) grouper.memoryEntries = flags['spill-after'];
    if (flags['tmp-dir'] !== undefined) grouper.tmpDir = flags['tmp-dir'];
    const input = await gatherReport({
      clusterPath: flags.cluster,
      oldRing: flags['old-ring'],
      plan: flags.plan,
      names: flags.names,
      namesSample: flags['names-sample'],
      lint: flags.lint,
      selfPrefixes: flags['self-prefix'],
      ssh: sshOptionsFrom(flags),
      grouper,
      maxFill: flags['high-water'] ?? 0.9,
      throughput: flags.throughput ?? 50 * 1024 ** 2,
      progress: progress === undefined ? undefined : stderrProgress('report', progress),
      findingsFile: flags.findings,
      output: flags.output,
    });
    const sink = new LineSink();
    const size = flags.output === undefined ? 0 : writeReport(flags.output, input);
    if (flags.json) for (const line of reportJsonLines(input)) sink.push(line);
    else sink.push(`report: ${resolve(flags.output!)} (${formatBytes(size)})`);
    await sink.flush();
  }
}

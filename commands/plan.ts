import { Flags } from '@oclif/core';
import { stderrProgress } from '../src/audit/stage-progress.js';
import { runPlan } from '../src/plan/run-plan.js';
import { configSetLinter } from '../src/lint/config-set-lint.js';
import { renderSummaryText, summaryJson } from '../src/plan/summary.js';
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
import { metricFilterFlags, metricFilterFrom } from '../src/cli/metric-filter-flags.js';
import { LineSink } from '../src/output/sinks.js';
import { HTML_FLAG_DESCRIPTION, planReportInput } from '../src/report/command-reports.js';
import { writeReport } from '../src/report/write-report.js';
import { renderChangeText, renderReadImpactText, renderRunbookText, runbookJson } from '../src/plan/runbook-report.js';
import { auditLiveFlags, liveInputsFrom } from '../src/cli/live-flags.js';

export default class Plan extends BaseCommand {
  static override summary = 'Plan the copies, gap fills and deletes that put every metric where the ring wants it (a dry run).';
  static override description = `Scans every storage location of the cluster file, classifies every file as "ringshift audit" does, and plans, per metric:

  copy    to each owner location that lacks the file, from the largest valid holder (ties: newest, then one on an owner)
  fill    gap-only, into each owner's file from every other holder with data (a file this plan copies is filled after the copy)
  delete  from every other location, after every owner has a verified copy (none with --keep-source)

Members sharing a directory are one location; replication and diverse replicas are the ring's. Every holder is verified first: corrupt files are skipped and reported, never used, never deleted.

--match GLOB, --regex RE and --metrics FILE plan only for the metrics that pass (every copy of each), so a shuffle can be tried on a subset first.

ssh:// storage locations are listed over ssh (a remote find, or SFTP), their holder files read and verified in memory, and their free space read with statvfs or df; keys from --identity or the ssh agent, host keys from known_hosts (--accept-new-host-keys trusts new hosts on first use). A remote directory must exist (create it on a new node first).

Left alone, with the reason and the fix: double-dot files under a relay that hashes raw names (moving them splits the metric; --move-suspected moves the suspected ones), self-metrics, trailing-dot, tagged-hashed, malformed files and symlinks. Under carbon-c-relay a name the relay rewrites is filled (or copied) into its cleansed twin.

The plan file (-o) is NDJSON: a header (format, version, created, ring fingerprint, cluster file, locations, options), one action or skip a line with each source's size and mtime at planning time, and a footer with counts; it is written to a temp file, fsynced and renamed, never half-written. "ringshift apply" executes it.

The summary: actions and bytes per source → destination, each destination's growth against its filesystem (refused, and nothing written, when a filesystem would pass --high-water at its peak: copies done, nothing deleted yet), the duration at --throughput, and every skipped file with its reason. Exit 1 when refused.`;

  static override examples = [
    '<%= config.bin %> plan --cluster cluster.yaml',
    '<%= config.bin %> plan --cluster cluster.yaml --old-ring cluster-old.yaml -o shuffle.plan',
    '<%= config.bin %> plan --cluster cluster.yaml --names relay-names.txt --keep-source -o shuffle.plan --json',
    '<%= config.bin %> plan --cluster cluster.yaml --high-water 80% --throughput 200MB/s',
    '<%= config.bin %> plan --cluster cluster.yaml --old-ring cluster-old.yaml --phased --configs configs/ -o change.plan',
  ];

  static override flags = {
    cluster: requiredClusterFileFlag('the (new) ring, and where each member stores its files.'),
    output: Flags.string({
      char: 'o',
      helpValue: 'FILE',
      description: 'Write the plan to this file (without it: a dry run, nothing written).',
    }),
    'old-ring': Flags.string({
      helpValue: 'RING',
      description: 'The ring before the change (config file or inline key=value;…): explains leftovers, names nodes being emptied.',
    }),
    names: Flags.string({
      helpValue: 'FILE',
      description: 'Metric names as the relays received them, one a line: confirms or rules out double-dot placements.',
    }),
    ...auditLiveFlags,
    html: Flags.string({ helpValue: 'FILE', description: HTML_FLAG_DESCRIPTION }),
    'keep-source': Flags.boolean({ description: 'Plan no deletes (copies and fills only).', default: false }),
    'move-suspected': Flags.boolean({ description: 'Move files the audit only suspects of a double-dot placement.', default: false }),
    // --max-fill, the old spelling, still works (with a deprecation warning).
    'high-water': percentFlag('high-water', 'Refuse when a destination filesystem would pass this fill at its peak.', '90%', {
      aliases: ['max-fill'],
      deprecateAliases: true,
    }),
    throughput: byteRateFlag('throughput', 'Expected transfer rate, for the time estimate.', '50MiB/s'),
    phased: Flags.boolean({
      description:
        'Write the phased runbook (needs --old-ring, the ring the relays use now): pre-copy, switch, backfill, verify, cleanup; "ringshift apply PLAN" runs the next phase that is due.',
      default: false,
    }),
    configs: Flags.string({
      helpValue: 'PATH',
      description:
        'Config files or directories the switch rewrites to the new ring (relay DESTINATIONS / c-relay cluster, webapp CARBONLINK_HOSTS and CLUSTER_SERVERS, carbonate.conf, a cluster file); shown as unified diffs, linted first (repeatable).',
      multiple: true,
    }),
    'write-configs': Flags.string({
      helpValue: 'DIR',
      description: 'Write the edited configs under DIR (their paths relative to the working directory kept), when they lint clean.',
      dependsOn: ['configs'],
    }),
    ...auditScanFlags,
    ...metricFilterFlags,
    ...progressFlags,
    ...sshFlags,
  };

  public async run(): Promise<void> {
    const { flags } = await this.parse(Plan);
    const maxFill = flags['high-water'] ?? 0.9;
    const progress = progressStream(flags);
    const throughput = flags.throughput ?? 50 * 1024 ** 2;
    const grouper: { memoryEntries?: number; tmpDir?: string } = {};
    if (flags['spill-after'] !== undefined) grouper.memoryEntries = flags['spill-after'];
    if (flags['tmp-dir'] !== undefined) grouper.tmpDir = flags['tmp-dir'];
    const result = await runPlan(
      {
        clusterPath: flags.cluster,
        ssh: sshOptionsFrom(flags),
        filter: await metricFilterFrom(flags),
        grouper,
        keepSource: flags['keep-source'],
        moveSuspected: flags['move-suspected'],
        maxFill,
        throughput,
        ...(flags.output !== undefined ? { output: flags.output } : {}),
        ...(flags['old-ring'] !== undefined ? { oldRing: flags['old-ring'] } : {}),
        ...(flags.names !== undefined ? { names: flags.names } : {}),
        ...liveInputsFrom(flags),
        phased: flags.phased,
        ...(flags.configs !== undefined ? { configs: flags.configs, configLinter: configSetLinter } : {}),
        ...(flags['write-configs'] !== undefined ? { writeConfigs: flags['write-configs'] } : {}),
        ...(flags['self-prefix'] !== undefined ? { selfPrefixes: flags['self-prefix'] } : {}),
      },
      progress === undefined ? undefined : stderrProgress('plan', progress),
    );
    const sink = new LineSink();
    if (flags.json) sink.push(JSON.stringify({ ...summaryJson(result), ...runbookJson(result) }));
    else {
      const lines = renderSummaryText(result);
      const extra: string[] = [];
      if (result.change !== undefined) extra.push('', ...renderChangeText(result.change));
      if (result.runbook !== undefined) extra.push('', ...renderRunbookText(result.runbook));
      if (result.readImpact !== undefined && result.readImpact.metrics > 0) extra.push('', ...renderReadImpactText(result.readImpact));
      if (result.configsWritten !== undefined) extra.push(`configs written: ${result.configsWritten.join(', ')}`);
      // After the first block (the totals and the per-pair table), before capacity and skips.
      for (const line of [...lines, ...extra]) sink.push(line);
    }
    await sink.flush();
    if (flags.html !== undefined) writeReport(flags.html, planReportInput(result, flags.cluster));
    if (result.refused.length > 0) process.exitCode = 1;
  }
}

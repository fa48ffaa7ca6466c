import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { progressFlags, progressStream, requiredClusterFileFlag, sshFlags, sshOptionsFrom } from '../src/cli/common-flags.js';
import { metricFilterFlags, metricFilterFrom } from '../src/cli/metric-filter-flags.js';
import { noteLine } from '../src/cli/toolbox-target.js';
import { UsageError } from '../src/errors.js';
import { LineSink } from '../src/output/sinks.js';
import { backupMetrics } from '../src/toolbox/backup-archive.js';
import { ToolboxCluster } from '../src/toolbox/toolbox-cluster.js';
import { formatBytes, plural } from '../src/units.js';

export default class Backup extends BaseCommand {
  static override summary = 'Archive metrics of a cluster into a tar of whisper files, one per metric, replicas merged (bucky tar).';
  static override description = `Every metric that passes the metric filter (--match, --regex, --metrics: one is required) is looked up on every location of --cluster, and ONE whisper file per metric goes into the tar archive -o FILE, named by its storage path (servers/web01/cpu.wsp, as bucky tar names them): every sound copy in the cluster merged gap-only (the owners' first, in ring order, then stray copies; the first copy's points win a slot two copies have). A copy that is not a sound whisper file is left out with a note. Hashed tagged files (whose names cannot be recovered) are not archived.

The archive is streamed (one metric in memory at a time) into a temp file beside FILE, fsynced and renamed: it is whole or absent. "ringshift restore FILE" puts it back on the metrics' current owners; bucky restore reads it too (a plain tar of path-named whisper files).

Text output: one line a metric, then a summary. --json: {"path","metric","from":[…],"bytes","skipped":[…]} a line, then {"summary":{…}}. Exit 1 when a copy was left out or a location could not be listed.`;

  static override examples = [
    "<%= config.bin %> backup --cluster cluster.yaml --match 'servers.web01.**' -o web01.tar",
    "<%= config.bin %> backup --cluster cluster.yaml --regex '^apps\\.checkout\\.' -o checkout.tar --json",
  ];

  static override flags = {
    cluster: requiredClusterFileFlag('every storage location is searched for the metrics.'),
    output: Flags.string({
      char: 'o',
      helpValue: 'FILE',
      required: true,
      description: 'Write the tar archive to this file (temp file, fsync, rename).',
    }),
    ...metricFilterFlags,
    ...progressFlags,
    ...sshFlags,
  };

  public async run(): Promise<void> {
    const { flags } = await this.parse(Backup);
    const filter = await metricFilterFrom(flags);
    if (filter === null)
      throw new UsageError('backup needs a metric filter', {
        expected: '--match GLOB, --regex RE or --metrics FILE (--match "**" for everything)',
      });
    const cluster = await ToolboxCluster.open(flags.cluster, { ssh: sshOptionsFrom(flags) });
    for (const w of cluster.setup.warnings) noteLine('backup', w);
    const sink = new LineSink();
    const progress = progressStream(flags);
    let last = 0;
    try {
      const sum = await backupMetrics(cluster, filter, flags.output, {
        onMetric: (e) => {
          if (flags.json) sink.push(JSON.stringify(e));
          else if (e.from.length > 0) sink.push(`archived ${e.metric ?? e.path} (${e.path}) from ${e.from.join(', ')}`);
          for (const s of e.skipped) noteLine('backup', `${e.path} on ${s.node} left out: ${s.reason}`);
        },
        ...(progress !== undefined
          ? {
              onProgress: (node: string, n: number) => {
                if (Date.now() - last < 200) return;
                last = Date.now();
                progress.write(`\rbackup ${node}: ${plural(n, 'file')} listed\u001b[K`);
              },
            }
          : {}),
      });
      if (progress !== undefined && last > 0) progress.write('\r\u001b[K');
      for (const f of sum.failed) noteLine('backup', `${f.id}: ${f.error}; not (fully) listed`);
      if (flags.json) sink.push(JSON.stringify({ summary: { ...sum, filter: filter.description } }));
      else
        sink.push(
          `${sum.archive}: ${plural(sum.metrics, 'metric')} (${formatBytes(sum.bytes)}) from ${plural(sum.copies, 'copy', 'copies')}`,
        );
      await sink.flush();
      if (sum.skipped > 0 || sum.failed.length > 0) process.exitCode = 1;
    } finally {
      await cluster.close();
    }
  }
}

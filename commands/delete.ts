import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { clusterFileFlag, countFlag, nodeFlag, progressFlags, progressStream, sshFlags } from '../src/cli/common-flags.js';
import { metricFilterFlags, metricFilterFrom } from '../src/cli/metric-filter-flags.js';
import { noteLine, openTarget } from '../src/cli/toolbox-target.js';
import { UsageError } from '../src/errors.js';
import { LineSink } from '../src/output/sinks.js';
import { deleteMetrics, type DeleteEvent } from '../src/toolbox/delete-metrics.js';
import { defaultJournalName, ToolboxJournal } from '../src/toolbox/toolbox-journal.js';
import { formatBytes, plural } from '../src/units.js';

export default class Delete extends BaseCommand {
  static override summary = 'Delete metrics from every location of a cluster: a dry run unless --yes (bucky delete).';
  static override description = `Every whisper file that passes the metric filter (--match, --regex, --metrics: one is required) is deleted on every location of --cluster (or --node, or one whisper directory): the owners' copies and every stray copy, since what is on disk is listed, not what the ring says. Without --yes nothing is touched: the files that would go are listed.

With --yes each file is checked again right before it goes (still there, still a regular file; symlinks and names carbon-cache cannot have written are never deleted), and every step is written to a journal (--journal, by default ringshift-delete-<time>-<pid>.journal in the current directory): the intent, synced to disk before the unlink, then the result. Directories the deletes leave empty are removed, up to but never including a storage root.

A metric carbon-cache still receives comes back with its next point: stop sending it first.

Text output: one line a file ("would delete" / "deleted" / "already gone" / "skipped" / "failed", the metric, the location and path), then a summary. --json: one object a line: {"node","path","metric","bytes","result","reason"?}, then {"summary":{…}}. Exit 1 when a file could not be deleted or a location not listed.`;

  static override examples = [
    "<%= config.bin %> delete --cluster cluster.yaml --match 'servers.old-web-*.**'",
    "<%= config.bin %> delete --cluster cluster.yaml --match 'servers.old-web-*.**' --yes",
    '<%= config.bin %> stale --cluster cluster.yaml --older-than 180d | cut -f1 | sort -u > gone.txt && <%= config.bin %> delete --cluster cluster.yaml --metrics gone.txt --yes',
    "<%= config.bin %> delete /var/lib/graphite/whisper --regex '^test\\.' --json",
  ];

  static override args = {
    path: Args.string({ description: 'A whisper directory (instead of --cluster).', ignoreStdin: true }),
  };

  static override flags = {
    cluster: clusterFileFlag('the files are deleted on every storage location.'),
    node: nodeFlag('with --cluster, delete on just this location', { dependsOn: ['cluster'] }),
    yes: Flags.boolean({ description: 'Really delete (without it: a dry run that lists what would go).', default: false }),
    'dry-run': Flags.boolean({
      description: 'List what would be deleted and touch nothing (the default).',
      default: false,
      exclusive: ['yes'],
    }),
    journal: Flags.string({
      helpValue: 'FILE',
      description: 'The journal of this run, a new file [default: ringshift-delete-<time>-<pid>.journal].',
    }),
    concurrency: countFlag('concurrency', 'Deletes at once per location [default: 8]', 1, 256),
    ...metricFilterFlags,
    ...progressFlags,
    ...sshFlags,
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(Delete);
    const filter = await metricFilterFrom(flags);
    if (filter === null)
      throw new UsageError('delete needs a metric filter', {
        expected: '--match GLOB, --regex RE or --metrics FILE (--match "**" for everything)',
      });
    const { cluster, selected } = await openTarget('delete', flags, args.path);
    for (const w of cluster.setup.warnings) noteLine('delete', w);
    const yes = flags.yes;
    let journal: ToolboxJournal | null = null;
    const sink = new LineSink();
    const progress = progressStream(flags);
    let last = 0;
    try {
      if (yes) {
        journal = ToolboxJournal.create(flags.journal ?? defaultJournalName('delete'), 'delete', {
          target: flags.cluster ?? args.path,
          nodes: selected.map((i) => cluster.locations[i]!.id),
          filter: filter.description,
        });
        noteLine('delete', `journal: ${journal.path}`);
      }
      const verb: Record<DeleteEvent['result'], string> = {
        'would-delete': 'would delete',
        deleted: 'deleted',
        'already-gone': 'already gone',
        skipped: 'skipped',
        failed: 'failed',
      };
      const sum = await deleteMetrics(cluster, selected, filter, {
        yes,
        journal,
        ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
        onFile: (e) => {
          if (flags.json) sink.push(JSON.stringify(e));
          else {
            const line = `${verb[e.result]} ${e.metric ?? e.path} on ${e.node} (${e.path}${e.reason !== undefined ? `: ${e.reason}` : ''})`;
            if (e.result === 'failed' || e.result === 'skipped') noteLine('delete', line);
            else sink.push(line);
          }
        },
        ...(progress !== undefined
          ? {
              onProgress: (node: string, n: number) => {
                if (Date.now() - last < 200) return;
                last = Date.now();
                progress.write(`\rdelete ${node}: ${plural(n, 'file')} listed\u001b[K`);
              },
            }
          : {}),
      });
      if (progress !== undefined && last > 0) progress.write('\r\u001b[K');
      for (const u of sum.unreachable) noteLine('delete', `${u.id}: ${u.error}; not (fully) listed`);
      journal?.close({ t: 'end', files: sum.files, bytes: sum.bytes, dirs: sum.dirs, skipped: sum.skipped, failed: sum.failed });
      if (flags.json)
        sink.push(JSON.stringify({ summary: { dryRun: !yes, ...sum, filter: filter.description, journal: journal?.path ?? null } }));
      else {
        const what = `${plural(sum.files, 'file')} (${formatBytes(sum.bytes)}) on ${plural(sum.nodes.length, 'location')}`;
        sink.push(
          yes
            ? `deleted ${what}, removed ${plural(sum.dirs, 'empty directory', 'empty directories')}`
            : sum.files === 0
              ? `no file matches ${filter.description}`
              : `would delete ${what}; nothing deleted (run again with --yes)`,
        );
        if (sum.skipped + sum.failed > 0) sink.push(`${sum.skipped} skipped, ${sum.failed} failed`);
      }
      await sink.flush();
      if (sum.failed > 0 || sum.unreachable.length > 0) process.exitCode = 1;
    } finally {
      journal?.close();
      await cluster.close();
    }
  }
}

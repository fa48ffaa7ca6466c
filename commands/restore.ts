import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { requiredClusterFileFlag, sshFlags, sshOptionsFrom } from '../src/cli/common-flags.js';
import { metricFilterFlags, metricFilterFrom } from '../src/cli/metric-filter-flags.js';
import { noteLine } from '../src/cli/toolbox-target.js';
import { LineSink } from '../src/output/sinks.js';
import { restoreArchive, type RestoreEvent } from '../src/toolbox/restore-archive.js';
import { ToolboxCluster } from '../src/toolbox/toolbox-cluster.js';
import { defaultJournalName, ToolboxJournal } from '../src/toolbox/toolbox-journal.js';
import { plural } from '../src/units.js';

export default class Restore extends BaseCommand {
  static override summary = "Put the whisper files of a tar archive back on each metric's current owners (bucky restore).";
  static override description = `Reads ARCHIVE (a tar written by "ringshift backup", or by bucky tar: entries named by storage path, servers/web01/cpu.wsp) and places each metric on its owners under the --cluster ring as it is NOW: an owner without the file gets it whole (temp file, fsync, linked into place, never replacing a file), an owner with the file gets a gap-only fill under carbon-cache's flock (its own points win). The whole archive is checked first — a tar of regular files with whisper paths, each a sound whisper file — and refused with one line otherwise, before anything is written. --match/--regex/--metrics restore a subset.

--dry-run lists what would be created and filled. Every step is journaled (--journal, by default ringshift-restore-<time>-<pid>.journal here): the intent, fdatasynced, then the result; both steps are idempotent, so after a crash the same restore run again finishes it. Over ssh:// the fill is computed without the lock and written under it once the slots are seen unchanged, as apply does.

Text output: one line a file per owner, then a summary. --json: {"metric","path","node","result","slots"?,"reason"?} a line, then {"summary":{…}}. Exit 1 when something failed; 2 for an archive that is not a tar of whisper files.`;

  static override examples = [
    '<%= config.bin %> restore web01.tar --cluster cluster.yaml --dry-run',
    '<%= config.bin %> restore web01.tar --cluster cluster.yaml',
    "<%= config.bin %> restore all.tar --cluster cluster.yaml --match 'servers.web01.cpu.*' --json",
  ];

  static override args = {
    archive: Args.string({ description: 'The tar archive (ringshift backup, bucky tar).', required: true, ignoreStdin: true }),
  };

  static override flags = {
    cluster: requiredClusterFileFlag("the ring (each metric's owners now) and their storage locations."),
    'dry-run': Flags.boolean({ description: 'List what would be created and filled; write nothing.', default: false }),
    journal: Flags.string({
      helpValue: 'FILE',
      description: 'The journal of this run, a new file [default: ringshift-restore-<time>-<pid>.journal].',
    }),
    ...metricFilterFlags,
    ...sshFlags,
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(Restore);
    const filter = await metricFilterFrom(flags);
    const cluster = await ToolboxCluster.open(flags.cluster, { ssh: sshOptionsFrom(flags) });
    for (const w of cluster.setup.warnings) noteLine('restore', w);
    const sink = new LineSink();
    let journal: ToolboxJournal | null = null;
    const verb: Record<RestoreEvent['result'], string> = {
      'would-create': 'would create',
      'would-fill': 'would fill',
      created: 'created',
      filled: 'filled',
      failed: 'failed',
    };
    try {
      if (!flags['dry-run']) {
        journal = ToolboxJournal.create(flags.journal ?? defaultJournalName('restore'), 'restore', {
          archive: args.archive,
          cluster: flags.cluster,
        });
        noteLine('restore', `journal: ${journal.path}`);
      }
      const sum = await restoreArchive(cluster, args.archive, {
        dryRun: flags['dry-run'],
        journal,
        filter,
        onEvent: (e) => {
          if (flags.json) sink.push(JSON.stringify(e));
          else {
            const line = `${verb[e.result]} ${e.metric} on ${e.node} (${e.path}${e.slots !== undefined ? `: ${plural(e.slots, 'slot')}` : ''}${e.reason !== undefined ? `: ${e.reason}` : ''})`;
            if (e.result === 'failed') noteLine('restore', line);
            else sink.push(line);
          }
        },
      });
      journal?.close({ t: 'end', ...sum });
      if (flags.json) sink.push(JSON.stringify({ summary: { dryRun: flags['dry-run'], ...sum, journal: journal?.path ?? null } }));
      else
        sink.push(
          `${flags['dry-run'] ? 'would restore' : 'restored'} ${plural(sum.entries, 'metric')}: ${sum.created} created, ${sum.filled} filled (${plural(sum.slots, 'slot')})${sum.failed > 0 ? `, ${sum.failed} failed` : ''}`,
        );
      await sink.flush();
      if (sum.failed > 0) process.exitCode = 1;
    } finally {
      journal?.close();
      await cluster.close();
    }
  }
}

import { Flags } from '@oclif/core';
import { applyPlan } from '../src/apply/executor.js';
import { stderrApplyProgress } from '../src/apply/apply-progress.js';
import { BaseCommand } from '../src/cli/base-command.js';
import { countFlag, progressFlags, progressStream, requiredClusterFileFlag, sshFlags, sshOptionsFrom } from '../src/cli/common-flags.js';
import { noteLine } from '../src/cli/toolbox-target.js';
import { LineSink } from '../src/output/sinks.js';
import type { PlanAction, PlanSkip } from '../src/plan/plan-file.js';
import { pathToMetric } from '../src/storage/paths.js';
import { RenameMap } from '../src/toolbox/rename-map.js';
import { planRename } from '../src/toolbox/rename-plan.js';
import { ToolboxCluster } from '../src/toolbox/toolbox-cluster.js';
import { defaultJournalName } from '../src/toolbox/toolbox-journal.js';
import { formatBytes, plural } from '../src/units.js';

export default class Rename extends BaseCommand {
  static override summary =
    "Rename metrics across a cluster: each old name's points merged gap-only into the new name on its owners (bucky backfill).";
  static override description = `--map FILE lists the renames, one a line: "old.name new.name", or "re:REGEX REPLACEMENT" (a JavaScript regular expression matched against the whole name; $1…$99, $<name> and $$ in the replacement); blank lines and # comments are ignored. Two old names going to one new name are merged (a note says so); a new name that is itself renamed by the map (a chain or a cycle), a name two rules match, and a rename to itself are refused with one line naming FILE:LINE.

Every copy of each old name on every location of --cluster (owners and stray copies alike) is merged gap-only into the new name on each of the new name's owners — copied there when the owner lacks it (the new file has the old file's layout), filled into it when it exists (its own points win) — and then deleted, once every owner's file is verified. This is an ordinary plan, run by "ringshift apply" with its journal, so it can be looked at first, run later, and resumed after a crash:

  without -o or --yes   a dry run: the actions are listed, nothing is written
  -o PLAN               the plan is written; run it with "ringshift apply PLAN"
  --yes                 the plan is written (to -o, or ringshift-rename-<time>-<pid>.plan here) and applied at once; if interrupted, "ringshift apply PLAN" resumes it

Metrics carbon-cache still receives under the old name come back with the next point: switch the senders first. An old file that is not a sound whisper file is left alone (a skip record says why). Tagged series are not renamed.

--json: each planned action and skip as a plan record, one a line, then {"summary":{…}}; with --yes the apply report follows as one more line. Exit 0 when everything is planned (and, with --yes, done); 1 when a file is left alone or something failed; 2 for a bad map or usage.`;

  static override examples = [
    '<%= config.bin %> rename --cluster cluster.yaml --map renames.txt',
    '<%= config.bin %> rename --cluster cluster.yaml --map renames.txt -o rename.plan && <%= config.bin %> apply rename.plan',
    '<%= config.bin %> rename --cluster cluster.yaml --map renames.txt --yes',
    "printf 're:^servers\\\\.(\\\\w+)\\\\.cpu$ hosts.$1.cpu\\n' > renames.txt && <%= config.bin %> rename -c cluster.yaml --map renames.txt --json",
  ];

  static override flags = {
    cluster: requiredClusterFileFlag('the ring (owners of the new names) and every storage location searched for the old names.'),
    map: Flags.string({
      helpValue: 'FILE',
      required: true,
      description: 'The renames, one a line: "old.name new.name" or "re:REGEX REPLACEMENT"; # comments.',
    }),
    output: Flags.string({
      char: 'o',
      helpValue: 'FILE',
      description: 'Write the plan to this file (run it with ringshift apply); without it and without --yes: a dry run.',
    }),
    yes: Flags.boolean({
      description: 'Act: write the plan and apply it now (without it: a dry run, or just the plan with -o).',
      default: false,
    }),
    'dry-run': Flags.boolean({
      description: 'List what would be done and write nothing (the default).',
      default: false,
      exclusive: ['yes', 'output'],
    }),
    concurrency: countFlag('concurrency', 'With --yes: actions moving data at once [default: 16]', 1, 256),
    ...progressFlags,
    ...sshFlags,
  };

  public async run(): Promise<void> {
    const { flags } = await this.parse(Rename);
    const map = RenameMap.read(flags.map);
    const ssh = sshOptionsFrom(flags);
    const cluster = await ToolboxCluster.open(flags.cluster, { ssh });
    for (const w of cluster.setup.warnings) noteLine('rename', w);
    const sink = new LineSink();
    const progress = progressStream(flags);
    const output = flags.output ?? (flags.yes ? defaultJournalName('rename').replace(/\.journal$/, '.plan') : undefined);
    let last = 0;
    let sum;
    try {
      sum = await planRename({
        map,
        cluster,
        output,
        // The text lists the actions in the dry run; a written plan holds them (apply PLAN --dry-run lists them).
        onRecord: (rec) => {
          if (flags.json) sink.push(JSON.stringify(rec));
          else if (output === undefined || rec.type === 'skip') sink.push(recordLine(rec));
        },
        ...(progress !== undefined
          ? {
              onProgress: (node: string, n: number) => {
                if (Date.now() - last < 200) return;
                last = Date.now();
                progress.write(`\rrename ${node}: ${plural(n, 'file')} listed\u001b[K`);
              },
            }
          : {}),
      });
    } finally {
      if (progress !== undefined && last > 0) progress.write('\r\u001b[K');
      await cluster.close();
    }
    for (const m of sum.merges)
      noteLine(
        'rename',
        `${m.olds.join(', ')} all become ${m.name}: merged gap-only (for a slot several have, the first copied wins; the new name's own points when it exists)`,
      );
    for (const n of sum.notFound) noteLine('rename', `${n} is on no location; nothing to rename`);
    const counts = `${plural(sum.oldNames, 'old name')} → ${plural(sum.newNames, 'new name')}: ${plural(sum.copy, 'copy', 'copies')}, ${plural(sum.fill, 'fill')}, ${plural(sum.delete, 'delete')}, ${formatBytes(sum.bytes)} to read${sum.skip > 0 ? `; ${plural(sum.skip, 'file')} left alone` : ''}`;
    if (flags.json) sink.push(JSON.stringify({ summary: { ...sum, dryRun: sum.written === null, map: map.file } }));
    else if (sum.written === null) sink.push(`would rename ${counts}; nothing written (-o PLAN writes the plan, --yes runs it)`);
    else sink.push(`plan ${sum.written}: ${counts}${flags.yes ? '' : `; run it with: ringshift apply ${sum.written}`}`);
    if (!flags.yes || sum.written === null) {
      await sink.flush();
      if (sum.skip > 0) process.exitCode = 1;
      return;
    }
    noteLine('rename', `applying ${sum.written} (if interrupted: ringshift apply ${sum.written})`);
    await sink.flush();
    const report = await applyPlan({
      plan: sum.written,
      concurrency: flags.concurrency ?? 16,
      ssh,
      ...(progress !== undefined ? { progress: stderrApplyProgress(progress, 10_000) } : {}),
    });
    if (flags.json) sink.push(JSON.stringify(report.json()));
    else for (const line of report.text()) sink.push(line);
    await sink.flush();
    process.exitCode = Math.max(report.exitCode(), sum.skip > 0 ? 1 : 0);
  }
}

/** One planned action or skip as a line. */
function recordLine(rec: PlanAction | PlanSkip): string {
  if (rec.type === 'skip') return `skip ${rec.metric ?? rec.path} on ${rec.at} (${rec.path}): ${rec.reason}`;
  if (rec.op === 'delete') return `delete ${rec.metric} on ${rec.at} (${rec.path})`;
  const into = `${rec.metric} on ${rec.to} (${rec.toPath ?? rec.path})`;
  return `${rec.op} ${pathToMetric(rec.path).metric ?? rec.path} on ${rec.from} (${rec.path}) → ${into}${rec.op === 'fill' && rec.after !== undefined ? ' after the copy' : ''}`;
}

import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { clusterFileFlag, countFlag, nodeFlag, progressFlags, progressStream, sshFlags } from '../src/cli/common-flags.js';
import { metricFilterFlags, metricFilterFrom } from '../src/cli/metric-filter-flags.js';
import { noteLine, openTarget } from '../src/cli/toolbox-target.js';
import { nowSeconds } from '../src/clock.js';
import { LineSink } from '../src/output/sinks.js';
import { findStale } from '../src/toolbox/stale-scan.js';
import { formatDuration, parseDuration, plural } from '../src/units.js';

export default class Stale extends BaseCommand {
  static override summary = "Metrics with no write (or no point) since a given time, per location: carbonate's carbon-stale.";
  static override description = `--by mtime (the default, as carbon-stale): a file is stale when it was not modified in the last --older-than (its mtime is older). --by data (carbon-stale -w): when its finest archive holds no point in whisper.fetch's window for the last --older-than; where that is longer than the finest archive's retention, carbonate reads a coarser archive (empty when the xFilesFactor held points back) and ringshift still the finest, whose last points stay until newer ones overwrite them.

Every location of --cluster (or --node), or one whisper directory, is scanned with the metric filter (--match, --regex, --metrics), not a names list: a metric is reported on each location that holds it. --invert lists the files that are not stale (carbon-stale -r).

Text output: one stale metric a line (with --cluster: the name, a tab and the location id); a file without a name (a hashed tagged file) is shown by its path. A summary goes to stderr. --json: one object a line: {"metric","path","node","mtime","lastPoint"?,"stale"}, then {"summary":{…}}. A file that cannot be read is an error line on stderr and exit 1.`;

  static override examples = [
    '<%= config.bin %> stale --cluster cluster.yaml --older-than 30d',
    "<%= config.bin %> stale --cluster cluster.yaml --older-than 7d --by data --match 'servers.*.**'",
    '<%= config.bin %> stale /var/lib/graphite/whisper --older-than 90d --json',
    '<%= config.bin %> stale --cluster cluster.yaml --older-than 180d | cut -f1 | sort -u > gone.txt   # then: delete --metrics gone.txt',
  ];

  static override args = {
    path: Args.string({ description: 'A whisper directory (instead of --cluster).', ignoreStdin: true }),
  };

  static override flags = {
    cluster: clusterFileFlag('every storage location is checked.'),
    node: nodeFlag('with --cluster, check just this location', { dependsOn: ['cluster'] }),
    'older-than': Flags.string({
      helpValue: 'DUR',
      description:
        'Stale means nothing since this long ago: a duration (90s, 12h, 30d, 1w; a bare number is seconds). [default: 24h, as carbon-stale]',
      default: '24h',
    }),
    by: Flags.string({
      options: ['mtime', 'data'],
      default: 'mtime',
      description: "What counts: the file's mtime, or the newest point of its finest archive.",
    }),
    invert: Flags.boolean({ char: 'I', description: 'List the files that are NOT stale (carbon-stale -r).', default: false }),
    concurrency: countFlag('concurrency', 'Files read at once per location with --by data [default: 16]', 1, 256),
    ...metricFilterFlags,
    ...progressFlags,
    ...sshFlags,
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(Stale);
    const olderThan = parseDuration(flags['older-than'], '--older-than');
    const filter = await metricFilterFrom(flags);
    const { cluster, selected } = await openTarget('stale', flags, args.path);
    const withNode = flags.cluster !== undefined;
    for (const w of cluster.setup.warnings) noteLine('stale', w);
    const sink = new LineSink();
    const progress = progressStream(flags);
    let lastProgress = 0;
    const by = flags.by as 'mtime' | 'data';
    try {
      const sum = await findStale(
        cluster,
        selected,
        {
          by,
          olderThan,
          now: nowSeconds(),
          filter,
          ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
          ...(progress !== undefined
            ? {
                onProgress: (node: string, n: number) => {
                  if (Date.now() - lastProgress < 200) return;
                  lastProgress = Date.now();
                  progress.write(`\rstale ${node}: ${plural(n, 'file')}\u001b[K`);
                },
              }
            : {}),
        },
        async (r) => {
          if (r.stale === flags.invert) return;
          const line = flags.json ? JSON.stringify(r) : withNode ? `${r.metric ?? r.path}\t${r.node}` : (r.metric ?? r.path);
          if (sink.push(line)) await sink.flush();
        },
        (p) => {
          if (flags.json) sink.push(JSON.stringify(p));
          noteLine('stale', `${p.node}${p.path === '' ? '' : `: ${p.path}`}: ${p.error}`);
        },
      );
      if (progress !== undefined && lastProgress > 0) progress.write('\r\u001b[K');
      const summary = { ...sum, by, olderThanSeconds: olderThan, filter: filter?.description ?? null };
      if (flags.json) sink.push(JSON.stringify({ summary }));
      await sink.flush();
      noteLine(
        'stale',
        `${plural(sum.stale, 'stale file')} of ${plural(sum.files, 'file')} (by ${by}: nothing since ${formatDuration(olderThan)} ago)` +
          (filter === null ? '' : `; filter ${filter.description}`),
      );
      if (sum.problems > 0 || sum.failedLocations.length > 0) process.exitCode = 1;
    } finally {
      await cluster.close();
    }
  }
}

import { Args } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { clusterFileFlag, countFlag, nodeFlag, progressFlags, progressStream, sshFlags } from '../src/cli/common-flags.js';
import { metricFilterFlags, metricFilterFrom } from '../src/cli/metric-filter-flags.js';
import { noteLine, openTarget } from '../src/cli/toolbox-target.js';
import { alignColumns } from '../src/output/table.js';
import { diskUsage } from '../src/toolbox/disk-usage.js';
import { formatBytes, plural } from '../src/units.js';

export default class Du extends BaseCommand {
  static override summary = 'Files and bytes per metric prefix, per location and in total (bucky du).';
  static override description = `Every whisper file of the cluster's storage locations (or of one directory, or --node) that passes the metric filter is counted under the prefix of its first --depth path components (a name shorter than that is its own prefix; tagged series count under _tagged). Sizes are the files' own (st_size, as bucky du adds them up); nothing is read but the directory listings.

Text output: a table, one row per prefix, its files and bytes in total and on each location, then the totals. --json: one object a line: {"prefix","files","bytes","nodes":{"<location>":{"files","bytes"}}}, then {"summary":{"files","bytes","nodes":[…],"failed":[…]}} with exact byte counts.`;

  static override examples = [
    '<%= config.bin %> du --cluster cluster.yaml',
    "<%= config.bin %> du --cluster cluster.yaml --depth 2 --match 'servers.**'",
    '<%= config.bin %> du /var/lib/graphite/whisper --depth 3 --json',
  ];

  static override args = {
    path: Args.string({ description: 'A whisper directory (instead of --cluster).', ignoreStdin: true }),
  };

  static override flags = {
    cluster: clusterFileFlag('every storage location is counted.'),
    node: nodeFlag('with --cluster, count just this location', { dependsOn: ['cluster'] }),
    depth: countFlag('depth', 'Path components in a prefix [default: 1]', 0, 64),
    ...metricFilterFlags,
    ...progressFlags,
    ...sshFlags,
  };

  public async run(): Promise<void> {
    const { args, flags } = await this.parse(Du);
    const filter = await metricFilterFrom(flags);
    const { cluster, selected } = await openTarget('du', flags, args.path);
    for (const w of cluster.setup.warnings) noteLine('du', w);
    const progress = progressStream(flags);
    let last = 0;
    try {
      const du = await diskUsage(
        cluster,
        selected,
        flags.depth ?? 1,
        filter,
        progress === undefined
          ? undefined
          : (node, n) => {
              if (Date.now() - last < 200) return;
              last = Date.now();
              progress.write(`\rdu ${node}: ${plural(n, 'file')}\u001b[K`);
            },
      );
      if (progress !== undefined && last > 0) progress.write('\r\u001b[K');
      for (const f of du.failed) noteLine('du', `${f.id}: ${f.error}; not counted (or only in part)`);
      if (flags.json) {
        const lines = du.rows.map((r) => JSON.stringify(r));
        lines.push(JSON.stringify({ summary: { ...du.total, nodes: du.nodes, failed: du.failed, filter: filter?.description ?? null } }));
        process.stdout.write(lines.join('\n') + '\n');
      } else {
        const ids = du.nodes.map((n) => n.id);
        const cell = (u: { files: number; bytes: number } | undefined) => (u === undefined ? '-' : `${u.files} (${formatBytes(u.bytes)})`);
        const rows: string[][] = [['prefix', 'files', 'bytes', ...(ids.length > 1 ? ids : [])]];
        for (const r of du.rows)
          rows.push([r.prefix, String(r.files), formatBytes(r.bytes), ...(ids.length > 1 ? ids.map((id) => cell(r.nodes[id])) : [])]);
        rows.push(['total', String(du.total.files), formatBytes(du.total.bytes), ...(ids.length > 1 ? du.nodes.map((n) => cell(n)) : [])]);
        process.stdout.write(alignColumns(rows).join('\n') + `\n${du.total.bytes} bytes in ${plural(du.total.files, 'file')}\n`);
      }
      if (du.failed.length > 0) process.exitCode = 1;
    } finally {
      await cluster.close();
    }
  }
}

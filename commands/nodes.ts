import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { nodeFlag, requiredClusterFileFlag, sshFlags } from '../src/cli/common-flags.js';
import { metricFilterFlags, metricFilterFrom } from '../src/cli/metric-filter-flags.js';
import { noteLine, openTarget } from '../src/cli/toolbox-target.js';
import { alignColumns } from '../src/output/table.js';
import { nodeStatus, type NodeStatus } from '../src/toolbox/node-status.js';
import { formatBytes, formatPercent, parseDuration } from '../src/units.js';

export default class Nodes extends BaseCommand {
  static override summary =
    'Every storage location of a cluster: reachable?, free space, inodes, whisper files, clock offset, carbon-cache port (bucky servers).';
  static override description = `One row per storage location of --cluster (or --node): whether it can be reached (a local directory, or an ssh:// host logged in to), its filesystem's size and free space, its inode use, how many whisper files it holds (passing the metric filter; --no-files skips the listing), how far its clock is from this machine's (ssh: the host's date, whole seconds; whisper timestamps and apply's stamps depend on it), and whether each ring member writing there answers on its carbon-cache port (a TCP connect, nothing sent; --port-timeout).

Text output: a table, then a line per problem. --json: one object a line: {"node","url","reachable","error"?,"bytes":{"total","available","used"},"inodes":{"total","free","used"}|null,"files","clockOffsetMs","carbon":[{"member","host","port","open","error"?}]}. Exit 1 when a location cannot be reached.`;

  static override examples = [
    '<%= config.bin %> nodes --cluster cluster.yaml',
    '<%= config.bin %> nodes --cluster cluster.yaml --no-files --json',
    "<%= config.bin %> nodes --cluster cluster.yaml --match 'servers.**' --port-timeout 5s",
  ];

  static override flags = {
    cluster: requiredClusterFileFlag('every storage location is checked.'),
    node: nodeFlag('check just this location'),
    files: Flags.boolean({ description: 'Count the whisper files (a full listing of each location).', default: true, allowNo: true }),
    'port-timeout': Flags.string({
      helpValue: 'DUR',
      description: 'How long to wait for a carbon-cache port to answer (a duration). [default: 2s]',
    }),
    ...metricFilterFlags,
    ...sshFlags,
  };

  public async run(): Promise<void> {
    const { flags } = await this.parse(Nodes);
    const filter = await metricFilterFrom(flags);
    const timeout = flags['port-timeout'] === undefined ? 2 : parseDuration(flags['port-timeout'], '--port-timeout');
    const { cluster, selected } = await openTarget('nodes', flags, undefined, true);
    for (const w of cluster.setup.warnings) noteLine('nodes', w);
    try {
      const rows = await nodeStatus(cluster, selected, { portTimeoutMs: Math.max(1, timeout * 1000), filter, countFiles: flags.files });
      if (flags.json) process.stdout.write(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      else {
        const table: string[][] = [['node', 'reachable', 'size', 'free', 'used', 'inodes used', 'files', 'clock', 'carbon-cache']];
        for (const r of rows) table.push(textRow(r, flags.files));
        process.stdout.write(alignColumns(table).join('\n') + '\n');
        for (const r of rows) {
          if (r.error !== undefined) noteLine('nodes', `${r.node}: ${r.error}`);
          for (const c of r.carbon)
            if (!c.open) noteLine('nodes', `${r.node}: ${c.member}: ${c.host}:${c.port} does not answer (${c.error})`);
        }
      }
      if (rows.some((r) => !r.reachable)) process.exitCode = 1;
    } finally {
      await cluster.close();
    }
  }
}

function textRow(r: NodeStatus, files: boolean): string[] {
  const dash = '-';
  const clock =
    r.clockOffsetMs === undefined
      ? dash
      : r.clockOffsetMs === 0
        ? '0 s'
        : `${r.clockOffsetMs > 0 ? '+' : ''}${(r.clockOffsetMs / 1000).toFixed(0)} s`;
  const carbon = r.carbon.length === 0 ? dash : r.carbon.map((c) => `${c.port} ${c.open ? 'open' : 'closed'}`).join(', ');
  return [
    r.node,
    r.reachable ? 'yes' : 'NO',
    r.bytes === undefined ? dash : formatBytes(r.bytes.total),
    r.bytes === undefined ? dash : formatBytes(r.bytes.available),
    r.bytes === undefined ? dash : formatPercent(r.bytes.used),
    r.inodes == null ? dash : formatPercent(r.inodes.used),
    !files || r.files === undefined ? dash : String(r.files),
    clock,
    carbon,
  ];
}

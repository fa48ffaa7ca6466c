import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { clusterFileFlag } from '../src/cli/common-flags.js';
import { nameBatches } from '../src/input/names.js';
import { LineSink } from '../src/output/sinks.js';
import { nameToPath } from '../src/toolbox/carbon-path.js';
import { DataError } from '../src/errors.js';

export default class Path extends BaseCommand {
  static override summary = "Where carbon-cache stores each metric: carbonate's carbon-path, with carbon's exact mapping.";
  static override description = `Names come from the arguments, from --file, or from stdin, one a line. Each is mapped as carbon-cache maps it: normalised first (tagged series in carbon's tag order, a leading '~' dropped, doubled or leading dots collapsing as the filesystem collapses them), every '.' a directory level, ".wsp" appended; tagged series (names with ';') go to _tagged/<sha256[0:3]>/<sha256[3:6]>/<sha256>.wsp (TAG_HASH_FILENAMES, carbon's default; --no-hash-tagged gives the _DOT_ file name instead).

Text output: the path relative to the storage root, one a line; with --root, under that directory; with --cluster, one line per owner: the path under its storage root, a tab and the location id.

--json: one object a line: {"metric","stored","path","tagged","owners"?:[{"node","path"}]}. The reverse is "ringshift name".`;

  static override examples = [
    '<%= config.bin %> path servers.web01.cpu.user',
    "<%= config.bin %> path 'cpu.load;host=web01;dc=ams'",
    '<%= config.bin %> path --cluster cluster.yaml servers.web01.cpu.user',
    '<%= config.bin %> scan /var/lib/graphite/whisper | grep ^apps. | <%= config.bin %> path --root /var/lib/graphite/whisper',
  ];

  static override strict = false;
  static override args = {
    metric: Args.string({ description: 'Metric names (else --file, else stdin).', ignoreStdin: true }),
  };

  static override flags = {
    file: Flags.string({ char: 'f', helpValue: 'FILE', description: 'Read names from FILE, one a line ("-" for stdin).' }),
    root: Flags.string({
      helpValue: 'DIR',
      description: "Prepend this storage directory (carbon's LOCAL_DATA_DIR).",
      exclusive: ['cluster'],
    }),
    cluster: clusterFileFlag("print the path on each owner's storage location."),
    'hash-tagged': Flags.boolean({
      description: "Tagged series get their sha256 as file name (carbon's TAG_HASH_FILENAMES, default on).",
      default: true,
      allowNo: true,
    }),
  };

  public async run(): Promise<void> {
    const { flags, argv } = await this.parse(Path);
    const { ToolboxCluster } = await import('../src/toolbox/toolbox-cluster.js');
    const cluster = flags.cluster === undefined ? null : await ToolboxCluster.open(flags.cluster);
    const sink = new LineSink();
    const root = flags.root === undefined ? '' : flags.root.replace(/\/+$/, '') + '/';
    let bad = 0;
    for await (const batch of nameBatches({ args: argv as string[], file: flags.file })) {
      for (const name of batch) {
        if (argv.length === 0 && name === '') continue;
        let p;
        try {
          p = nameToPath(name, flags['hash-tagged']);
        } catch (err) {
          if (!(err instanceof DataError)) throw err;
          process.stderr.write(`ringshift: path: ${err.message}\n`);
          bad++;
          continue;
        }
        if (cluster === null) {
          if (flags.json ? sink.push(JSON.stringify({ ...p, path: root + p.path })) : sink.push(root + p.path)) await sink.flush();
        } else {
          const owners = cluster.owners(p.stored).map((i) => {
            const loc = cluster.locations[i]!;
            return { node: loc.id, path: `${loc.scheme === 'ssh' ? loc.url : loc.root}/${p.path}` };
          });
          if (flags.json) sink.push(JSON.stringify({ ...p, owners }));
          else for (const o of owners) sink.push(`${o.path}\t${o.node}`);
        }
      }
      await sink.flush();
    }
    await sink.flush();
    await cluster?.close();
    if (bad > 0) process.exitCode = 1;
  }
}

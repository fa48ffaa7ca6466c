import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { clusterFileFlag } from '../src/cli/common-flags.js';
import { nameBatches } from '../src/input/names.js';
import { LineSink } from '../src/output/sinks.js';
import { pathToName } from '../src/toolbox/carbon-path.js';

export default class Name extends BaseCommand {
  static override summary = "The metric name stored at each whisper path: carbonate's carbon-path -r, with carbon's exact mapping.";
  static override description = `Paths come from the arguments, from --file, or from stdin, one a line: relative to the storage root, or absolute under --root DIR or under a storage location of --cluster FILE (the longest root is stripped).

a/b/c.wsp is a.b.c; a/b/.wsp is the trailing-dot name a.b.; _tagged/xxx/yyy/<name with _DOT_>.wsp is the tagged name, checked against its hash directories. A file named by its sha256 (TAG_HASH_FILENAMES) has no recoverable name, and a path carbon-cache cannot have written (a '.' inside a directory name, a tagged name in the wrong hash directory) is reported with why: both on stderr, exit 1.

Text output: the name, one a line. --json: one object a line: {"given","path","metric","kind","note"?}, kind being metric, trailing-dot, tagged, tagged-hashed or malformed. The reverse is "ringshift path".`;

  static override examples = [
    '<%= config.bin %> name servers/web01/cpu/user.wsp',
    '<%= config.bin %> name --root /var/lib/graphite/whisper /var/lib/graphite/whisper/servers/web01/cpu/user.wsp',
    'find /var/lib/graphite/whisper -name "*.wsp" | <%= config.bin %> name --root /var/lib/graphite/whisper',
  ];

  static override strict = false;
  static override args = {
    path: Args.string({ description: 'Whisper file paths (else --file, else stdin).', ignoreStdin: true }),
  };

  static override flags = {
    file: Flags.string({
      char: 'f',
      helpValue: 'FILE',
      description: 'Read the paths from FILE, one a line ("-" for stdin), as other commands read names.',
    }),
    root: Flags.string({ helpValue: 'DIR', description: "Strip this storage directory (carbon's LOCAL_DATA_DIR) from absolute paths." }),
    cluster: clusterFileFlag('strip any of its storage locations from absolute paths.'),
  };

  public async run(): Promise<void> {
    const { flags, argv } = await this.parse(Name);
    const roots = flags.root === undefined ? [] : [flags.root];
    if (flags.cluster !== undefined) {
      const { ToolboxCluster } = await import('../src/toolbox/toolbox-cluster.js');
      const c = await ToolboxCluster.open(flags.cluster);
      for (const loc of c.locations) roots.push(loc.scheme === 'ssh' ? loc.url : loc.root);
      for (const k of c.locations.flatMap((l) => l.keys)) if (k.location.startsWith('/')) roots.push(k.location);
      await c.close();
    }
    const sink = new LineSink();
    let bad = 0;
    for await (const batch of nameBatches({ args: argv as string[], file: flags.file })) {
      for (const given of batch) {
        if (argv.length === 0 && given === '') continue;
        const r = pathToName(given, roots);
        if (flags.json) sink.push(JSON.stringify(r));
        else if (r.metric !== null) sink.push(r.metric);
        if (r.metric === null) {
          bad++;
          if (!flags.json) process.stderr.write(`ringshift: name: ${given}: ${r.kind}: ${r.note ?? 'no name'}\n`);
        }
      }
      await sink.flush();
    }
    await sink.flush();
    if (bad > 0) process.exitCode = 1;
  }
}

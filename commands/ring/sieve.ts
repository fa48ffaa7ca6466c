import { Args, Flags } from '@oclif/core';
import { selectNodes, sieveNames } from '../../src/ring-output/placements.js';
import { progressWhileRedirected } from '../../src/ring-output/name-progress.js';
import { BaseCommand } from '../../src/cli/base-command.js';
import { ringFlags } from '../../src/cli/ring-flags.js';
import { withCrelayRules } from '../../src/config/crelay-routing.js';
import { ringFromFlags } from '../../src/config/ring-source.js';

export default class RingSieve extends BaseCommand {
  static override summary = 'Pass only the names a node owns (or, with --invert, does not own).';
  static override description = `A filter for shell pipelines, like carbonate's carbon-sieve. A node owns a name when it is any of the name's owners — the primary or a replica (replication > 1); --primary restricts to the primary owner.

--node selects members by server (every instance on that host), server:instance, or the full member id server:port[:instance]. A value matching no member is an error (exit 2).

Names a carbon-c-relay drops (nothing left after cleansing) are owned by nobody: they pass with --invert only. With a carbon-c-relay config, its rules are walked first, as the relay does: a name it sends only to other clusters, consumes in an aggregate (stop) or blackholes is owned by nobody in this cluster, and a "route using" key is hashed instead of the name.

Text output: the names as given. --json: the "ring locate --json" line of each passing name.`;

  static override examples = [
    '<%= config.bin %> ring sieve --ring carbon.conf --node 10.0.0.5 -f all-names.txt > mine.txt',
    'carbon-list | <%= config.bin %> ring sieve --ring new-relay.conf --node "$(hostname)" --invert   # names to move away',
    '<%= config.bin %> ring sieve --destinations a:2004:x,b:2004:x,c:2004:x --replication 2 --node b:x --primary -f names.txt',
  ];

  static override strict = false;
  static override args = {
    metric: Args.string({ description: 'Metric names (else --file, else stdin).', ignoreStdin: true }),
  };

  static override flags = {
    ...ringFlags,
    node: Flags.string({
      char: 'n',
      description: 'The node: SERVER, SERVER:INSTANCE or SERVER:PORT[:INSTANCE].',
      required: true,
    }),
    invert: Flags.boolean({ char: 'I', description: 'Pass the names the node does NOT own.', default: false }),
    primary: Flags.boolean({ description: 'Count only the primary owner (ignore replicas).', default: false }),
    file: Flags.string({ char: 'f', description: 'Read names from FILE, one a line ("-" for stdin).' }),
  };

  public async run(): Promise<void> {
    const { flags, argv } = await this.parse(RingSieve);
    // A c-relay config: the names its rules send to this cluster, under their `route using` keys.
    const ring = withCrelayRules(await ringFromFlags(flags));
    const select = selectNodes(ring, flags.node);
    await sieveNames(
      ring,
      { args: argv as string[], file: flags.file },
      {
        select,
        invert: flags.invert,
        primaryOnly: flags.primary,
        json: flags.json,
        report: progressWhileRedirected('ring sieve'),
      },
    );
  }
}

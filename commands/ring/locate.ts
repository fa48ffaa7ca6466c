import { Args, Flags } from '@oclif/core';
import { locateNames } from '../../src/ring-output/placements.js';
import { progressWhileRedirected } from '../../src/ring-output/name-progress.js';
import { BaseCommand } from '../../src/cli/base-command.js';
import { ringFlags } from '../../src/cli/ring-flags.js';
import { ringFromFlags } from '../../src/config/ring-source.js';

export default class RingLocate extends BaseCommand {
  static override summary = 'Print the owners of each metric, primary first.';
  static override description = `Names come from the arguments, from --file, or from stdin, one a line, and are streamed (any number of names in bounded memory).

Text output: the name, its owners (server:port[:instance], primary first), and a note when the relay routes it under another name (c-relay cleansing, carbon tag normalisation) or drops it.

What decided: with carbon-relay's RELAY_METHOD = rules (relay-rules.conf) or an aggregated RELAY_METHOD (aggregation-rules.conf), and with a carbon-c-relay config (its match/rewrite/aggregate rules, route using), each line also says which rule or aggregate placed the name ("by …"), the text hashed, and why a name goes nowhere.

--json: one object per line: {"metric", "owners": [{"server","port","instance"}], "routedAs"?, "dropped"?, "error"?, "decidedBy"?, "hashKey"?, "reason"?}.`;

  static override examples = [
    '<%= config.bin %> ring locate --destinations cache-a:2004:a,cache-b:2004:a,cache-c:2004:a servers.web01.cpu.user',
    '<%= config.bin %> ring locate --ring /etc/carbon/carbon.conf -f names.txt --json',
    'carbon-list | <%= config.bin %> ring locate --ring relay.conf --cluster-name graphite > owners.txt',
    '<%= config.bin %> ring locate --cluster cluster.yaml servers.web01.cpu.user',
    '<%= config.bin %> ring locate --ring /etc/carbon/carbon.conf --relay-rules /etc/carbon/relay-rules.conf prod.billing.x',
  ];

  static override strict = false;
  static override args = {
    metric: Args.string({ description: 'Metric names (else --file, else stdin).', ignoreStdin: true }),
  };

  static override flags = {
    ...ringFlags,
    file: Flags.string({ char: 'f', description: 'Read names from FILE, one a line ("-" for stdin).' }),
  };

  public async run(): Promise<void> {
    const { flags, argv } = await this.parse(RingLocate);
    // A c-relay config: walk its rules first (match, route using, aggregate, blackhole), as the relay does.
    // Loaded only for such a ring: the config readers are most of what a lookup would otherwise compile at start.
    const base = await ringFromFlags(flags);
    const ring =
      base.spec.origin?.format === 'carbon-c-relay' ? (await import('../../src/config/crelay-routing.js')).withCrelayRules(base) : base;
    await locateNames(
      ring,
      { args: argv as string[], file: flags.file },
      { json: flags.json, report: progressWhileRedirected('ring locate') },
    );
  }
}

import { Flags } from '@oclif/core';
import { withProgress, stderrProgress } from '../../src/ring-output/name-progress.js';
import { showJson, showText } from '../../src/ring-output/ring-report.js';
import { keyspaceShares, nameDistribution } from '../../src/ring/analysis/share.js';
import { BaseCommand } from '../../src/cli/base-command.js';
import { nameBatches } from '../../src/input/names.js';
import { describeSpec, ringFromFlags } from '../../src/config/ring-source.js';
import { ringFlags } from '../../src/cli/ring-flags.js';

export default class RingShow extends BaseCommand {
  static override summary = "Show the ring's members and each one's share of the keyspace.";
  static override description = `Shares are fractions of the keyspace (all routing-key hashes). carbon_ch and fnv1a_ch map keys to 65,536 positions, which are all enumerated: the shares are exact. jump_fnv1a_ch gives each member 1/n by construction. mmh3_ch and carbon's fast-hashing router are estimated over a fixed sample of keys (--sample), with the standard error shown.

With replication > 1: the primary share and the share for which the member holds any copy.

Imbalance: min, max, population standard deviation of the shares, and max/mean.

With --file: how those real names spread over the members (counts).`;

  static override examples = [
    '<%= config.bin %> ring show --destinations cache-a:2004:a,cache-b:2004:a,cache-c:2004:a',
    '<%= config.bin %> ring show --ring relay.conf --cluster graphite -f names.txt',
    '<%= config.bin %> ring show --ring carbon.conf --replication 2 --json',
  ];

  static override flags = {
    ...ringFlags,
    file: Flags.string({ char: 'f', description: 'Also count how the names in FILE spread ("-" for stdin).' }),
    sample: Flags.integer({ description: 'Sample size for estimated shares (mmh3_ch, fast-hashing).', min: 1000 }),
  };

  public async run(): Promise<void> {
    const { flags } = await this.parse(RingShow);
    const ring = await ringFromFlags(flags);
    const report = keyspaceShares(ring, { sampleSize: flags.sample });
    const names =
      flags.file === undefined
        ? undefined
        : await nameDistribution(ring, withProgress(nameBatches({ file: flags.file }), stderrProgress('ring show')));
    if (flags.json) {
      process.stdout.write(JSON.stringify(showJson(ring.spec, report, names)) + '\n');
    } else {
      process.stdout.write(showText(describeSpec(ring.spec, ring.members.length), report, names).join('\n') + '\n');
    }
  }
}

import { Flags } from '@oclif/core';
import { withProgress, stderrProgress } from '../../src/ring-output/name-progress.js';
import { showJson, showText } from '../../src/ring-output/ring-report.js';
import { keyspaceShares, nameDistribution } from '../../src/ring/analysis/share.js';
import { BaseCommand } from '../../src/cli/base-command.js';
import { nameBatches } from '../../src/input/names.js';
import { describeSpec, placedByName, ringFromFlags } from '../../src/config/ring-source.js';
import { ringFlags, sampleFlag } from '../../src/cli/ring-flags.js';
import { UsageError } from '../../src/errors.js';
import { LineSink } from '../../src/output/sinks.js';
import { POSITIONS_FORMATS, positionLines, positionRecords, type PositionsFormat } from '../../src/ring/ring-dump.js';

export default class RingShow extends BaseCommand {
  static override summary = "Show the ring's members and each one's share of the keyspace.";
  static override description = `Shares are fractions of the keyspace (all routing-key hashes). carbon_ch and fnv1a_ch map keys to 65,536 positions, which are all enumerated: the shares are exact. jump_fnv1a_ch gives each member 1/n by construction. mmh3_ch and carbon's fast-hashing router are estimated over a fixed sample of keys (--sample), with the standard error shown.

With replication > 1: the primary share and the share for which the member holds any copy.

Imbalance: min, max, population standard deviation of the shares, and max/mean.

With --file: how those real names spread over the members (counts).

--positions: the ring itself instead, one entry per point in ring order (carbon: after its +1 collision bumps, so positions run past 65535 in rings of over 655 members; c-relay: after its sort and collapse; jump: the bucket order). --positions-format text (position and member), carbon (each entry of ConsistentHashRing.ring as Python prints it: "(31534, ('10.0.0.1', 'a'))") or crelay (carbon-c-relay -d's "# hash ring for NAME follows" block, byte for byte). With --json: one {"position","server","port","instance","member"} per line.`;

  static override examples = [
    '<%= config.bin %> ring show --destinations cache-a:2004:a,cache-b:2004:a,cache-c:2004:a',
    '<%= config.bin %> ring show --ring relay.conf --cluster-name graphite -f names.txt',
    '<%= config.bin %> ring show --cluster cluster.yaml',
    '<%= config.bin %> ring show --ring carbon.conf --replication 2 --json',
    '<%= config.bin %> ring show --ring relay.conf --cluster-name graphite --positions --positions-format crelay',
  ];

  static override flags = {
    ...ringFlags,
    file: Flags.string({ char: 'f', description: 'Also count how the names in FILE spread ("-" for stdin).' }),
    sample: sampleFlag,
    positions: Flags.boolean({ description: 'Print the ring itself (position, member) instead of the shares.', default: false }),
    'positions-format': Flags.string({
      description: 'Form of --positions: text, carbon (Python tuples) or crelay (carbon-c-relay -d).',
      options: [...POSITIONS_FORMATS],
      default: 'text',
      dependsOn: ['positions'],
    }),
  };

  public async run(): Promise<void> {
    const { flags } = await this.parse(RingShow);
    const ring = await ringFromFlags(flags);
    if (flags.positions) {
      if (flags.file !== undefined || flags.sample !== undefined)
        throw new UsageError('--positions lists the ring; --file and --sample do not apply');
      const sink = new LineSink();
      const lines = flags.json
        ? (function* () {
            for (const r of positionRecords(ring)) yield JSON.stringify(r);
          })()
        : positionLines(ring, flags['positions-format'] as PositionsFormat, ring.spec.origin?.cluster ?? 'ring');
      for (const line of lines) if (sink.push(line)) await sink.flush();
      await sink.flush();
      return;
    }
    // rules, topic bindings and route tables place a name by its text: keyspace shares say nothing there
    const byName = placedByName(ring.spec);
    if (byName !== undefined && flags.file === undefined) {
      throw new UsageError(`this ring places names by ${byName}, not by hashing them: shares of the keyspace do not apply`, {
        expected: '-f NAMES to count where real names go, or ring locate',
      });
    }
    const report = keyspaceShares(ring, { sampleSize: flags.sample });
    const names =
      flags.file === undefined
        ? undefined
        : await nameDistribution(ring, withProgress(nameBatches({ file: flags.file }), stderrProgress('ring show')));
    if (flags.json) {
      process.stdout.write(JSON.stringify(showJson(ring.spec, report, names)) + '\n');
    } else {
      process.stdout.write(showText(describeSpec(ring.spec, ring.members.length), report, names, byName).join('\n') + '\n');
    }
  }
}

import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.js';
import { ringFlags } from '../../src/cli/ring-flags.js';
import { ringFromFlags } from '../../src/config/ring-source.js';
import { UsageError } from '../../src/errors.js';
import { nameBatches } from '../../src/input/names.js';
import { LineSink } from '../../src/output/sinks.js';
import { alignColumns } from '../../src/output/table.js';
import {
  keyHashCells,
  keyHashes,
  keyHashJson,
  replicaKeyCells,
  replicaKeyJson,
  replicaKeys,
  RingKeyHasher,
  ringKeyCells,
  ringKeyJson,
} from '../../src/ring/key-hashes.js';

export default class RingHash extends BaseCommand {
  static override summary = 'Show what each implementation hashes for a key, and where it lands on a ring.';
  static override description = `Without a ring: for each KEY, every implementation's hash of it — carbon and graphite-web (carbon_ch: MD5, the first two bytes big-endian; fnv1a_ch: 32-bit FNV-1a folded to 16 bits; mmh3_ch: signed 32-bit), carbon-c-relay (its routing key after the daemon's name cleaning; FNV-1a over signed chars; jump_fnv1a_ch: 64-bit FNV-1a, the bucket depends on the member count) and buckytools. --impl and --hash narrow the list.

With a ring (--ring, --cluster or --destinations): the ring's own hash of each KEY as the relay routes it, the ring entry the lookup starts from (index in ring order, its position) and the owners.

--members: the ring's replica keys instead — for every member, in the order the implementation adds them, each replica's key text, its hash, and its ring position (carbon moves a taken position +1 until free, past 65535 in rings of over 655 members). Compare with carbon's hashing.py, carbon-c-relay -d, or "ring show --positions".

--json: one object per line.`;

  static override examples = [
    '<%= config.bin %> ring hash servers.web01.cpu.user',
    '<%= config.bin %> ring hash --impl carbon-c-relay "servers..web01.cpu;tag=1"',
    '<%= config.bin %> ring hash --ring /etc/carbon/carbon.conf servers.web01.cpu.user',
    '<%= config.bin %> ring hash --destinations a:2004:x,b:2004:x --members --json',
  ];

  static override strict = false;
  static override args = {
    key: Args.string({ description: 'Keys (metric names) to hash (else --file).', ignoreStdin: true }),
  };

  static override flags = {
    ...ringFlags,
    file: Flags.string({ char: 'f', description: 'Read the keys (metric names) from FILE, one a line ("-" for stdin).' }),
    members: Flags.boolean({ description: "List the ring's replica keys, hashes and positions.", default: false }),
  };

  public async run(): Promise<void> {
    const { flags, argv } = await this.parse(RingHash);
    const keys = argv as string[];
    const sink = new LineSink();
    const emit = async (line: string): Promise<void> => {
      if (sink.push(line)) await sink.flush();
    };
    const ringGiven = flags.ring !== undefined || flags.cluster !== undefined || flags.destinations !== undefined;

    if (flags.members) {
      if (!ringGiven) throw new UsageError('--members needs a ring', { expected: '--ring FILE, --cluster FILE or --destinations LIST' });
      if (keys.length > 0 || flags.file !== undefined) throw new UsageError('--members lists the ring; give no keys with it');
      const ring = await ringFromFlags(flags);
      const rows = replicaKeys(ring);
      if (rows === undefined) {
        throw new UsageError(`${ring.spec.impl} ${ring.spec.hash} rings have no replica keys (members are jump buckets)`, {
          expected: '"ring show --positions" for the bucket order',
        });
      }
      if (flags.json) for (const r of rows) await emit(JSON.stringify(replicaKeyJson(r)));
      else {
        const cells = [['member', 'replica', 'position', 'moved', 'key']];
        for (const r of rows) cells.push(replicaKeyCells(r));
        for (const line of alignColumns(cells)) await emit(line);
      }
      await sink.flush();
      return;
    }

    if (keys.length === 0 && flags.file === undefined) {
      throw new UsageError('no keys: give them as arguments or with --file', { expected: 'ring hash KEY…' });
    }
    const batches = nameBatches({ args: keys, file: flags.file });
    // Text: aligned per batch of names, the header before the first.
    let header: string[] | undefined;
    if (ringGiven) {
      const hasher = new RingKeyHasher(await ringFromFlags(flags));
      header = ['key', 'position', 'entry', 'owners', ''];
      for await (const batch of batches) {
        if (flags.json) for (const key of batch) await emit(JSON.stringify(ringKeyJson(hasher.explain(key))));
        else {
          const cells = batch.map((key) => ringKeyCells(hasher.explain(key)));
          if (header !== undefined) cells.unshift(header);
          header = undefined;
          for (const line of alignColumns(cells)) await emit(line);
        }
      }
    } else {
      header = ['key', 'impl', 'hash', 'position', 'digest', ''];
      for await (const batch of batches) {
        const cells: string[][] = [];
        for (const key of batch) {
          for (const h of keyHashes(key)) {
            if (flags.impl !== undefined && h.impl !== flags.impl) continue;
            if (flags.hash !== undefined && h.hash !== flags.hash) continue;
            if (flags.json) await emit(JSON.stringify(keyHashJson(key, h)));
            else cells.push(keyHashCells(key, h));
          }
        }
        if (flags.json) continue;
        if (header !== undefined) cells.unshift(header);
        header = undefined;
        for (const line of alignColumns(cells)) await emit(line);
      }
    }
    await sink.flush();
  }
}

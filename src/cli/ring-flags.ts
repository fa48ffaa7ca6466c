// The oclif flags that describe one ring (locate, sieve, show, hash); their values go to
// ringSpecFromFlags in src/config/ring-source.ts. The suite's grammar: --cluster FILE is a ringshift
// cluster file; --ring FILE any ring config, --ring-format its format, --cluster-name the cluster
// inside a multi-cluster --ring file. The old --format and (ring diff) --from-format/--from-cluster
// spellings stay as deprecated aliases; the old --cluster NAME cannot (the name now takes a file) and
// is answered with a one-line hint (ring-source.ts). Counts go through parseCount: a range in the
// message, never 1e20.
import { Flags } from '@oclif/core';
import { RING_FORMATS } from '../config/formats.js';
import { ROUTERS } from '../config/ring-source.js';
import { HASH_TYPES, IMPLS } from '../ring/types.js';
import { groupThousands, parseCount } from '../units.js';

const RING_GROUP = 'RING';

/** carbon-c-relay's limit; carbon accepts more, but no ring has more owners per metric than this. */
export const MAX_REPLICATION = 255;
/** Sampled keys for estimated shares: 2^24 gives a standard error of 0.012 percentage points. */
export const MIN_SAMPLE = 1000;
export const MAX_SAMPLE = 1 << 24;

/** An integer flag checked by parseCount (one-line error with the range). */
export function countFlag(opts: { name: string; description: string; min: number; max: number; helpGroup?: string }) {
  return Flags.custom<number>({
    description: `${opts.description} (${groupThousands(opts.min)}–${groupThousands(opts.max)})`,
    helpValue: 'N',
    ...(opts.helpGroup !== undefined ? { helpGroup: opts.helpGroup } : {}),
    parse: async (input) => parseCount(input, `--${opts.name}`, opts.min, opts.max),
  })();
}

/** --sample of ring show / ring diff. */
export const sampleFlag = countFlag({
  name: 'sample',
  description: 'Sample size when shares cannot be enumerated exactly (mmh3_ch, fast-hashing, jump)',
  min: MIN_SAMPLE,
  max: MAX_SAMPLE,
});

/** The flags that describe one ring (locate, sieve, show, hash). */
export const ringFlags = {
  ring: Flags.string({
    description:
      'Read the ring from a config file: carbon.conf, local_settings.py, carbon-c-relay conf, carbonate.conf, ' +
      'a ringshift cluster file or a buckyd command line. Ring flags given as well override the file.',
    helpValue: 'FILE',
    helpGroup: RING_GROUP,
  }),
  'ring-format': Flags.string({
    description: 'Format of --ring (default: detected from the content).',
    options: [...RING_FORMATS],
    aliases: ['format'],
    deprecateAliases: true,
    helpGroup: RING_GROUP,
    dependsOn: ['ring'],
  }),
  cluster: Flags.string({
    char: 'c',
    description: 'Read the ring from a ringshift cluster file (as audit and plan do).',
    helpValue: 'FILE',
    helpGroup: RING_GROUP,
  }),
  'cluster-name': Flags.string({
    description: 'Cluster to use from a multi-cluster --ring file (c-relay cluster name, carbonate section, carbon.conf relay:N).',
    helpValue: 'NAME',
    helpGroup: RING_GROUP,
    dependsOn: ['ring'],
  }),
  impl: Flags.string({
    description: 'Implementation whose ring is modelled. [default: carbon]',
    options: [...IMPLS],
    helpGroup: RING_GROUP,
  }),
  hash: Flags.string({
    description: 'Hash type. [default: carbon_ch; mmh3_ch with --router fast-hashing]',
    options: [...HASH_TYPES],
    helpGroup: RING_GROUP,
  }),
  router: Flags.string({
    description: "carbon's RELAY_METHOD. [default: consistent-hashing]",
    options: [...ROUTERS],
    helpGroup: RING_GROUP,
  }),
  destinations: Flags.string({
    description: 'Ring members in order, comma-separated: host:port[:instance], [ipv6]:port[:instance], or host:port=instance.',
    helpValue: 'LIST',
    helpGroup: RING_GROUP,
  }),
  replication: countFlag({
    name: 'replication',
    description: 'Replication factor (REPLICATION_FACTOR, c-relay replication). [default: 1]',
    min: 1,
    max: MAX_REPLICATION,
    helpGroup: RING_GROUP,
  }),
  diverse: Flags.boolean({
    description: 'carbon DIVERSE_REPLICAS: replicas on distinct hosts. [default: on for carbon]',
    allowNo: true,
    helpGroup: RING_GROUP,
  }),
  'tag-relay-normalized': Flags.boolean({
    description: 'carbon TAG_RELAY_NORMALIZED: route tagged names in canonical form.',
    allowNo: true,
    helpGroup: RING_GROUP,
  }),
  sanitize: Flags.boolean({
    description: 'carbon-c-relay: clean names as the daemon does before hashing (--no-sanitize: hash raw, like relay -t). [default: on]',
    allowNo: true,
    helpGroup: RING_GROUP,
  }),
  'relay-rules': Flags.string({
    description: 'carbon.conf with RELAY_METHOD = rules: its relay-rules.conf (carbon-relay --rules). [default: beside carbon.conf]',
    helpValue: 'FILE',
    helpGroup: RING_GROUP,
    dependsOn: ['ring'],
  }),
  'aggregation-rules': Flags.string({
    description:
      'carbon.conf with RELAY_METHOD = aggregated-consistent-hashing: its aggregation-rules.conf (carbon-relay --aggregation-rules). [default: beside carbon.conf]',
    helpValue: 'FILE',
    helpGroup: RING_GROUP,
    dependsOn: ['ring'],
  }),
};

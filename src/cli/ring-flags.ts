// The oclif flags that describe one ring (locate, sieve, show); their values go to
// ringSpecFromFlags in src/config/ring-source.ts.
import { Flags } from '@oclif/core';
import { RING_FORMATS } from '../config/formats.js';
import { ROUTERS } from '../config/ring-source.js';
import { HASH_TYPES, IMPLS } from '../ring/types.js';

const RING_GROUP = 'RING';

/** The flags that describe one ring (locate, sieve, show). */
export const ringFlags = {
  ring: Flags.string({
    description:
      'Read the ring from a config file: carbon.conf, local_settings.py, carbon-c-relay conf, carbonate.conf, ' +
      'a ringshift cluster file or a buckyd command line. Ring flags given as well override the file.',
    helpGroup: RING_GROUP,
  }),
  format: Flags.string({
    description: 'Format of --ring (default: detected from the content).',
    options: [...RING_FORMATS],
    helpGroup: RING_GROUP,
    dependsOn: ['ring'],
  }),
  cluster: Flags.string({
    description: 'Cluster to use from a multi-cluster --ring file (c-relay cluster name, carbonate section).',
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
    helpGroup: RING_GROUP,
  }),
  replication: Flags.integer({
    description: 'Replication factor (REPLICATION_FACTOR, c-relay replication). [default: 1]',
    min: 1,
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
};

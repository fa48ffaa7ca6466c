// The flags several commands share, defined once so that a flag name has one meaning, one spelling of
// its value and one description across the suite (docs/cli.md; test/cli-grammar.test.ts checks the
// manifest). Values with units go through src/units.ts: a bare number for a size, rate or percentage
// is refused with one line naming the flag.
import { Flags } from '@oclif/core';
import { groupThousands, parseByteRate, parseCount, parsePercent } from '../units.js';

/** `--cluster FILE`: a ringshift cluster file (ring and storage locations), in every command. */
export function clusterFileFlag(purpose: string) {
  return Flags.string({ char: 'c', helpValue: 'FILE', description: `Cluster file (ring and storage locations): ${purpose}` });
}

/** `--cluster FILE`, required. */
export function requiredClusterFileFlag(purpose: string) {
  return Flags.string({
    char: 'c',
    helpValue: 'FILE',
    required: true,
    description: `Cluster file (ring and storage locations): ${purpose}`,
  });
}

/** `--node NAME`: one location or ring member. */
export function nodeFlag(purpose: string, extra: { dependsOn?: string[] } = {}) {
  return Flags.string({
    char: 'n',
    helpValue: 'NAME',
    description: `Only this node: ${purpose} (a location id, storage key, member id server:port[:instance], server:instance or server).`,
    ...extra,
  });
}

/** ssh:// locations: keys, known hosts and the trust-on-first-use switch, the same on every command that may reach one. */
export const sshFlags = {
  identity: Flags.string({
    char: 'i',
    helpValue: 'KEY',
    description: 'Private key for ssh:// storage (repeatable; default ~/.ssh/id_* and the ssh agent).',
    multiple: true,
    helpGroup: 'SSH',
  }),
  'known-hosts': Flags.string({
    helpValue: 'FILE',
    description: 'known_hosts file for ssh:// storage (repeatable; default ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts).',
    multiple: true,
    helpGroup: 'SSH',
  }),
  'accept-new-host-keys': Flags.boolean({
    description: 'Trust ssh hosts not yet in known_hosts and record their keys (a changed key is always refused).',
    default: false,
    helpGroup: 'SSH',
  }),
};

/** The driver options the ssh flags give (src/storage/ssh-driver.ts SshOptions). */
export function sshOptionsFrom(flags: {
  identity?: string[] | undefined;
  'known-hosts'?: string[] | undefined;
  'accept-new-host-keys': boolean;
}): {
  acceptNewHostKeys: boolean;
  identityFiles?: string[];
  knownHostsFiles?: string[];
} {
  return {
    acceptNewHostKeys: flags['accept-new-host-keys'],
    ...(flags.identity !== undefined ? { identityFiles: flags.identity } : {}),
    ...(flags['known-hosts'] !== undefined ? { knownHostsFiles: flags['known-hosts'] } : {}),
  };
}

/** Progress on stderr: shown when stderr is a terminal, forced with --progress, silenced with --quiet. */
export const progressFlags = {
  progress: Flags.boolean({ description: 'Show progress on stderr even when it is not a terminal.', default: false, exclusive: ['quiet'] }),
  quiet: Flags.boolean({ char: 'q', description: 'No progress on stderr (errors and warnings are still printed).', default: false }),
};

/** The stream progress goes to, or undefined for none (see progressFlags). */
export function progressStream(flags: { progress: boolean; quiet: boolean }): NodeJS.WriteStream | undefined {
  if (flags.quiet) return undefined;
  if (process.stderr.isTTY === true) return process.stderr;
  if (!flags.progress) return undefined;
  // Forced: a stream that says it is a terminal, so the progress code draws; every write goes to stderr.
  return { isTTY: true, columns: 80, write: (s: string) => process.stderr.write(s) } as unknown as NodeJS.WriteStream;
}

/** A bytes-per-second flag: `20M`, `500K`, `50MiB/s`, `20MB/s`; a bare number is refused. */
export function byteRateFlag(name: string, description: string, defaultValue: string) {
  return Flags.custom<number>({
    helpValue: 'RATE',
    description: `${description} A rate with a unit: 500K, 20M, 50MiB/s (1024-based), 20MB/s (1000-based). [default: ${defaultValue}]`,
    parse: async (input) => parseByteRate(input, `--${name}`),
  })();
}

/** A percentage flag: `90%`; a bare number is refused. */
export function percentFlag(
  name: string,
  description: string,
  defaultValue: string,
  extra: { aliases?: string[]; deprecateAliases?: boolean } = {},
) {
  return Flags.custom<number>({
    helpValue: 'PCT',
    description: `${description} A percentage with its sign, like 90%. [default: ${defaultValue}]`,
    parse: async (input) => parsePercent(input, `--${name}`),
    ...extra,
  })();
}

/** An integer flag with a range (oclif's integer flag would take 1e20 or 999999999999 and run forever). */
export function countFlag(name: string, description: string, min: number, max: number, extra: { helpGroup?: string } = {}) {
  return Flags.custom<number>({
    helpValue: 'N',
    description: `${description} (${min}–${groupThousands(max)})`,
    parse: async (input) => parseCount(input, `--${name}`, min, max),
    ...extra,
  })();
}

/** `--fail-on`: the CI exit behaviour. Levels error|warning|info|never; a command may also take its own kinds. */
export function failOnFlag(description: string) {
  return Flags.string({
    helpValue: 'LEVEL',
    description: `Exit 1 (for CI) when something at this level or above is found: error, warning, info or never. ${description}`,
  });
}

/** What audit, plan and report read the cluster with: the caches' own metric prefix, and the grouper's spill. */
export const auditScanFlags = {
  'self-prefix': Flags.string({
    helpValue: 'PREFIX',
    description: "Prefix of the caches' own metrics (CARBON_METRIC_PREFIX; repeatable). [default: carbon]",
    multiple: true,
  }),
  'spill-after': countFlag('spill-after', 'Files kept in memory while grouping before spilling to temp files. [default: 500000]', 0, 1e9, {
    helpGroup: 'ADVANCED',
  }),
  'tmp-dir': Flags.string({
    helpValue: 'DIR',
    description: 'Where spill files go. [default: the system temp dir]',
    helpGroup: 'ADVANCED',
  }),
};

// The ssh flags of `ringshift audit` and `ringshift plan` (the same as apply's), and the driver options
// they give.
import { Flags } from '@oclif/core';
import type { SshOptions } from '../storage/ssh-driver.js';

export const sshFlags = {
  identity: Flags.string({
    char: 'i',
    description: 'Private key for ssh:// storage (repeatable; default ~/.ssh/id_* and the ssh agent).',
    multiple: true,
  }),
  'known-hosts': Flags.string({
    description: 'known_hosts file (repeatable; default ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts).',
    multiple: true,
  }),
  'accept-new-host-keys': Flags.boolean({
    description: 'Trust ssh hosts not yet in known_hosts and record their keys (a changed key is always refused).',
    default: false,
  }),
};

export function sshOptionsFrom(flags: {
  identity?: string[] | undefined;
  'known-hosts'?: string[] | undefined;
  'accept-new-host-keys': boolean;
}): SshOptions {
  return {
    acceptNewHostKeys: flags['accept-new-host-keys'],
    ...(flags.identity !== undefined ? { identityFiles: flags.identity } : {}),
    ...(flags['known-hosts'] !== undefined ? { knownHostsFiles: flags['known-hosts'] } : {}),
  };
}

// The toolbox commands work on a cluster file (--cluster FILE, every storage location, local and
// ssh://) or on one whisper directory given as an argument (as carbonate's tools run on one node):
// this opens whichever was given, with the --node selection and the ssh flags.
import { UsageError } from '../errors.js';
import { ToolboxCluster } from '../toolbox/toolbox-cluster.js';
import { sshOptionsFrom } from './common-flags.js';

export interface TargetFlags {
  cluster?: string | undefined;
  node?: string | undefined;
  identity?: string[] | undefined;
  'known-hosts'?: string[] | undefined;
  'accept-new-host-keys': boolean;
}

/** The cluster (or directory) and the indexes of the selected locations. */
export async function openTarget(
  command: string,
  flags: TargetFlags,
  dir: string | undefined,
  needsRing = false,
): Promise<{ cluster: ToolboxCluster; selected: number[] }> {
  const ssh = sshOptionsFrom(flags);
  if ((dir === undefined) === (flags.cluster === undefined) || (needsRing && flags.cluster === undefined)) {
    throw new UsageError(needsRing ? `${command} needs --cluster FILE` : `give a whisper directory or --cluster FILE (not both)`, {
      expected: needsRing ? `${command} --cluster FILE` : `${command} PATH | ${command} --cluster FILE [--node NAME]`,
    });
  }
  const cluster =
    flags.cluster !== undefined ? await ToolboxCluster.open(flags.cluster, { ssh }) : await ToolboxCluster.directory(dir!, { ssh });
  return { cluster, selected: cluster.select(flags.node) };
}

/** "ringshift CMD: …" on stderr. */
export function noteLine(command: string, msg: string): void {
  process.stderr.write(`ringshift: ${command}: ${msg}\n`);
}

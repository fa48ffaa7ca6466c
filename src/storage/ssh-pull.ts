// A node-to-node pull: the destination node fetches a batch of files straight from the source node
// with its own OpenSSH client (one tar stream), so the data never crosses the controller. The whole
// batch is one command on the destination: ssh to the source and tar there, tar -x here into temp
// names beside the destinations (a fixed --transform, no name in it), syncfs, then sha256sum of
// every temp file. The caller compares those sums with the source node's own sha256 of each source
// file, checks the header, and places each temp file; anything missing or different goes the relay way.
import { pullTag, pullTempRel } from './pull-names.js';
import { shq, type SshDriver } from './ssh-driver.js';
import { parseSshUrl } from './ssh-session.js';

/** Where the destination reaches the source: its URL's user, host, port, and the source root. */
export interface PullSource {
  url: string;
  root: string;
}

export interface PullBatchResult {
  /** sha256 of each temp file (by temp path), as the destination node read it after the sync; absent = not there. */
  sums: Map<string, string>;
  /** Set when the node-to-node ssh itself failed (no login, host key unknown, no route): the pair cannot pull. */
  sshFailure: string | null;
  /** The first lines of the batch's stderr, for messages. */
  stderr: string;
}

const MARK = 'ringshift-pull';

/** The destination's command for one batch: names arrive NUL-terminated on stdin. */
export function pullCommand(
  source: PullSource,
  destRoot: string,
  planSha: string,
  temps: readonly string[],
  sshArgs: readonly string[],
): string {
  const t = parseSshUrl(source.url);
  const ssh = [
    'ssh',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'ConnectTimeout=20',
    '-o',
    'ServerAliveInterval=15',
    '-o',
    'ServerAliveCountMax=4',
    '-o',
    'LogLevel=ERROR',
    ...sshArgs,
    '-p',
    String(t.port),
    '-l',
    t.user,
    '--',
    t.host,
  ]
    .map(shq)
    .join(' ');
  // The command the source's shell runs: names from stdin, taken literally (NUL-separated, no unquoting).
  const remote = `tar -C ${shq(source.root)} --null --no-recursion --no-unquote -T - -cf -`;
  const transform = `s,[^/]*$,.&.${pullTag(planSha)},`;
  const list = temps.map(shq).join(' ');
  return [
    `cd -- ${shq(destRoot)} || exit 90`,
    `{ ${ssh} ${shq(remote)}; echo "${MARK}-ssh=$?" >&2; } | tar -x -p -f - --no-same-owner --no-overwrite-dir --transform=${shq(transform)}`,
    `echo "${MARK}-tar=$?" >&2`,
    // Durable before anyone looks: one syncfs for the batch (sync(1) without -f is the fallback).
    `sync -f . 2>/dev/null || sync`,
    `echo "${MARK}-sync=$?" >&2`,
    `sha256sum -z -- ${list} 2>/dev/null`,
    'exit 0',
  ].join('\n');
}

/** Run one batch on the destination node. `rels` are the source-relative paths (the same on both nodes). */
export async function runPullBatch(
  dest: SshDriver,
  source: PullSource,
  planSha: string,
  rels: readonly string[],
  sshArgs: readonly string[],
  timeoutMs: number,
): Promise<PullBatchResult> {
  const temps = rels.map((r) => pullTempRel(r, planSha));
  const cmd = pullCommand(source, dest.root, planSha, temps, sshArgs);
  const stdin = rels.map((r) => r + '\0').join('');
  const r = await dest.execTimed(cmd, stdin, timeoutMs);
  const status = (what: string) => {
    const m = new RegExp(`^${MARK}-${what}=(\\d+)$`, 'm').exec(r.stderr);
    return m === null ? null : Number(m[1]);
  };
  const stderr = r.stderr
    .split(/\r?\n/)
    .filter((l) => l !== '' && !l.startsWith(MARK))
    .slice(0, 5)
    .join('; ');
  const sshExit = status('ssh');
  const sshOnly = r.stderr
    .split(/\r?\n/)
    .filter((l) => l !== '' && !l.startsWith(MARK) && !l.startsWith('tar: '))
    .slice(0, 3)
    .join(' ');
  // 255 is ssh's own failure (login, host key, connection); tar's exit 2 for a vanished file is not.
  const sshFailure =
    r.code === 90
      ? `cannot enter ${dest.root} on the destination`
      : sshExit === 255 || sshExit === 127 || sshExit === null
        ? sshOnly || `ssh exited ${sshExit ?? 'before reporting'}`
        : null;
  const sums = new Map<string, string>();
  if (status('sync') !== 0) return { sums, sshFailure, stderr: stderr || 'sync failed on the destination' };
  const wanted = new Set(temps);
  for (const rec of r.stdout.toString('utf8').split('\0')) {
    const m = /^([0-9a-f]{64}) [ *]([^]*)$/.exec(rec);
    if (m !== null && wanted.has(m[2]!)) sums.set(m[2]!, m[1]!);
  }
  return { sums, sshFailure, stderr };
}

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

/**
 * The destination's script for one batch, run in one of its long-lived pull shells (the node user's
 * login runs once per shell, not per batch). The names travel inside the script, quoted, to ssh's
 * stdin through printf (a builtin: no argument-length limit). Only fixed words and the sha256sum
 * records follow the SUMS line; the records are matched to the temp names this script asked for.
 */
export function pullScript(
  source: PullSource,
  destRoot: string,
  planSha: string,
  rels: readonly string[],
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
  return [
    `if cd -- ${shq(destRoot)}; then`,
    `printf '%s\\0' ${rels.map(shq).join(' ')} | { ${ssh} ${shq(remote)}; echo "${MARK}-ssh=$?" >&2; } | tar -x -p -f - --no-same-owner --no-overwrite-dir --transform=${shq(transform)}`,
    `echo "${MARK}-tar=$?"`,
    // Durable before anyone looks: one syncfs for the batch (sync(1) without -f is the fallback).
    `{ sync -f . || sync; } 2>/dev/null`,
    `echo "${MARK}-sync=$?"`,
    `echo ${SUMS}`,
    `sha256sum -z -- ${temps.map(shq).join(' ')} 2>/dev/null`,
    'else echo "' + MARK + '-cd=1"; fi',
  ].join('\n');
}

const SUMS = `${MARK}-sums`;

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
  const r = await dest.runInPullShell(pullScript(source, dest.root, planSha, rels, temps, sshArgs), timeoutMs);
  const at = r.out.indexOf(`${SUMS}\n`);
  const log = at < 0 ? r.out : r.out.slice(0, at);
  const status = (what: string) => {
    const m = new RegExp(`^${MARK}-${what}=(\\d+)\r?$`, 'm').exec(log);
    return m === null ? null : Number(m[1]);
  };
  const lines = log.split(/\r?\n/).filter((l) => l !== '' && !l.startsWith(MARK));
  const stderr = lines.slice(0, 5).join('; ');
  const sshOnly = lines
    .filter((l) => !l.startsWith('tar: '))
    .slice(0, 3)
    .join(' ');
  const sshExit = status('ssh');
  // 255 is ssh's own failure (login, host key, connection); tar's exit 2 for a vanished file is not.
  const sshFailure =
    status('cd') !== null
      ? `cannot enter ${dest.root} on the destination`
      : sshExit === 255 || sshExit === 127 || sshExit === null
        ? sshOnly || `ssh exited ${sshExit ?? 'before reporting'}`
        : null;
  const sums = new Map<string, string>();
  if (at < 0 || status('sync') !== 0) return { sums, sshFailure, stderr: stderr || 'sync failed on the destination' };
  const wanted = new Set(temps);
  for (const rec of r.out.slice(at + SUMS.length + 1).split('\0')) {
    const m = /^([0-9a-f]{64}) [ *]([^]*)$/.exec(rec);
    if (m !== null && wanted.has(m[2]!)) sums.set(m[2]!, m[1]!);
  }
  return { sums, sshFailure, stderr };
}

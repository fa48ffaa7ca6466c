// Host key checking for the ssh driver, with OpenSSH's known_hosts files: plain and hashed (|1|salt|hmac)
// host names, [host]:port for other ports, comma lists, * and ? wildcards, !negations, @revoked. A key
// that differs from a known one is refused (possible man in the middle); an unknown host is refused
// unless trust on first use was asked for (accept-new), which then records the key like ssh does.
import { createHash, createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface KnownKey {
  type: string;
  /** base64 of the key blob, as written in the file. */
  key: string;
  revoked: boolean;
  file: string;
  line: number;
}

/** The user's and the system's known_hosts files (those that exist are read; the first is written). */
export function defaultKnownHostsFiles(): string[] {
  return [join(homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
}

/** The name a host is recorded under: "host" on port 22, "[host]:port" otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (const c of pattern) re += c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(re + '$', 'i').test(name);
}

function hashedMatch(entry: string, name: string): boolean {
  const parts = entry.split('|'); // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2]!, 'base64');
  const want = parts[3]!;
  return createHmac('sha1', salt).update(name).digest('base64') === want;
}

/** True when the comma list of patterns matches `name` (any positive match, no negated one). */
export function hostPatternsMatch(patterns: string, name: string): boolean {
  let hit = false;
  for (const p of patterns.split(',')) {
    if (p === '') continue;
    if (p.startsWith('|')) {
      if (hashedMatch(p, name)) hit = true;
    } else if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) {
      hit = true;
    }
  }
  return hit;
}

/** Keys recorded for `name` in the given files (missing files are skipped). */
export function knownKeys(files: readonly string[], name: string): KnownKey[] {
  const out: KnownKey[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const fields = line.split(/\s+/);
      let marker: string | null = null;
      if (fields[0]!.startsWith('@')) marker = fields.shift()!;
      if (fields.length < 3 || marker === '@cert-authority') return;
      if (!hostPatternsMatch(fields[0]!, name)) return;
      out.push({ type: fields[1]!, key: fields[2]!, revoked: marker === '@revoked', file, line: i + 1 });
    });
  }
  return out;
}

/** The key type named inside an SSH public key blob. */
export function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** OpenSSH's fingerprint: SHA256:base64 without padding. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

export type HostKeyVerdict = { ok: true; added?: string } | { ok: false; reason: 'mismatch' | 'revoked' | 'unknown'; message: string };

/**
 * Check a server's key blob against the known_hosts files. With `acceptNew`, an unknown host's key is
 * appended to the first file (created with its directory if needed) and accepted.
 */
export function checkHostKey(files: readonly string[], host: string, port: number, blob: Buffer, acceptNew: boolean): HostKeyVerdict {
  const name = knownHostName(host, port);
  const b64 = blob.toString('base64');
  const type = blobKeyType(blob);
  const keys = knownKeys(files, name);
  const fp = fingerprint(blob);
  const revoked = keys.find((k) => k.revoked && k.key === b64);
  if (revoked)
    return {
      ok: false,
      reason: 'revoked',
      message: `the host key of ${name} (${type} ${fp}) is marked @revoked in ${revoked.file}:${revoked.line}`,
    };
  if (keys.some((k) => !k.revoked && k.key === b64)) return { ok: true };
  // Any key already recorded for the host, of this type or another, and this one is not among them:
  // OpenSSH refuses it ("REMOTE HOST IDENTIFICATION HAS CHANGED"), and so do we, trust on first use
  // or not (a server offering a key of another type than the known one is how an impostor gets in).
  const known = keys.filter((k) => !k.revoked);
  if (known.length > 0) {
    const same = known.find((k) => k.type === type) ?? known[0]!;
    const other = same.type === type ? 'a different key' : `a key of another type (${same.type})`;
    return {
      ok: false,
      reason: 'mismatch',
      message: `REMOTE HOST IDENTIFICATION HAS CHANGED for ${name}: it offered ${type} ${fp}, ${same.file}:${same.line} records ${other}. Someone may be intercepting the connection, or the host was reinstalled; check, then fix the known_hosts line`,
    };
  }
  if (!acceptNew) {
    return {
      ok: false,
      reason: 'unknown',
      message: `${name} is not in known_hosts (${files.join(', ')}); it offered ${type} ${fp}. Add it (ssh-keyscan, or connect once with ssh) or pass --accept-new-host-keys to trust it on first use`,
    };
  }
  const file = files[0]!;
  fs.mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const text = fs.readFileSync(file, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) prefix = '\n';
  } catch {
    // new file
  }
  fs.appendFileSync(file, `${prefix}${name} ${type} ${b64}\n`, { mode: 0o600 });
  return { ok: true, added: file };
}

/** Host key algorithms for ssh2, the ones whose keys we already know for this host first. */
export function preferredHostKeyAlgorithms(files: readonly string[], host: string, port: number, defaults: readonly string[]): string[] {
  const known = new Set(
    knownKeys(files, knownHostName(host, port))
      .filter((k) => !k.revoked)
      .map((k) => k.type),
  );
  const algosOf = (t: string): string[] => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]);
  const first = [...known].flatMap(algosOf).filter((a) => defaults.includes(a));
  return [...first, ...defaults.filter((a) => !first.includes(a))];
}

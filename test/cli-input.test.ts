import { Args } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
// Names files that are not readable files: a usage error (exit 2) naming the file and the errno code,
// never a raw EISDIR/EACCES from deep inside a stream, on every reader of names (the line reader, the
// byte reader of ring locate's fast path, audit --names).
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Apply from '../commands/apply.js';
import Audit from '../commands/audit.js';
import RingLocate from '../commands/ring/locate.js';
import Scan from '../commands/scan.js';
import WhisperInfo from '../commands/whisper/info.js';
import { UsageError } from '../src/errors.js';
import { nameBatches, openNameBytes } from '../src/input/names.js';
import { runCommand, TestCluster } from './audit-cluster.js';

const c = new TestCluster('cli-input');
afterAll(() => c.remove());
const DESTS = 'cache-a:2004:a,cache-b:2004:a,cache-c:2004:a';
const isRoot = process.getuid?.() === 0;

async function drainLines(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const b of nameBatches({ file })) out.push(...b);
  return out;
}

async function drainBytes(file: string): Promise<number> {
  let n = 0;
  for await (const b of (await openNameBytes({ file }))!) n += b.length;
  return n;
}

async function usageError(p: Promise<unknown>): Promise<UsageError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UsageError);
  return e as UsageError;
}

describe('names files that cannot be read', () => {
  it('a directory: UsageError with the file and EISDIR, on the line and the byte readers', async () => {
    const dir = join(c.dir, 'a-directory');
    fs.mkdirSync(dir);
    // One reader at a time: a second promise created up front could reject while the first is awaited
    // (an unhandled rejection under load).
    for (const drain of [drainLines, drainBytes]) {
      const e = await usageError(drain(dir));
      expect(e.exitCode).toBe(2);
      expect(e.file).toBe(dir);
      expect(e.message).toBe('cannot read names: EISDIR');
    }
  });

  it.skipIf(isRoot)('a file without read permission: EACCES', async () => {
    const f = join(c.dir, 'secret.txt');
    fs.writeFileSync(f, 'a.b.c\n');
    fs.chmodSync(f, 0o000);
    for (const drain of [drainLines, drainBytes]) expect((await usageError(drain(f))).message).toBe('cannot read names: EACCES');
  });

  it('a readable file still streams every line', async () => {
    const f = join(c.dir, 'names.txt');
    fs.writeFileSync(f, 'a.b\r\nc.d\ne.f');
    expect(await drainLines(f)).toEqual(['a.b', 'c.d', 'e.f']);
    expect(await drainBytes(f)).toBe(fs.statSync(f).size);
  });

  it('ring locate -f DIRECTORY: one line naming the file, exit 2', async () => {
    const dir = join(c.dir, 'locate-dir');
    fs.mkdirSync(dir);
    for (const extra of [[], ['--json']]) {
      const r = await runCommand(RingLocate, ['--destinations', DESTS, '-f', dir, ...extra]);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`ringshift: error: ${dir}: cannot read names: is a directory\n`);
      expect(r.out).toBe('');
    }
  });

  it('audit --names DIRECTORY: a usage error naming the file, exit 2', async () => {
    const dir = join(c.dir, 'names-dir');
    fs.mkdirSync(dir);
    const cluster = c.writeCluster('cluster.yaml', { destinations: ['n1:2004:a'], replication: 1 }, { n1: 'n1' });
    c.root('n1');
    const r = await runCommand(Audit, ['--cluster', cluster, '--names', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      new RegExp(`^ringshift: error: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read names: is a directory`),
    );
    expect(r.err.split('\n').filter((l) => l !== '')).toHaveLength(1);
  });
});

// oclif reads stdin (for 10 ms, when it is not a terminal) for a missing positional argument and takes
// what it read as the argument. The test stands in for a pipe through oclif's own stdin cache.
describe('a missing positional argument is never read from stdin', () => {
  async function withStdin<T>(text: string, f: () => Promise<T>): Promise<T> {
    const g = globalThis as { oclif?: { stdinCache?: string } | undefined };
    const had = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
    const old = g.oclif;
    Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
    g.oclif = { ...(old ?? {}), stdinCache: text };
    try {
      return await f();
    } finally {
      g.oclif = old;
      if (had !== undefined) Object.defineProperty(process.stdin, 'isTTY', had);
      else delete (process.stdin as { isTTY?: boolean }).isTTY;
    }
  }

  it('control: an argument without ignoreStdin does take the piped text (the mechanism is exercised)', async () => {
    class ReadsStdin extends BaseCommand {
      static override args = { x: Args.string({ required: true }) };
      async run(): Promise<void> {
        const { args } = await this.parse(ReadsStdin);
        process.stdout.write(`got ${args.x}\n`);
      }
    }
    const r = await withStdin('piped-text', () => runCommand(ReadsStdin, []));
    expect(r.out).toContain('got piped-text');
  });

  it('apply without PLAN is a missing-argument error, not a plan named by stdin', async () => {
    const r = await withStdin(join(c.dir, 'piped.plan'), () => runCommand(Apply, []));
    expect(r.code).toBe(2);
    expect(r.err).not.toContain('piped.plan');
  });

  it('scan --cluster with something on stdin scans the cluster (no PATH taken from stdin)', async () => {
    const cluster = c.writeCluster('scan.yaml', { destinations: ['s1:2004:a'], replication: 1 }, { s1: 's1' });
    await c.plant('s1', 'piped.scan.metric');
    const r = await withStdin('/some/dir\n', () => runCommand(Scan, ['--cluster', cluster]));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe('piped.scan.metric\ts1\n');
  });

  it('whisper info without FILE is a missing-argument error, not a file named by stdin', async () => {
    const r = await withStdin(join(c.dir, 'from-stdin.wsp'), () => runCommand(WhisperInfo, []));
    expect(r.code).toBe(2);
    expect(r.err).not.toContain('from-stdin.wsp');
    expect(r.err).toMatch(/^ringshift: error: whisper info needs FILE \(expected FILE: a whisper \(\.wsp\) file\)\n$/);
  });
});

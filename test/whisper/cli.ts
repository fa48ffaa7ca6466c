// Run a whisper command in-process with a pinned clock and capture what it prints and its exit code.
import { vi } from 'vitest';
import { PROJECT_ROOT } from '../helpers/project-root.js';
import { NOW } from './vectors.js';

export interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

interface Runnable {
  run(argv: string[], opts: string): Promise<unknown>;
}

export async function runCli(cmd: Runnable, argv: string[], now: number | null = NOW): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = process.env.RINGSHIFT_NOW;
  if (now === null) delete process.env.RINGSHIFT_NOW;
  else process.env.RINGSHIFT_NOW = String(now);
  process.exitCode = 0;
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  let exitCode: number;
  try {
    await cmd.run(argv, PROJECT_ROOT);
    exitCode = Number(process.exitCode ?? 0);
  } catch (thrown) {
    // oclif's own parse errors (missing argument, unknown flag) carry their exit code here.
    const x = thrown as { oclif?: { exit?: number }; message?: string };
    exitCode = x.oclif?.exit ?? 1;
    err.push(String(x.message));
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = 0;
    if (saved === undefined) delete process.env.RINGSHIFT_NOW;
    else process.env.RINGSHIFT_NOW = saved;
  }
  return { stdout: out.join(''), stderr: err.join(''), exitCode };
}

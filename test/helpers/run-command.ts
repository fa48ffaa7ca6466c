// Runs an oclif command in-process (Cmd.run) with stdout and stderr captured, for the command tests.
import { PROJECT_ROOT } from './project-root.js';

export interface CommandRun {
  out: string;
  err: string;
  /** oclif's exit code of a thrown error (1 when it has none), else process.exitCode (0 when unset). */
  code: number;
  thrown?: (Error & { oclif?: { exit?: number } }) | undefined;
}

export interface RunnableCommand {
  run(argv: string[], opts: string): Promise<unknown>;
}

export interface RunCommandOptions {
  /** Working directory during the run (restored afterwards). */
  cwd?: string | undefined;
  /** Append a thrown error's message to `err`, as oclif's handler prints it when run from the shell. */
  thrownMessageToStderr?: boolean | undefined;
}

export async function runCommand(cmd: RunnableCommand, argv: string[], opts: RunCommandOptions = {}): Promise<CommandRun> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write;
  const ew = process.stderr.write;
  const cwd = process.cwd();
  process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  process.exitCode = undefined;
  if (opts.cwd !== undefined) process.chdir(opts.cwd);
  let thrown: CommandRun['thrown'];
  try {
    await cmd.run(argv, PROJECT_ROOT);
  } catch (e) {
    thrown = e as CommandRun['thrown'];
  } finally {
    if (opts.cwd !== undefined) process.chdir(cwd);
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
  const code = thrown ? (thrown.oclif?.exit ?? 1) : Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  if (thrown && opts.thrownMessageToStderr) err.push(String(thrown.message));
  return { out: out.join(''), err: err.join(''), code, thrown };
}

// The error contract of every command (docs/cli.md "Errors"): whatever went wrong is ONE line on
// stderr, `ringshift: error: WHERE: what (expected …)`, naming the file, flag or argument and what
// would have been accepted, and an exit code — 2 for usage and config mistakes, 1 for data problems
// and failures. oclif's own parse errors (several lines, then the usage dumped), Node's raw errno
// errors (`Error: EISDIR … Code: EISDIR`) and our typed errors all end up here; anything else is a
// bug, shown as one line too, with the stack only under DEBUG=ringshift.
import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import { RingshiftError } from '../errors.js';
import { closestName } from './closest-name.js';
import { errnoInWords, errnoIsUsage, errnoWords, isErrnoError, type ErrnoError } from './errno-words.js';

export const ERROR_PREFIX = 'ringshift: error: ';
export const STACK_HINT = '(run with DEBUG=ringshift for the stack)';

/** What a command declares about one flag or argument (oclif's definitions, or the manifest's). */
export interface OptionDef {
  name?: string | undefined;
  char?: string | undefined;
  description?: string | undefined;
  summary?: string | undefined;
  type?: string | undefined;
  min?: number | undefined;
  max?: number | undefined;
  aliases?: string[] | undefined;
  hidden?: boolean | undefined;
}

/** The command an error happened in, for naming flags and arguments in the line. */
export interface CommandContext {
  /** oclif id, e.g. "ring:locate". */
  id: string;
  flags: Record<string, OptionDef>;
  args: Record<string, OptionDef>;
  /** Parsed values, when parsing got that far. */
  values?: { flags: Record<string, unknown>; args: Record<string, unknown> } | undefined;
}

export interface ErrorReport {
  /** What to write to stderr (one line, plus the stack under DEBUG=ringshift); '' for a plain exit. */
  text: string;
  exitCode: number;
}

/** Turns any thrown value into the one line and the exit code. */
export function describeError(err: unknown, ctx?: CommandContext, env: NodeJS.ProcessEnv = process.env): ErrorReport {
  const r = describe(err, ctx);
  if (r.line === undefined) return { text: '', exitCode: r.exitCode };
  let text = `${ERROR_PREFIX}${oneLine(r.line)}\n`;
  if (r.internal && debugWanted(env) && err instanceof Error && err.stack !== undefined) text += `${err.stack}\n`;
  return { text, exitCode: r.exitCode };
}

interface Described {
  line?: string | undefined;
  exitCode: number;
  internal?: boolean;
}

function describe(err: unknown, ctx: CommandContext | undefined): Described {
  const e = err as (Error & { oclif?: { exit?: number }; code?: unknown }) | undefined;
  // oclif's this.exit(n): no message, just the code.
  if (e instanceof Error && e.code === 'EEXIT') return { exitCode: e.oclif?.exit ?? 0 };

  if (err instanceof RingshiftError) {
    const flagged = unwrapFlagParse(err.message);
    if (flagged !== undefined) err.message = flagged.inner;
    return { line: errnoInWords(err.describe()), exitCode: err.exitCode };
  }

  if (isErrnoError(err)) return describeErrno(err, ctx);

  if (e instanceof Error && hasClass(e, 'CLIError')) return describeOclif(e, ctx);

  const msg = e instanceof Error ? e.message : String(err);
  const first = msg.split('\n').find((l) => l.trim() !== '') ?? 'unknown error';
  return { line: `internal error: ${first} ${STACK_HINT}`, exitCode: 1, internal: true };
}

// ---------------------------------------------------------------------------------------------------
// oclif's errors

function describeOclif(e: Error & { oclif?: { exit?: number } }, ctx: CommandContext | undefined): Described {
  const exitCode = e.oclif?.exit === undefined || e.oclif.exit === 1 ? 2 : e.oclif.exit;
  const cmd = ctx === undefined ? undefined : commandName(ctx.id);
  const flagged = unwrapFlagParse(e.message);
  if (flagged !== undefined) return { line: flagValueLine(flagged.flag, flagged.inner, ctx), exitCode: 2 };

  if (hasClass(e, 'NonExistentFlagsError')) {
    const given = ((e as { flags?: string[] }).flags ?? []).join(', ');
    return { line: unknownFlagLine(given, ctx), exitCode: 2 };
  }
  if (hasClass(e, 'RequiredArgsError')) {
    const missing = (e as { args?: OptionDef[] }).args ?? [];
    const names = missing.map((a) => (a.name ?? 'ARG').toUpperCase());
    const a = missing[0];
    const exp = a?.description === undefined ? '' : ` (expected ${names[0]}: ${asPhrase(a.description)})`;
    return { line: `${cmd ?? 'the command'} needs ${names.join(' and ')}${exp}`, exitCode: 2 };
  }
  if (hasClass(e, 'UnexpectedArgsError')) {
    const extra = (e as { args?: string[] }).args ?? [];
    const takes = ctx === undefined ? '' : ` (expected ${argsUsage(ctx)}; see ${helpHint(ctx)})`;
    return {
      line: `unexpected argument${extra.length === 1 ? '' : 's'} ${extra.map((a) => JSON.stringify(a)).join(', ')}${takes}`,
      exitCode: 2,
    };
  }
  if (hasClass(e, 'FailedFlagValidationError')) {
    return { line: validationLine(e.message, ctx), exitCode: 2 };
  }
  const lines = cleanLines(e.message);
  const first = lines[0] ?? 'usage error';
  let m = /^Expected --([\w-]+)=(.*) to be one of: (.*)$/s.exec(first);
  if (m !== null) return { line: `--${m[1]} ${JSON.stringify(m[2])} is not one of the choices (expected one of: ${m[3]})`, exitCode: 2 };
  m = /^Expected (.*) to be one of: (.*)$/s.exec(first);
  if (m !== null) return { line: `${JSON.stringify(m[1])} is not one of the choices (expected one of: ${m[2]})`, exitCode: 2 };
  m = /^Flag --([\w-]+) expects a value$/.exec(first);
  if (m !== null) return { line: `--${m[1]} needs a value${expectedFor(m[1]!, ctx)}`, exitCode: 2 };
  m = /^Flag --([\w-]+) expects one of these values: (.*)$/.exec(first);
  if (m !== null) return { line: `--${m[1]} needs a value (expected one of: ${m[2]})`, exitCode: 2 };
  return { line: lines.join('; '), exitCode };
}

/** oclif wraps a flag's parse error as "Parsing --name \n\t<message>\nSee more help with --help". */
function unwrapFlagParse(message: string): { flag: string; inner: string } | undefined {
  const m = /^Parsing --([\w-]+) \n\t([\s\S]*?)(?:\nSee more help with --help)?$/.exec(message);
  return m === null ? undefined : { flag: m[1]!, inner: m[2]! };
}

function flagValueLine(flag: string, inner: string, ctx: CommandContext | undefined): string {
  const def = ctx?.flags[flag];
  const range = def === undefined ? '' : integerRange(def);
  let m = /^Expected an integer but received: (.*)$/s.exec(inner);
  if (m !== null) return `--${flag} ${JSON.stringify(m[1])} is not an integer (expected an integer${range})`;
  m = /^Expected an integer (?:greater|less) than or equal to -?\d+ but received: (.*)$/s.exec(inner);
  if (m !== null) return `--${flag} ${JSON.stringify(m[1])} is out of range (expected an integer${range})`;
  return `--${flag}: ${cleanLines(inner).join('; ')}`;
}

function integerRange(def: OptionDef): string {
  if (def.min !== undefined && def.max !== undefined) return ` from ${def.min} to ${def.max}`;
  if (def.min !== undefined) return ` of at least ${def.min}`;
  if (def.max !== undefined) return ` of at most ${def.max}`;
  return '';
}

function unknownFlagLine(given: string, ctx: CommandContext | undefined): string {
  if (ctx === undefined) return `unknown flag ${given}`;
  const cmd = commandName(ctx.id);
  const known = visibleFlagNames(ctx);
  const guess = closestName(given.split(',')[0]!.trim(), known);
  const hint = guess !== undefined ? `did you mean ${guess}? see ${helpHint(ctx)}` : `see ${helpHint(ctx)} for its flags`;
  return `${cmd} has no flag ${given} (${hint})`;
}

function validationLine(message: string, ctx: CommandContext | undefined): string {
  const reasons = cleanLines(message).filter((l) => !/^The following errors? occurred:$/.test(l));
  return reasons
    .map((r) => {
      const m = /^Missing required flag ([\w-]+)$/.exec(r);
      if (m !== null) return `${ctx === undefined ? 'the command' : commandName(ctx.id)} needs --${m[1]}${expectedFor(m[1]!, ctx)}`;
      return r;
    })
    .join('; ');
}

function expectedFor(flag: string, ctx: CommandContext | undefined): string {
  const d = ctx?.flags[flag];
  const text = d?.summary ?? d?.description;
  return text === undefined ? '' : ` (expected --${flag}: ${asPhrase(text)})`;
}

// ---------------------------------------------------------------------------------------------------
// errno errors

function describeErrno(err: ErrnoError, ctx: CommandContext | undefined): Described {
  const words = errnoWords(err.code) ?? `${err.code} (${err.syscall ?? 'system call'} failed)`;
  const exitCode = errnoIsUsage(err.code) ? 2 : 1;
  if (err.path === undefined && err.address !== undefined) {
    const where = err.port === undefined ? err.address : `${err.address}:${err.port}`;
    return { line: `${where}: ${words}`, exitCode };
  }
  const role = findRole(err, ctx);
  const where = err.path ?? role?.value;
  const expected = role === undefined ? '' : ` (expected ${role.label}: ${asPhrase(role.description)})`;
  const line = where === undefined ? `${words}${expected}` : `${where}: ${words}${expected}`;
  return { line, exitCode };
}

interface Role {
  label: string;
  description: string;
  value: string;
}

/**
 * Which argument or flag named the path that failed: the one whose value is that path, or — for a
 * read(2) that fails with EISDIR and carries no path — the one whose value is a directory although
 * it asks for a file.
 */
function findRole(err: ErrnoError, ctx: CommandContext | undefined): Role | undefined {
  if (ctx?.values === undefined) return undefined;
  const candidates: Role[] = [];
  for (const [kind, defs, vals] of [
    ['arg', ctx.args, ctx.values.args],
    ['flag', ctx.flags, ctx.values.flags],
  ] as const) {
    for (const [name, raw] of Object.entries(vals)) {
      const def = defs[name];
      const description = def?.summary ?? def?.description;
      if (description === undefined) continue;
      const label = kind === 'arg' ? name.toUpperCase() : `--${name}`;
      for (const v of Array.isArray(raw) ? raw : [raw])
        if (typeof v === 'string' && v !== '') candidates.push({ label, description, value: v });
    }
  }
  if (err.path !== undefined) {
    const target = resolve(err.path);
    return candidates.find((c) => resolve(c.value) === target || (err.dest !== undefined && resolve(c.value) === resolve(err.dest)));
  }
  if (err.code === 'EISDIR') {
    return candidates.find((c) => /\bfile\b/i.test(c.description) && isDirectory(c.value));
  }
  return undefined;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// helpers

function hasClass(e: object, name: string): boolean {
  for (
    let p = Object.getPrototypeOf(e) as { constructor?: { name?: string } } | null;
    p !== null;
    p = Object.getPrototypeOf(p) as typeof p
  ) {
    if (p.constructor?.name === name) return true;
  }
  return false;
}

/** A command id as typed: "ring:locate" → "ring locate". */
export function commandName(id: string): string {
  return id.replaceAll(':', ' ');
}

function helpHint(ctx: CommandContext): string {
  return `ringshift ${commandName(ctx.id)} --help`;
}

function visibleFlagNames(ctx: CommandContext): string[] {
  const out: string[] = [];
  for (const [name, d] of Object.entries(ctx.flags)) {
    if (d.hidden === true) continue;
    out.push(`--${name}`);
    for (const a of d.aliases ?? []) out.push(a.length === 1 ? `-${a}` : `--${a}`);
    if (d.char !== undefined) out.push(`-${d.char}`);
  }
  return out;
}

function argsUsage(ctx: CommandContext): string {
  const names = Object.keys(ctx.args).map((a) => `[${a.toUpperCase()}]`);
  return names.length === 0 ? `no arguments to ${commandName(ctx.id)}` : `${commandName(ctx.id)} ${names.join(' ')}`;
}

/** "Plan file written by x." → "plan file written by x" (a phrase to follow "expected"). */
function asPhrase(description: string): string {
  const first = description.split('\n')[0]!.trim();
  const sentence = /^(.*?[^.])\.(\s|$)/.exec(first)?.[1] ?? first.replace(/\.$/, '');
  return /^[A-Z](?![A-Z0-9_])/.test(sentence) ? sentence[0]!.toLowerCase() + sentence.slice(1) : sentence;
}

function cleanLines(message: string): string[] {
  return stripVTControlCharacters(message)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'See more help with --help');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ');
}

function debugWanted(env: NodeJS.ProcessEnv): boolean {
  const d = env.DEBUG ?? '';
  return d.split(/[,\s]+/).some((p) => p === '*' || p === 'ringshift' || p.startsWith('ringshift'));
}

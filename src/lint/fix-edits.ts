// Fixes as edits: the few text operations the rules' fixes need (a value in carbon.conf or carbonate.conf,
// a Python literal in local_settings.py, a YAML list, a line inserted into a section), each checked
// against the file's text when it is made, so an edit that would not apply is never offered. And the one
// function that applies edits, used by the tests that prove each fix removes its finding.
import { readFileSync } from 'node:fs';
import type { LintContext } from './context.js';
import type { FixEdit } from './lint-finding.js';

/** The lines of a file as the linter read it (or from disk, for files the linter opened by reference). */
export function fileLines(ctx: LintContext, file: string): string[] | undefined {
  const linted = ctx.files.find((f) => f.path === file);
  if (linted?.embedded !== undefined) return undefined; // edits inside a ConfigMap are not offered
  let text = linted?.text;
  if (text === undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  }
  return text.split('\n').map((l) => l.replace(/\r$/, ''));
}

export function lineAt(ctx: LintContext, file: string, line: number | null): string | undefined {
  if (line === null || line < 1) return undefined;
  return fileLines(ctx, file)?.[line - 1];
}

/** `old` → `new` on one line, where `old` occurs exactly once. */
export function replaceInLine(ctx: LintContext, file: string, line: number | null, old: string, neu: string): FixEdit | undefined {
  const text = lineAt(ctx, file, line);
  if (text === undefined || old === '' || text.indexOf(old) < 0 || text.indexOf(old) !== text.lastIndexOf(old)) return undefined;
  return { file, line: line!, old, new: neu };
}

/** Lines from..to (inclusive) become `neu` (which may hold several lines). */
export function replaceLines(ctx: LintContext, file: string, from: number, to: number, neu: string): FixEdit | undefined {
  const lines = fileLines(ctx, file);
  if (lines === undefined || from < 1 || to < from || to > lines.length) return undefined;
  return { file, line: from, old: lines.slice(from - 1, to).join('\n'), new: neu };
}

/** Lines in the file (a final newline does not start another line). */
export function lineCount(lines: readonly string[]): number {
  return lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
}

/** Insert `text` (one or more lines) before line `before` (line count + 1: at the end of the file). */
export function insertLines(ctx: LintContext, file: string, before: number, text: string): FixEdit | undefined {
  const lines = fileLines(ctx, file);
  if (lines === undefined || before < 1) return undefined;
  // A file ending in a newline splits into a last empty "line": appending goes before it.
  const count = lineCount(lines);
  if (before > count + 1) return undefined;
  if (before === count + 1 && lines[lines.length - 1] !== '')
    return { file, line: count, old: lines[count - 1]!, new: `${lines[count - 1]}\n${text}` };
  return { file, line: before, old: '', new: `${text}\n` };
}

/** The whole file becomes `neu`. */
export function replaceFile(ctx: LintContext, file: string, neu: string): FixEdit | undefined {
  const lines = fileLines(ctx, file);
  if (lines === undefined) return undefined;
  const old = lines.join('\n');
  return old === '' ? undefined : { file, line: 1, old, new: neu.replace(/\n$/, '') + (old.endsWith('\n') ? '\n' : '') };
}

// ---------------------------------------------------------------------------------------------------------
// INI (carbon.conf, carbonate.conf)

/** The last line of the INI option that starts on `line` (its indented continuation lines included). */
function iniOptionEnd(lines: readonly string[], line: number): number {
  let end = line;
  while (end < lines.length && /^[ \t]+\S/.test(lines[end]!)) end++;
  return end;
}

/** `KEY = old value` (with its continuation lines) → `KEY = value`, keeping the key as written. */
export function iniSetValue(ctx: LintContext, file: string, line: number | null, value: string): FixEdit | undefined {
  const lines = fileLines(ctx, file);
  if (lines === undefined || line === null) return undefined;
  const head = lines[line - 1];
  const m = head === undefined ? null : /^(\s*[^=:\s][^=:]*?\s*[=:][ \t]*)/.exec(head);
  if (m === null) return undefined;
  const end = iniOptionEnd(lines, line);
  return replaceLines(ctx, file, line, end, `${m[1]}${value}`);
}

/** A `KEY = value` line at the end of [section] (after its last option). */
export function iniInsert(ctx: LintContext, file: string, section: string, key: string, value: string): FixEdit | undefined {
  const lines = fileLines(ctx, file);
  if (lines === undefined) return undefined;
  const start = lines.findIndex((l) => l.trim() === `[${section}]`);
  if (start < 0) return undefined;
  let last = start + 1; // 1-based line of the header
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^\s*\[/.test(l)) break;
    if (/^\S/.test(l) && !/^[#;]/.test(l)) last = iniOptionEnd(lines, i + 1);
  }
  return insertLines(ctx, file, last + 1, `${key} = ${value}`);
}

// ---------------------------------------------------------------------------------------------------------
// Python (local_settings.py)

/** Offset just past the Python expression that starts at `from` (brackets, strings, comments, `\`). */
function pyExpressionEnd(text: string, from: number): number {
  let depth = 0;
  let i = from;
  let lastCode = from;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = text.startsWith(c.repeat(3), i);
      const q = triple ? c.repeat(3) : c;
      i += q.length;
      while (i < text.length && !text.startsWith(q, i)) i += text[i] === '\\' ? 2 : 1;
      i += q.length;
      lastCode = i;
      continue;
    }
    if (c === '\\' && text[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '\n' && depth === 0) break;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    if (!/\s/.test(c)) lastCode = i + 1;
    i++;
  }
  return lastCode;
}

/** The value of `NAME = value` on `line`, as written (possibly several lines). */
export function pyValueAt(ctx: LintContext, file: string, line: number | null): string | undefined {
  const lines = fileLines(ctx, file);
  if (lines === undefined || line === null || lines[line - 1] === undefined) return undefined;
  const m = /^\s*[A-Za-z_][A-Za-z0-9_]*\s*=\s*/.exec(lines[line - 1]!);
  if (m === null) return undefined;
  const rest = [lines[line - 1]!.slice(m[0].length), ...lines.slice(line)].join('\n');
  return rest.slice(0, pyExpressionEnd(rest, 0));
}

/** `NAME = old` → `NAME = value` (the value as Python source). */
export function pySetValue(ctx: LintContext, file: string, line: number | null, value: string): FixEdit | undefined {
  const old = pyValueAt(ctx, file, line);
  if (old === undefined || old === '') return undefined;
  const head = lineAt(ctx, file, line)!;
  if (!old.includes('\n') && head.indexOf(old) !== head.lastIndexOf(old)) return undefined;
  return { file, line: line!, old, new: value };
}

/** `NAME = [a, b]` → `NAME = [a, b, item]`, keeping the list's layout. */
export function pyListAppend(ctx: LintContext, file: string, line: number | null, item: string): FixEdit | undefined {
  const old = pyValueAt(ctx, file, line);
  if (old === undefined || !/^[[(]/.test(old) || !/[\])]$/.test(old)) return undefined;
  const close = old.length - 1;
  const before = old.slice(0, close);
  const body = before.trimEnd();
  let neu: string;
  if (body.length === 1) neu = `${old[0]}${item}${old.slice(close)}`;
  else if (before.includes('\n') && body.endsWith(',')) {
    const lastItem = body.slice(body.lastIndexOf('\n') + 1);
    const indent = /^\s*/.exec(lastItem)![0];
    neu = `${body}\n${indent}${item},${before.slice(body.length)}${old.slice(close)}`;
  } else neu = `${body}${body.endsWith(',') ? ' ' : ', '}${item}${before.slice(body.length)}${old.slice(close)}`;
  return pySetValue(ctx, file, line, neu);
}

export function pyString(s: string): string {
  return JSON.stringify(s);
}

// ---------------------------------------------------------------------------------------------------------
// Applying

/** Apply edits to one file's text. Edits must not overlap; each must find its `old` text on its line. */
export function applyEdits(text: string, edits: readonly FixEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const placed = edits.map((e) => {
    const lineStart = starts[e.line - 1];
    if (lineStart === undefined) throw new Error(`edit at ${e.file}:${e.line}: the file has ${starts.length} lines`);
    const lineEnd = starts[e.line] ?? text.length + 1;
    const at = text.indexOf(e.old, lineStart);
    if (at < 0 || at >= lineEnd) throw new Error(`edit at ${e.file}:${e.line}: ${JSON.stringify(e.old)} is not on that line`);
    return { at, e };
  });
  placed.sort((a, b) => b.at - a.at);
  let out = text;
  let limit = Infinity;
  for (const { at, e } of placed) {
    if (at + e.old.length > limit) throw new Error(`edits at ${e.file}:${e.line} overlap`);
    out = out.slice(0, at) + e.new + out.slice(at + e.old.length);
    limit = at;
  }
  return out;
}

// Fix edits in each holder's own syntax: a ring's hash type, replication factor, replica policy or member
// list, written where that program reads it (carbon.conf and carbonate.conf sections, local_settings.py,
// the ringshift cluster file's ring:). Holders whose files are command lines or block syntaxes
// (buckyd, carbon-c-relay, carbon-relay-ng) get no edit: their fix stays in words.
import type { LintContext } from './context.js';
import { fileLines, iniInsert, iniSetValue, insertLines, lineCount, pySetValue, replaceInLine, replaceLines } from './fix-edits.js';
import type { FixEdit } from './lint-finding.js';
import type { HeldRing } from './model.js';

export type RingSetting = 'hash' | 'replication' | 'diverse';

const INI_KEYS: Record<'carbon' | 'carbonate', Record<RingSetting, string>> = {
  carbon: { hash: 'ROUTER_HASH_TYPE', replication: 'REPLICATION_FACTOR', diverse: 'DIVERSE_REPLICAS' },
  carbonate: { hash: 'HASHING_TYPE', replication: 'REPLICATION_FACTOR', diverse: 'DIVERSE_REPLICAS' },
};

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

/** 1-based line of `[section]`, and of `KEY =` inside it (undefined when absent). */
function iniFind(lines: readonly string[], section: string, key: string): { header?: number; key?: number } {
  const out: { header?: number; key?: number } = {};
  const keyRe = new RegExp(`^${escapeRe(key)}\\s*[=:]`, 'i');
  let inside = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const h = /^\s*\[([^\]]*)\]/.exec(l);
    if (h) {
      inside = h[1] === section;
      if (inside) out.header = i + 1;
      continue;
    }
    if (inside && keyRe.test(l)) out.key = i + 1;
  }
  return out;
}

/** The line of `KEY =` in [section], else of the section header (null when neither is in the file). */
export function iniKeyLine(ctx: LintContext, file: string, section: string, key: string): number | null {
  const lines = fileLines(ctx, file);
  if (lines === undefined) return null;
  const at = iniFind(lines, section, key);
  return at.key ?? at.header ?? null;
}

/** `KEY = value` in [section]: the existing option replaced, or a new one at the end of the section. */
export function iniSetOrInsert(ctx: LintContext, file: string, section: string, key: string, value: string): FixEdit | undefined {
  const lines = fileLines(ctx, file);
  if (lines === undefined) return undefined;
  const at = iniFind(lines, section, key);
  if (at.key !== undefined) return iniSetValue(ctx, file, at.key, value);
  return at.header === undefined ? undefined : iniInsert(ctx, file, section, key, value);
}

/** `KEY = a, b` in [section] → `KEY = a, b, item` (continuation lines kept). */
export function iniAppendToList(ctx: LintContext, file: string, section: string, key: string, item: string): FixEdit | undefined {
  const lines = fileLines(ctx, file);
  if (lines === undefined) return undefined;
  const at = iniFind(lines, section, key);
  if (at.key === undefined) return undefined;
  let end = at.key;
  while (end < lines.length && /^[ \t]+\S/.test(lines[end]!)) end++;
  const last = lines[end - 1]!;
  const body = last.replace(/[\s,]+$/, '');
  if (/[=:]$/.test(body)) return replaceLines(ctx, file, end, end, `${body} ${item}`);
  return replaceLines(ctx, file, end, end, `${body}, ${item}`);
}

/** The last `NAME = …` of a Python settings file (the one Python keeps), or a new line at the end. */
export function pySetOrAppend(ctx: LintContext, file: string, name: string, value: string): FixEdit | undefined {
  const lines = fileLines(ctx, file);
  if (lines === undefined) return undefined;
  const re = new RegExp(`^${escapeRe(name)}\\s*=`);
  let at = -1;
  lines.forEach((l, i) => {
    if (re.test(l)) at = i + 1;
  });
  if (at > 0) return pySetValue(ctx, file, at, value);
  return insertLines(ctx, file, lineCount(lines) + 1, `${name} = ${value}`);
}

/** A key of the cluster file's `ring:` mapping (inserted as its first key when absent). */
function yamlRingSet(ctx: LintContext, file: string, key: string, value: string): FixEdit | undefined {
  const lines = fileLines(ctx, file);
  if (lines === undefined) return undefined;
  const ring = lines.findIndex((l) => /^ring:\s*(#.*)?$/.test(l));
  if (ring < 0) return undefined;
  const child = lines.slice(ring + 1).find((l) => /^\s+\S/.test(l) && !/^\s*#/.test(l));
  const indent = child === undefined ? '  ' : /^\s+/.exec(child)![0];
  for (let i = ring + 1; i < lines.length && (lines[i] === '' || /^\s/.test(lines[i]!)); i++) {
    if (new RegExp(`^${indent}${escapeRe(key)}:`).test(lines[i]!))
      return replaceLines(ctx, file, i + 1, i + 1, `${indent}${key}: ${value}`);
  }
  return insertLines(ctx, file, ring + 2, `${indent}${key}: ${value}`);
}

/** A ring setting, in the holder's file and syntax. */
export function settingEdit(ctx: LintContext, r: HeldRing, which: RingSetting, value: string | number | boolean): FixEdit | undefined {
  const py = (v: string | number | boolean) =>
    typeof v === 'string' ? JSON.stringify(v) : typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
  const ini = (v: string | number | boolean) => (typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));
  switch (r.holder) {
    case 'carbon-relay':
    case 'carbon-aggregator':
      return r.section === undefined ? undefined : iniSetOrInsert(ctx, r.file, r.section, INI_KEYS.carbon[which], ini(value));
    case 'carbonate':
      return r.section === undefined ? undefined : iniSetOrInsert(ctx, r.file, r.section, INI_KEYS.carbonate[which], ini(value));
    case 'graphite-web':
      if (which === 'diverse') return undefined;
      return pySetOrAppend(ctx, r.file, which === 'hash' ? 'CARBONLINK_HASHING_TYPE' : 'REPLICATION_FACTOR', py(value));
    case 'ringshift':
      return yamlRingSet(ctx, r.file, which, typeof value === 'boolean' ? String(value) : String(value));
    default:
      return undefined;
  }
}

/** A ring's whole member list, given as entries in the holder's syntax. */
export function memberListEdit(ctx: LintContext, r: HeldRing, items: readonly string[]): FixEdit | undefined {
  switch (r.holder) {
    case 'carbon-relay':
    case 'carbon-aggregator':
    case 'carbonate':
      return r.section === undefined ? undefined : iniSetOrInsert(ctx, r.file, r.section, 'DESTINATIONS', items.join(', '));
    case 'graphite-web':
      return pySetOrAppend(ctx, r.file, 'CARBONLINK_HOSTS', `[${items.map((x) => JSON.stringify(x)).join(', ')}]`);
    case 'ringshift':
      return yamlDestinations(ctx, r.file, items);
    default:
      return undefined;
  }
}

function yamlDestinations(ctx: LintContext, file: string, items: readonly string[]): FixEdit | undefined {
  const lines = fileLines(ctx, file);
  if (lines === undefined) return undefined;
  const at = lines.findIndex((l) => /^\s+destinations:/.test(l));
  if (at < 0) return undefined;
  const inline = /^(\s+destinations:\s*)(\S.*)$/.exec(lines[at]!);
  if (inline !== null && !inline[2]!.startsWith('#')) return replaceLines(ctx, file, at + 1, at + 1, `${inline[1]}[${items.join(', ')}]`);
  let end = at + 1;
  while (end < lines.length && /^\s*-\s/.test(lines[end]!)) end++;
  if (end === at + 1) return undefined;
  const prefix = /^(\s*-\s*)/.exec(lines[at + 1]!)![1];
  return replaceLines(ctx, file, at + 2, end, items.map((x) => `${prefix}${x}`).join('\n'));
}

/** `server:old` → `server:new` in a member written on `line` (any member syntax; with its instance when
 * the same host:port is written twice on the line). */
export function memberPortEdit(
  ctx: LintContext,
  file: string,
  line: number | null,
  server: string,
  oldPort: number,
  newPort: number,
  instance: string | null = null,
): FixEdit | undefined {
  const host = server.includes(':') ? `[${server}]` : server;
  const text = fileLines(ctx, file)?.[(line ?? 0) - 1];
  if (text === undefined) return undefined;
  // host:port alone when it is written once on the line, else with the instance that tells the entries apart.
  const suffixes = instance === null ? [''] : ['', `:${instance}`, `=${instance}`];
  for (const sfx of suffixes) {
    const end = sfx === '' ? '(?!\\d)' : '(?![\\w.-])';
    const re = new RegExp(`(^|[^\\w.-])${escapeRe(host)}:${oldPort}${escapeRe(sfx)}${end}`, 'g');
    if ([...text.matchAll(re)].length !== 1) continue;
    const edit = replaceInLine(ctx, file, line, `${host}:${oldPort}${sfx}`, `${host}:${newPort}${sfx}`);
    if (edit !== undefined) return edit;
  }
  return undefined;
}

// The specifications the code cites live in docs/spec/ (issue 9): every `ring-spec §2.3`,
// `whisper-spec.md §5`, `configs.md §9 R11` in the code, tests, benches, scripts and docs must name a
// heading that exists, so a reader can follow it and a renumbered spec cannot leave stale pointers.
// The section sign is written as an escape in this file so its own examples are not scanned as citations.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SPEC_DIR = join(ROOT, 'docs', 'spec');
const S = '\u00a7';

const SPEC_FILES = { 'ring-spec': 'ring-spec.md', 'whisper-spec': 'whisper-spec.md', configs: 'configs.md' } as const;
type SpecName = keyof typeof SPEC_FILES;

/** Where citations are looked for (docs/spec itself is the target, not a source). */
const SCANNED_DIRS = ['src', 'commands', 'bench', 'test', 'scripts', 'docs'];
const SCANNED_EXT = /\.(ts|js|mjs|cjs|md|sh)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'dist', join('docs', 'spec')]);

interface Spec {
  /** Section number (`2.3`, `7a`) → line of its heading. */
  sections: Map<string, number>;
  /** Lint catalogue rows (`R11`) — configs.md §9 only. */
  catalogue: Set<string>;
  problems: string[];
}

/** Headings outside code fences; a section heading starts with the section sign and its number. */
function parseSpec(text: string, file: string): Spec {
  const sections = new Map<string, number>();
  const catalogue = new Set<string>();
  const problems: string[] = [];
  const seen = new Map<string, number>();
  let fenced = false;
  text.split('\n').forEach((line, i) => {
    const n = i + 1;
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) return;
    const row = /^\|\s*(R\d+)\s*\|/.exec(line);
    if (row) catalogue.add(row[1]!);
    const h = /^#{1,6}\s+(.*?)\s*$/.exec(line);
    if (!h) return;
    const heading = h[1]!;
    const first = seen.get(heading);
    if (first !== undefined) problems.push(`${file}:${n}: heading "${heading}" repeats line ${first}`);
    else seen.set(heading, n);
    const num = new RegExp(`^${S}(\\d+[a-z]?(?:\\.\\d+)*)(?=\\s|$)`).exec(heading);
    if (!num) return;
    const prev = sections.get(num[1]!);
    if (prev !== undefined) problems.push(`${file}:${n}: section ${S}${num[1]} repeats line ${prev}`);
    else sections.set(num[1]!, n);
  });
  if (fenced) problems.push(`${file}: unterminated code fence`);
  return { sections, catalogue, problems };
}

interface Citation {
  spec: SpecName | null;
  /** Every section the citation names (a range is expanded). */
  sections: string[];
  /** Catalogue rows named right after `configs.md §9`. */
  rows: string[];
  line: number;
  text: string;
}

function expandRange(from: string, to: string | undefined): string[] {
  if (to === undefined) return [from];
  const a = from.split('.');
  const b = to.split('.');
  const last = (p: string[]) => Number(p[p.length - 1]);
  const samePrefix = a.length === b.length && a.slice(0, -1).join('.') === b.slice(0, -1).join('.') && /^\d+$/.test(a[a.length - 1]!);
  if (!samePrefix || last(b) < last(a) || last(b) - last(a) > 50) return [from, to];
  const prefix = a.slice(0, -1);
  const out: string[] = [];
  for (let k = last(a); k <= last(b); k++) out.push([...prefix, String(k)].join('.'));
  return out;
}

/**
 * Citations in one file, in order. A spec is named as `ring-spec`, `whisper-spec` (either with `.md`) or
 * `configs.md`; a section sign with no spec name right before it refers to the last spec named earlier
 * in the same file.
 */
function findCitations(text: string): Citation[] {
  const token = new RegExp(
    `\\b(ring-spec|whisper-spec)(?:\\.md)?\\b|\\b(configs)\\.md\\b|${S}(\\d+[a-z]?(?:\\.\\d+)*)?(?:\\s?[-\u2013]\\s?(\\d+(?:\\.\\d+)*))?`,
    'g',
  );
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (index: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const out: Citation[] = [];
  let current: SpecName | null = null;
  for (const m of text.matchAll(token)) {
    const name = (m[1] ?? m[2]) as SpecName | undefined;
    if (name !== undefined) {
      current = name;
      continue;
    }
    const section = m[3];
    const c: Citation = {
      spec: current,
      sections: section === undefined ? [] : expandRange(section, m[4]),
      rows: [],
      line: lineOf(m.index),
      text: m[0],
    };
    if (current === 'configs' && section === '9') {
      const after = /^(?:[\s,]*(?:and\s+)?R\d+(?:[-\u2013]R\d+)?)+/.exec(text.slice(m.index + m[0].length));
      if (after) c.rows = [...after[0].matchAll(/R\d+/g)].map((r) => r[0]);
    }
    out.push(c);
  }
  return out;
}

/** Problems of one source file's citations against the parsed specs, as `file:line: …`. */
function checkCitations(file: string, text: string, specs: Record<SpecName, Spec>): string[] {
  const problems: string[] = [];
  for (const c of findCitations(text)) {
    const at = `${file}:${c.line}`;
    if (c.sections.length === 0) {
      problems.push(`${at}: "${c.text}" has no section number`);
      continue;
    }
    if (c.spec === null) {
      problems.push(`${at}: "${c.text}" names no spec (write ring-spec, whisper-spec.md or configs.md before it)`);
      continue;
    }
    const spec = specs[c.spec];
    for (const s of c.sections) {
      if (!spec.sections.has(s)) problems.push(`${at}: ${c.spec} ${S}${s} is not a heading of docs/spec/${SPEC_FILES[c.spec]}`);
    }
    for (const r of c.rows) {
      if (!spec.catalogue.has(r)) problems.push(`${at}: configs.md ${S}9 ${r} is not a row of the lint catalogue`);
    }
  }
  return problems;
}

function loadSpecs(): { specs: Record<SpecName, Spec>; problems: string[] } {
  const specs = {} as Record<SpecName, Spec>;
  const problems: string[] = [];
  for (const [name, file] of Object.entries(SPEC_FILES) as [SpecName, string][]) {
    const spec = parseSpec(readFileSync(join(SPEC_DIR, file), 'utf8'), `docs/spec/${file}`);
    specs[name] = spec;
    problems.push(...spec.problems);
  }
  return { specs, problems };
}

function* scannedFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name) && !SKIPPED_DIRS.has(relative(ROOT, p))) yield* scannedFiles(p);
    } else if (e.isFile() && SCANNED_EXT.test(e.name)) yield p;
  }
}

function repositoryFiles(): string[] {
  const files = SCANNED_DIRS.flatMap((d) => [...scannedFiles(join(ROOT, d))]);
  for (const e of readdirSync(ROOT, { withFileTypes: true })) if (e.isFile() && e.name.endsWith('.md')) files.push(join(ROOT, e.name));
  return files;
}

describe('spec citations', () => {
  it('every spec heading is unique within its file', () => {
    expect(loadSpecs().problems).toEqual([]);
  });

  it('every citation in src, commands, bench, test, scripts and docs resolves to a docs/spec heading', () => {
    const { specs } = loadSpecs();
    const files = repositoryFiles();
    const problems: string[] = [];
    let cited = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      cited += findCitations(text).filter((c) => c.sections.length > 0).length;
      problems.push(...checkCitations(relative(ROOT, f), text, specs));
    }
    expect(problems).toEqual([]);
    // The scan really reads the code: src/ and docs/rules cite the specs in dozens of places.
    expect(cited).toBeGreaterThan(50);
  });

  it('numbers every section of the three specs in their headings', () => {
    const { specs } = loadSpecs();
    expect([...specs['ring-spec'].sections.keys()]).toContain('2.3');
    expect([...specs['whisper-spec'].sections.keys()]).toContain('7a');
    expect([...specs.configs.catalogue].length).toBe(21);
  });
});

describe('the citation checker itself', () => {
  const spec = (text: string) => parseSpec(text, 'x.md');
  const specs: Record<SpecName, Spec> = {
    'ring-spec': spec(`# Ring\n## ${S}2 carbon\n### ${S}2.1 keys\n### ${S}2.2 positions\n`),
    'whisper-spec': spec(`## ${S}5 Writing\n## ${S}7a side by side\n`),
    configs: spec(`## ${S}1 carbon.conf\n### ${S}1.1 parser\n### ${S}1.3 keys\n## ${S}9 rules\n| R1 | a |\n| R2 | b |\n`),
  };

  it('resolves named, bare and ranged citations', () => {
    const text = [
      `// carbon's ring (ring-spec ${S}2.2), keys (${S}2.1)`,
      `// whisper-spec.md ${S}5 and ${S}7a`,
      `// configs.md ${S}1.1 and ${S}9 R1, R2`,
    ].join('\n');
    expect(findCitations(text).map((c) => [c.spec, c.sections, c.rows, c.line])).toEqual([
      ['ring-spec', ['2.2'], [], 1],
      ['ring-spec', ['2.1'], [], 1],
      ['whisper-spec', ['5'], [], 2],
      ['whisper-spec', ['7a'], [], 2],
      ['configs', ['1.1'], [], 3],
      ['configs', ['9'], ['R1', 'R2'], 3],
    ]);
    expect(checkCitations('a.ts', text, specs)).toEqual([]);
  });

  it('names file:line of a section with no heading, a broken range, an unknown row and a bare citation', () => {
    const text = [
      `// ${S}2.1 before any spec is named`,
      `// ring-spec ${S}2.3`,
      `// configs.md ${S}1.1-1.3 and ${S}9 R3`,
      `// a lone ${S} sign`,
    ].join('\n');
    expect(checkCitations('b.ts', text, specs)).toEqual([
      `b.ts:1: "${S}2.1" names no spec (write ring-spec, whisper-spec.md or configs.md before it)`,
      `b.ts:2: ring-spec ${S}2.3 is not a heading of docs/spec/ring-spec.md`,
      `b.ts:3: configs ${S}1.2 is not a heading of docs/spec/configs.md`,
      `b.ts:3: configs.md ${S}9 R3 is not a row of the lint catalogue`,
      `b.ts:4: "${S}" has no section number`,
    ]);
  });

  it('fails when a heading is renamed or repeated', () => {
    const broken = parseSpec(`## ${S}2 carbon\n### ${S}2.2: positions\n## ${S}2 carbon\n\`\`\`\n# not a heading\n\`\`\`\n`, 'r.md');
    expect(broken.problems).toEqual([`r.md:3: heading "${S}2 carbon" repeats line 1`, `r.md:3: section ${S}2 repeats line 1`]);
    expect(broken.sections.has('2.2')).toBe(false);
    expect(checkCitations('c.ts', `ring-spec ${S}2.2`, { ...specs, 'ring-spec': broken })).toEqual([
      `c.ts:1: ring-spec ${S}2.2 is not a heading of docs/spec/ring-spec.md`,
    ]);
  });
});

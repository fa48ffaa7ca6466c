// carbon-section-ignored (R15): a section no carbon program reads — `[ relay ]` with spaces inside the
// brackets, or a name that is no program. The fix removes the spaces; when the file also has the section
// under its real name (which carbon reads today), the two are merged into one, as configparser refuses a
// section twice — unless they set a key to different values, which only a person can settle.
import type { LintContext } from '../context.js';
import { fileLines, replaceLines } from '../fix-edits.js';
import type { FixEdit } from '../lint-finding.js';
import { dataString, defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'carbon-section-ignored',
    ref: 'R15',
    severity: 'warning',
    summary: 'A carbon.conf section no carbon program reads',
    fixable: 'edit',
    messages: {
      fixSpaces: 'remove the spaces inside the brackets',
      fixMerge: 'remove the spaces inside the brackets, and merge the other [{{section}}] (line {{line}}) into this one',
      fixUnknown: 'rename the section to [cache], [relay], [aggregator] or [<program>:<instance>], or remove it',
    },
  },
  diagnostics: [
    {
      source: 'carbon-conf',
      code: 'section-name-spaces',
      fix: (d, ctx): string => {
        const s = dataString(d, 'section');
        const other = s === undefined ? undefined : sectionsOf(fileLines(ctx, d.file) ?? []).find((x) => x.name === s.trim());
        return other === undefined ? rule.msg('fixSpaces') : rule.msg('fixMerge', { section: s!.trim(), line: other.header });
      },
      edits: (d, ctx) => {
        const s = dataString(d, 'section');
        return s === undefined || d.line === null ? undefined : mergeEdits(ctx, d.file, d.line, s);
      },
    },
    { source: 'carbon-conf', code: 'unknown-section', fix: (): string => rule.msg('fixUnknown') },
  ],
});

interface Section {
  name: string;
  /** 1-based line of the header, and of the section's last non-blank line. */
  header: number;
  last: number;
  /** KEY (upper case) → the option's lines (key line and continuation lines). */
  options: Map<string, { from: number; to: number; value: string }>;
}

function sectionsOf(lines: readonly string[]): Section[] {
  const out: Section[] = [];
  let cur: Section | undefined;
  let opt: { key: string; from: number } | undefined;
  const close = (i: number) => {
    if (cur !== undefined && opt !== undefined) {
      const o = cur.options.get(opt.key)!;
      o.to = i;
      o.value = lines
        .slice(o.from - 1, i)
        .join(' ')
        .replace(/^[^=:]*[=:]/, '')
        .replace(/\s+/g, '');
    }
    opt = undefined;
  };
  lines.forEach((l, idx) => {
    const n = idx + 1;
    const h = /^\[([^\]]*)\]/.exec(l);
    if (h) {
      if (cur !== undefined) close(cur.last);
      cur = { name: h[1]!, header: n, last: n, options: new Map() };
      out.push(cur);
      return;
    }
    if (cur === undefined || l.trim() === '' || /^\s*[#;]/.test(l)) return;
    if (/^\s/.test(l) && opt !== undefined) {
      cur.last = n;
      return;
    }
    close(cur.last);
    const k = /^([^=:\s][^=:]*?)\s*[=:]/.exec(l);
    if (k === null) return;
    opt = { key: k[1]!.toUpperCase(), from: n };
    cur.options.set(opt.key, { from: n, to: n, value: '' });
    cur.last = n;
  });
  if (cur !== undefined) close((cur as Section).last);
  return out;
}

function mergeEdits(ctx: LintContext, file: string, line: number, spaced: string): (FixEdit | undefined)[] | undefined {
  const lines = fileLines(ctx, file);
  if (lines === undefined) return undefined;
  const all = sectionsOf(lines);
  const mine = all.find((s) => s.header === line);
  const name = spaced.trim();
  const rename = replaceLines(ctx, file, line, line, lines[line - 1]!.replace(`[${spaced}]`, `[${name}]`));
  const others = all.filter((s) => s.name === name);
  if (mine === undefined || others.length === 0) return [rename];
  if (others.length > 1) return undefined;
  const other = others[0]!;
  // Keys both set must agree; keys only the other sets move into this section.
  const moved: string[] = [];
  for (const [key, o] of other.options) {
    const m = mine.options.get(key);
    if (m === undefined) moved.push(lines.slice(o.from - 1, o.to).join('\n'));
    else if (m.value !== o.value) return undefined;
  }
  const edits: (FixEdit | undefined)[] = [rename];
  // The other section goes, with the blank lines before it.
  let from = other.header;
  while (from > 1 && lines[from - 2]!.trim() === '') from--;
  if (from < 2) return undefined;
  const keep = lines[from - 2]!;
  // Right after this section: the moved keys take the other section's place.
  const adjacent = from - 1 === mine.last;
  const tail = adjacent && moved.length > 0 ? `\n${moved.join('\n')}` : '';
  edits.push({ file, line: from - 1, old: lines.slice(from - 2, other.last).join('\n'), new: `${keep}${tail}` });
  if (!adjacent && moved.length > 0)
    edits.push(replaceLines(ctx, file, mine.last, mine.last, `${lines[mine.last - 1]}\n${moved.join('\n')}`));
  return edits;
}

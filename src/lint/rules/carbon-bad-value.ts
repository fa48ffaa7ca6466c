// carbon-bad-value (R15): a value carbon cannot use — a boolean it cannot parse, a number with text in it,
// an empty or malformed destination. Fixes are edits where the intent is plain: the nearest boolean, the
// inline comment moved off a number, the stray comma removed (or, when the line after it is an unindented
// destination, that line indented).
import type { LintContext } from '../context.js';
import { fileLines, iniSetValue, lineAt } from '../fix-edits.js';
import type { FixEdit } from '../lint-finding.js';
import { dataString, defineRule } from '../rule-definition.js';
import { moveCommentEdit } from './carbon-inline-comment.js';
import { indentContinuationEdit } from './carbon-destination-as-key.js';

export const rule = defineRule({
  meta: {
    id: 'carbon-bad-value',
    ref: 'R15',
    severity: 'error',
    summary: 'A carbon.conf value carbon cannot use (boolean, number, destination)',
    fixable: 'edit',
    messages: {
      fixBoolean: 'use True or False',
      fixNumber: 'give {{key}} a plain number (comments go on their own line)',
      fixComma: 'remove the stray comma',
      fixIndent: 'indent the next line so it continues DESTINATIONS (it was read as a key of its own)',
      fixDestination: 'write each destination as host:port[:instance] ([v6]:port[:instance] for IPv6)',
    },
  },
  diagnostics: [
    {
      source: 'carbon-conf',
      code: 'bad-boolean',
      fix: (): string => rule.msg('fixBoolean'),
      edits: (d, ctx) => {
        const b = nearestBoolean(dataString(d, 'value') ?? '');
        return b === undefined ? undefined : [iniSetValue(ctx, d.file, d.line, b)];
      },
    },
    {
      source: 'carbon-conf',
      code: 'non-numeric',
      fix: (d): string => rule.msg('fixNumber', { key: dataString(d, 'key') ?? 'the key' }),
      edits: (d, ctx) => {
        const v = dataString(d, 'value') ?? '';
        return /^\s*-?[0-9.]+\s+[#;]/.test(v) ? [moveCommentEdit(ctx, d.file, d.line)] : undefined;
      },
    },
    {
      source: 'carbon-conf',
      code: 'empty-destination',
      fix: (d, ctx): string => (unindentedDestinationFollows(ctx, d.file, d.line) ? rule.msg('fixIndent') : rule.msg('fixComma')),
      edits: (d, ctx) => {
        if (unindentedDestinationFollows(ctx, d.file, d.line)) return [indentContinuationEdit(ctx, d.file, d.line! + 1)];
        return [strayCommaEdit(ctx, d.file, d.line)];
      },
    },
    { source: 'carbon-conf', code: 'bad-destination', fix: (): string => rule.msg('fixDestination') },
  ],
});

/** "ture" → True, "flase" → False; nothing when the word is not close to either. */
function nearestBoolean(v: string): 'True' | 'False' | undefined {
  const t = distance(v.toLowerCase(), 'true');
  const f = distance(v.toLowerCase(), 'false');
  if (Math.min(t, f) > 2 || t === f) return undefined;
  return t < f ? 'True' : 'False';
}

/** Optimal string alignment distance (a transposition counts 1). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The line after an empty item is `host:port…` at column 0: the list was cut by a missing indent. */
function unindentedDestinationFollows(ctx: LintContext, file: string, line: number | null): boolean {
  const next = line === null ? undefined : fileLines(ctx, file)?.[line];
  return next !== undefined && /^[A-Za-z0-9[][A-Za-z0-9.:\]-]*:[0-9]+/.test(next);
}

function strayCommaEdit(ctx: LintContext, file: string, line: number | null): FixEdit | undefined {
  const text = lineAt(ctx, file, line);
  if (text === undefined) return undefined;
  const fixed = text.replace(/,\s*,/, ',').replace(/,\s*$/, '');
  return fixed === text ? undefined : { file, line: line!, old: text, new: fixed };
}

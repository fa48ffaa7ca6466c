// data-dir-not-read (R10): every cache's data directory is read by its host's webapp (STANDARD_DIRS). The
// fix adds the directory to STANDARD_DIRS: nothing moves, and the webapp finds what is already there.
import type { LintContext } from '../context.js';
import { lineAt, pyListAppend, pyString } from '../fix-edits.js';
import type { FixEdit } from '../lint-finding.js';
import type { Webapp } from '../model.js';
import { list } from '../ring-compare.js';
import { defineRule } from '../rule-definition.js';
import { pySetOrAppend } from '../setting-edits.js';

export const rule = defineRule({
  meta: {
    id: 'data-dir-not-read',
    ref: 'R10',
    severity: 'error',
    summary: "A cache writes whisper files where its host's webapp does not read",
    fixable: 'edit',
    messages: {
      notRead:
        'carbon-cache {{instance}} on {{host}} writes whisper files to {{path}}, but the webapp there ({{webapp}}) reads only {{dirs}}: metrics stored by this instance are invisible once flushed{{assumed}}',
      fix: 'add {{path}} to STANDARD_DIRS in {{webapp}}, or point LOCAL_DATA_DIR at {{other}}',
    },
  },
  check(ctx, topo) {
    for (const c of topo.caches) {
      if (c.host === undefined || c.localDataDir === undefined) continue;
      const readers = ctx.webapps.filter((w) => w.host === c.host && w.dataDirs !== undefined);
      for (const w of readers) {
        const dirs = w.dataDirs!;
        if (dirs.paths.includes(c.localDataDir.path)) continue;
        const assumed = [c.localDataDir.assumed, dirs.assumed].filter((x) => x !== undefined);
        rule.report(ctx, {
          file: c.localDataDir.where.file,
          line: c.localDataDir.where.line,
          message: rule.msg('notRead', {
            instance: c.instance,
            host: c.host,
            path: c.localDataDir.path,
            webapp: ctx.display(w.file),
            dirs: list(dirs.paths) || '(nothing)',
            assumed: assumed.length > 0 ? ` (paths: ${assumed.join('; ')})` : '',
          }),
          fix: rule.msg('fix', {
            path: c.localDataDir.path,
            webapp: ctx.display(w.file),
            other: dirs.paths[0] ?? "the webapp's WHISPER_DIR",
          }),
          edits: [addDataDirEdit(ctx, w, c.localDataDir.path)],
          related: [dirs.where],
        });
      }
    }
  },
});

/** `path` added to the webapp's STANDARD_DIRS (written out, from the directories it reads today, when unset). */
export function addDataDirEdit(ctx: LintContext, w: Webapp, path: string): FixEdit | undefined {
  if (w.dataDirs === undefined) return undefined;
  const at = w.dataDirs.where.line;
  if (at !== null && /^\s*STANDARD_DIRS\s*=/.test(lineAt(ctx, w.file, at) ?? '')) return pyListAppend(ctx, w.file, at, pyString(path));
  return pySetOrAppend(ctx, w.file, 'STANDARD_DIRS', `[${[...w.dataDirs.paths, path].map(pyString).join(', ')}]`);
}

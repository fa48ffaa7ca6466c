// instance-storage-dir (R9): carbon derives LOCAL_DATA_DIR from the program section's STORAGE_DIR before it
// reads the instance section, so an instance that sets only STORAGE_DIR still writes where the others do.
// The fix sets LOCAL_DATA_DIR in the instance section, and adds that directory to the STANDARD_DIRS of
// the webapp on the same host, which would otherwise not read it.
import { insertLines, lineAt } from '../fix-edits.js';
import type { FixEdit } from '../lint-finding.js';
import { defineRule } from '../rule-definition.js';
import { addDataDirEdit } from './data-dir-not-read.js';

export const rule = defineRule({
  meta: {
    id: 'instance-storage-dir',
    ref: 'R9',
    severity: 'warning',
    summary: 'An instance section sets STORAGE_DIR but not LOCAL_DATA_DIR, so its data does not move',
    fixable: 'edit',
    messages: { fix: 'set LOCAL_DATA_DIR (and PID_DIR, LOG_DIR) in the instance section too' },
  },
  diagnostics: [
    {
      source: 'carbon-conf',
      code: 'instance-storage-dir',
      fix: (): string => rule.msg('fix'),
      edits: (d, ctx, topo) => {
        const m = /^\s*STORAGE_DIR\s*[=:]\s*(\S.*?)\s*$/i.exec(lineAt(ctx, d.file, d.line) ?? '');
        if (m === null || m[1]!.includes('%(')) return undefined;
        const dir = `${m[1]!.replace(/\/+$/, '')}/whisper`;
        const edits: (FixEdit | undefined)[] = [insertLines(ctx, d.file, d.line! + 1, `LOCAL_DATA_DIR = ${dir}`)];
        const host = topo.fileHosts.get(d.file)?.host;
        for (const w of ctx.webapps) {
          if (host === undefined || w.host !== host || w.dataDirs === undefined || w.dataDirs.paths.includes(dir)) continue;
          edits.push(addDataDirEdit(ctx, w, dir));
        }
        return edits;
      },
    },
  ],
});

// webapp-setting-unresolved (R1): a local_settings.py setting the ring checks need depends on the
// environment or cannot be evaluated without running Python. The checks that need it are skipped, and
// this says so; the fix is a value (--env) only the user has.
import type { WebSetting } from '../../config/python/pysettings.js';
import type { LintContext } from '../context.js';
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'webapp-setting-unresolved',
    ref: 'R1',
    severity: 'warning',
    summary: 'A local_settings.py setting the ring checks need depends on the environment or cannot be evaluated',
    fixable: 'advice',
    messages: {
      unresolved: '{{name}} cannot be evaluated without running Python: {{reason}}; the checks that need it are skipped',
      fix: 'give the environment the value depends on with --env NAME=VALUE, or write the setting as a literal',
      fixConditional: 'make the effective value unconditional, or state it with --env',
      fixKeyfunc: 'nothing to change if intended: ringshift hashes metric names as they are, so check the keyfunc by hand',
    },
  },
  diagnostics: [
    { source: 'local-settings', code: 'cannot-evaluate', fix: (): string => rule.msg('fix') },
    { source: 'local-settings', code: 'conditional-setting', fix: (): string => rule.msg('fixConditional') },
    { source: 'local-settings', code: 'env-dependent', severity: 'info', fix: (): string => rule.msg('fix') },
    { source: 'local-settings', code: 'custom-keyfunc', fix: (): string => rule.msg('fixKeyfunc') },
  ],
});

/** A setting whose value is Unknown: reported, and the checks that need it are skipped. */
export function reportUnresolved(ctx: LintContext, file: string, w: WebSetting): void {
  if (w.value.t !== 'unknown') return;
  // The setting's own line; where the value comes from (an import, an env lookup) is the other side.
  const line = w.line ?? (w.value.line || null);
  const from = w.value.line || null;
  rule.report(ctx, {
    file,
    line,
    message: rule.msg('unresolved', { name: w.name, reason: w.value.reason }),
    fix: rule.msg('fix'),
    ...(from !== null && from !== line ? { related: [{ file, line: from }] } : {}),
  });
}

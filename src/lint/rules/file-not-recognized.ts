// file-not-recognized (not a catalogue rule): a file named on the command line that ringshift does not
// read, so the user knows it was not checked. Files found by walking a directory are skipped silently
// (--explain lists them).
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'file-not-recognized',
    ref: '-',
    severity: 'info',
    summary: 'A file given on the command line is not a config ringshift lints',
    fixable: 'advice',
    messages: {
      notRead: 'not read: {{reason}}',
      fix: 'lint carbon.conf, relay-rules.conf, aggregation-rules.conf, local_settings.py, carbon-c-relay and carbon-relay-ng configs, carbonate.conf, go-carbon/carbonapi configs, buckyd command lines and ringshift cluster files',
    },
  },
  check(ctx) {
    for (const u of ctx.unrecognized)
      rule.report(ctx, { file: u.path, line: null, message: rule.msg('notRead', { reason: u.reason }), fix: rule.msg('fix') });
  },
});

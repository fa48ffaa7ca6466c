// config-unparseable (R15): a config its program refuses. The parser's file:line and reason become the
// finding, never a crash; the rest of the cluster is still checked. Readers call tryParse /
// reportUnparseable, also on behalf of the rules that own a specific refusal (relay-rules-invalid,
// crelay-cluster-invalid).
import { ConfigError, RingshiftError } from '../../errors.js';
import type { LintContext } from '../context.js';
import { defineRule, type AnyRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'config-unparseable',
    ref: 'R15',
    severity: 'error',
    summary: 'A config file is refused by the program that reads it',
    fixable: 'advice',
    messages: {
      refused: '{{what}}: {{reason}}{{expected}}',
      fix: 'correct the file so the program that reads it accepts it; ringshift checks the cluster only with the files it can read',
      internal: 'ringshift internal error in {{what}}: {{reason}} (a bug in ringshift, not necessarily in the config; please report it)',
      fixInternal: 'run with the other files to see their findings; report the file that triggers this',
      goCarbon: 'go-carbon cannot parse this TOML: {{reason}}',
      fixToml: 'correct the TOML syntax',
      carbonapi: 'carbonapi cannot parse this file: {{reason}}',
      fixSyntax: 'correct the syntax',
      noCluster: 'carbonate.conf defines no cluster section: carbonate exits with "Cluster \'main\' not defined"',
      fixNoCluster: 'add a [main] section with DESTINATIONS and REPLICATION_FACTOR',
    },
  },
  diagnostics: [
    {
      source: 'relayng',
      code: 'relayng-route-type',
      fix: 'use sendAllMatch, sendFirstMatch, consistentHashing, consistentHashing-v2, grafanaNet, kafkaMdm or pubsub',
    },
  ],
});

/** A config the program refuses: a finding with the parser's file:line and reason (by `owner`, default this rule). */
export function reportUnparseable(ctx: LintContext, file: string, err: unknown, what: string, owner: AnyRule = rule, fix?: string): void {
  if (!(err instanceof RingshiftError)) throw err;
  // The parser's diagnostics already explained this line as an error: one finding is enough.
  const f = err.file ?? file;
  const l = err.line ?? null;
  if (l !== null && ctx.findings.items.some((x) => x.severity === 'error' && x.file === f && x.line === l)) return;
  owner.report(ctx, {
    file: f,
    line: l,
    message: rule.msg('refused', { what, reason: err.message, expected: err.expected === undefined ? '' : ` (expected ${err.expected})` }),
    fix: fix ?? rule.msg('fix'),
  });
}

/** Run `fn`; a ConfigError becomes a finding (config-unparseable unless `owner` says). Undefined then. */
export function tryParse<T>(ctx: LintContext, file: string, what: string, fn: () => T, owner?: AnyRule, fix?: string): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError || e instanceof RingshiftError) {
      reportUnparseable(ctx, file, e, what, owner, fix);
      return undefined;
    }
    throw e;
  }
}

/** An unexpected exception (a ringshift bug, not a config problem) becomes a finding that says so. */
export function reportInternalError(ctx: LintContext, file: string, what: string, e: unknown): void {
  const err = e instanceof Error ? e : new Error(String(e));
  rule.report(ctx, { file, line: null, message: rule.msg('internal', { what, reason: err.message }), fix: rule.msg('fixInternal') });
}

// relay-rules.conf (configs.md §9 R11): the rules file a RELAY_METHOD = rules relay reads exists and
// is accepted (exactly one default rule, destinations in every section, regexes that compile), and sends
// only to destinations that are in [relay] DESTINATIONS: carbon drops the others silently.
import { existsSync, readFileSync } from 'node:fs';
import { parseRelayRules, type RelayRules } from '../../config/carbon-rules.js';
import { ConfigError } from '../../errors.js';
import { memberId } from '../../ring/types.js';
import { tryParse, type LintContext, type RulesRelay } from '../context.js';
import { list } from './compare.js';

export function checkRelayRules(ctx: LintContext): void {
  for (const relay of ctx.rulesRelays) {
    const rules = rulesFor(ctx, relay);
    if (rules === undefined) continue;
    const configured = new Set(relay.destinations.map((d) => memberId(d)));
    for (const rule of rules.rules) {
      for (const dest of rule.destinations) {
        if (configured.has(memberId(dest.destination))) continue;
        ctx.findings.add('relay-rules-unknown-destination', {
          file: rules.file,
          line: dest.line,
          message:
            `rule [${rule.name}] sends to ${dest.text}, which is not in [${relay.section}] DESTINATIONS of ${ctx.display(relay.file)} (${list(relay.destinations.map((d) => memberId(d))) || 'empty'}): ` +
            'carbon-relay yields only configured destinations and drops this one silently',
          fix: `add ${dest.text} to DESTINATIONS in ${ctx.display(relay.file)}, or send this rule to a configured destination`,
          related: [relay.destinationsWhere],
        });
      }
    }
  }
}

/** The relay-rules file a rules relay reads: a linted file, else the file on disk. */
function rulesFor(ctx: LintContext, relay: RulesRelay): RelayRules | undefined {
  const linted = ctx.relayRules.get(relay.rulesPath);
  if (linted !== undefined) return linted;
  if (ctx.files.some((f) => f.path === relay.rulesPath)) return undefined; // linted and refused: already reported
  const example = ctx.relayRules.get(`${relay.rulesPath}.example`);
  if (example !== undefined && !existsSync(relay.rulesPath)) {
    ctx.notes.push(
      `${ctx.display(relay.file)} [${relay.section}]: ${ctx.display(relay.rulesPath)} does not exist; checked ${ctx.display(example.file)} in its place`,
    );
    return example;
  }
  if (!existsSync(relay.rulesPath)) {
    ctx.findings.add('relay-rules-invalid', {
      file: relay.rulesWhere.file,
      line: relay.rulesWhere.line,
      message: `RELAY_METHOD = rules reads ${relay.rulesPath}, which does not exist: carbon-relay exits at startup`,
      fix: `create ${relay.rulesPath} with a default rule, or set RELAY_RULES to the file's path`,
    });
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(relay.rulesPath, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read ${relay.rulesPath}: ${(e as Error).message}`, { file: relay.file });
  }
  const parsed = tryParse(
    ctx,
    relay.rulesPath,
    'carbon-relay refuses relay-rules.conf',
    () => parseRelayRules(text, relay.rulesPath),
    'relay-rules-invalid',
  );
  if (parsed !== undefined) ctx.relayRules.set(relay.rulesPath, parsed);
  return parsed;
}

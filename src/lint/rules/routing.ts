// What gets hashed (configs.md §9 R13, R14, R18): names rewritten before hashing or storing, the
// aggregation rules an aggregated-consistent-hashing relay routes by, and tagged series.
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { splitLines } from '../../config/ini.js';
import type { LintContext } from '../context.js';
import type { Where } from '../model.js';
import type { Topology } from '../topology.js';
import { list } from './compare.js';

export function checkRouting(ctx: LintContext, topo: Topology): void {
  rewrites(ctx);
  aggregationRules(ctx);
  tags(ctx, topo);
}

// ---------------------------------------------------------------------------------------------------------
// R13

function rewrites(ctx: LintContext): void {
  const readers = [
    ...ctx.webapps.filter((w) => w.ring !== undefined).map((w) => ctx.display(w.file)),
    ...ctx.rings.filter((r) => r.role === 'tool').map((r) => ctx.display(r.file)),
  ];
  const who = readers.length > 0 ? ` (here: ${list([...new Set(readers)], 4)})` : '';
  for (const cfg of ctx.crelays) {
    const hashing = new Set(
      cfg.clusters.filter((c) => c.type === 'carbon_ch' || c.type === 'fnv1a_ch' || c.type === 'jump_fnv1a_ch').map((c) => c.name),
    );
    if (hashing.size === 0) continue;
    for (const r of cfg.rules) {
      if (r.kind === 'match' && r.routeUsing !== undefined && r.sendTo.some((c) => hashing.has(c))) {
        ctx.findings.add('routing-key-rewritten', {
          file: r.file,
          line: r.routeUsing.line,
          message:
            `route using ${r.routeUsing.text}: carbon-c-relay hashes this key instead of the metric name, but stores the metric under its own name; ` +
            `graphite-web's carbonlink and every tool that hashes stored names${who} look for these metrics on another node`,
          fix: "nothing in the readers can follow a route-using key: scan with the relay's own test mode (carbon-c-relay -t) for these names, and expect carbonlink misses for them",
        });
      }
      if (r.kind === 'rewrite') {
        ctx.findings.add('routing-key-rewritten', {
          file: r.file,
          line: r.line,
          message:
            `rewrite ${r.pattern.text} into ${r.replacement.text}: later rules hash and store the rewritten name, which is not re-cleansed; ` +
            `names that arrive in the old form are stored under the new one, so tools that derive names from files see a different name than was sent`,
          fix: 'nothing to change if intended; run misplacement scans on stored names (which is what this relay hashes after the rewrite)',
          severity: 'info',
        });
      }
    }
  }
  // carbon-aggregator [pre] rewrites change the stored name after the relay hashed the received one.
  const aggregatorDirs = new Set(ctx.aggregationUsers.filter((u) => u.role === 'aggregator').map((u) => dirname(u.file)));
  for (const [file, rules] of ctx.rewriteRules) {
    const pre = rules.sections.get('pre') ?? [];
    if (pre.length === 0 || (aggregatorDirs.size > 0 && !aggregatorDirs.has(dirname(file)))) continue;
    ctx.findings.add('routing-key-rewritten', {
      file,
      line: pre[0]!.line,
      message:
        `[pre] rewrites (${pre.length} rule${pre.length === 1 ? '' : 's'}) rename metrics in carbon-aggregator before they are stored, after the relay in front hashed the received name: ` +
        `the stored names hash to other nodes, so a misplacement scan reports them and carbonlink misses them`,
      fix: 'rewrite names before the hashing relay (or in the client), not in the aggregator',
    });
  }
  for (const r of ctx.rewriters) {
    ctx.findings.add('routing-key-rewritten', {
      file: r.file,
      line: r.line,
      message: `${r.label}: carbon-relay-ng rewrites names before routing; what it stores is not what the client sent, and tools that hash the client's names disagree`,
      fix: 'nothing to change if intended; scan stored names, not client names',
      severity: 'info',
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// R14

function aggregationRules(ctx: LintContext): void {
  const relays = ctx.aggregationUsers.filter((u) => u.role === 'relay');
  const aggregators = ctx.aggregationUsers.filter((u) => u.role === 'aggregator');
  const tools = ctx.aggregationUsers.filter((u) => u.role === 'carbonate');
  const texts = new Map<string, string | null>();
  const textOf = (p: string): string | null => {
    if (!texts.has(p)) {
      const linted = ctx.files.find((f) => f.path === p);
      texts.set(p, linted !== undefined ? linted.text : existsSync(p) ? readFileSync(p, 'utf8') : null);
    }
    return texts.get(p)!;
  };
  for (const r of relays) {
    const mine = r.rulesPath === null ? null : textOf(r.rulesPath);
    if (mine === null) {
      ctx.findings.add('aggregation-rules-mismatch', {
        ...r.where,
        message: `RELAY_METHOD = aggregated-consistent-hashing reads ${r.rulesPath}, which does not exist: the relay routes every metric by its own name, and aggregator inputs are split across nodes`,
        fix: `copy the aggregators' aggregation-rules.conf to ${r.rulesPath}`,
      });
      continue;
    }
    for (const a of aggregators) {
      if (a.rulesPath === null || a.rulesPath === r.rulesPath) continue;
      const theirs = textOf(a.rulesPath);
      if (theirs === null || theirs === mine) continue;
      const diff = firstDifference(mine, theirs);
      ctx.findings.add('aggregation-rules-mismatch', {
        file: r.rulesPath!,
        line: diff,
        message:
          `the aggregated-consistent-hashing relay (${r.label.replace(r.file, ctx.display(r.file))}) routes by ${ctx.display(r.rulesPath!)}, but ${a.label.replace(a.file, ctx.display(a.file))} aggregates with ${ctx.display(a.rulesPath)}, ` +
          `which differs from line ${diff}: inputs of an aggregate the relay does not know are spread over several aggregators, each computing a partial value`,
        fix: `deploy one aggregation-rules.conf to the relay and every aggregator (byte-identical)`,
        related: [{ file: a.rulesPath, line: diff }, r.where],
      });
    }
  }
  for (const t of tools) {
    const relay = relays[0];
    ctx.findings.add('aggregation-rules-mismatch', {
      ...t.where,
      severity: 'warning',
      message:
        `${t.label.replace(t.file, ctx.display(t.file))} uses RELAY_METHOD = aggregated-consistent-hashing: carbon-sieve and carbon-lookup route like the relay only when given its rules with -a` +
        (relay?.rulesPath ? ` (${ctx.display(relay.rulesPath)})` : ''),
      fix: `always run carbonate with -a ${relay?.rulesPath ? ctx.display(relay.rulesPath) : "<the relay's aggregation-rules.conf>"}`,
    });
  }
}

function firstDifference(a: string, b: string): number {
  const la = splitLines(a);
  const lb = splitLines(b);
  for (let i = 0; i < Math.max(la.length, lb.length); i++) if (la[i] !== lb[i]) return i + 1;
  return Math.max(la.length, lb.length);
}

// ---------------------------------------------------------------------------------------------------------
// R18

/** Evidence in the configs that tagged series are in use (whether they flow is runtime data). */
function tagEvidence(ctx: LintContext): Where | undefined {
  for (const w of ctx.webapps) if (w.tagdb !== undefined) return w.tagdb;
  for (const g of ctx.goCarbons) if (g.tagsEnabled?.value === true) return g.tagsEnabled.where;
  for (const { file, conf } of ctx.carbonConfs) {
    for (const s of conf.ini.sections) {
      for (const o of s.options.values()) {
        const k = o.rawKey.toUpperCase();
        if ((k === 'ENABLE_TAGS' && /^(true|1|yes|on)$/i.test(o.raw)) || k === 'TAG_RELAY_NORMALIZED' || k === 'TAG_HASH_FILENAMES')
          return { file, line: o.line };
      }
    }
  }
  return undefined;
}

function tags(ctx: LintContext, topo: Topology): void {
  const evidence = tagEvidence(ctx);
  if (evidence === undefined) return;
  const writersWithMirrors = new Set([...topo.mirrors.values()].map((m) => m.ring));
  for (const r of ctx.rings.filter((x) => x.role === 'relay')) {
    if (r.holder === 'carbon-c-relay' && writersWithMirrors.has(r)) {
      ctx.findings.add('tag-hashing-differs', {
        ...r.members,
        message:
          'carbon-c-relay hashes a tagged series by its name up to the first ";" (tags ignored), graphite-web\'s carbonlink hashes the whole tagged name: ' +
          `for tagged series (in use here: ${ctx.display(evidence.file)}${evidence.line !== null ? `:${evidence.line}` : ''}) carbonlink asks the wrong cache, so their recent points are missing`,
        fix: 'read tagged series from whisper only (accept the flush delay), or route tagged series with carbon-relay',
        related: [evidence],
      });
    }
    if ((r.holder === 'carbon-relay' || r.holder === 'carbon-aggregator') && !r.spec.tagRelayNormalized) {
      ctx.findings.add('tag-hashing-differs', {
        ...r.members,
        message:
          'TAG_RELAY_NORMALIZED is False: the relay hashes tagged names as received, while carbon-cache stores them normalized (tags sorted); ' +
          `a series sent with unsorted tags is hashed as one name and stored as another (tags in use: ${ctx.display(evidence.file)}${evidence.line !== null ? `:${evidence.line}` : ''})`,
        fix: `set TAG_RELAY_NORMALIZED = True in [${r.section ?? 'relay'}] (and move the series it re-routes)`,
        related: [evidence],
      });
    }
  }
}

// What a lint rule module is, as in ESLint: `meta` (id, catalogue number, severity, one-line summary, and
// the message and fix templates it speaks with) beside the code that finds the violations — a `check`
// over the modelled cluster, and/or the parser diagnostics it turns into findings. Templates name their
// data ({{name}}), and the types derive the data a template needs from its text, so a missing or
// misspelt placeholder fails `tsc` as a misspelt rule id does.
import type { ConfigDiagnostic } from '../config/diagnostics.js';
import type { DiagnosticRoute, FindingInput, LintContext } from './context.js';
import type { Messages, RuleMeta } from './rule-meta.js';
import type { Topology } from './topology-model.js';

type Placeholders<S extends string> = S extends `${string}{{${infer K}}}${infer Rest}` ? K | Placeholders<Rest> : never;
/** The data a template needs: one value per placeholder. */
export type MessageData<S extends string> = { readonly [K in Placeholders<S>]: string | number };
type DataArgs<S extends string> = [Placeholders<S>] extends [never] ? [] : [MessageData<S>];

export interface RuleDefinition<Id extends string, M extends Messages> {
  meta: RuleMeta<Id, M>;
  /** Finds violations in the modelled cluster (after every file is read). */
  check?: (ctx: LintContext, topo: Topology) => void | Promise<void>;
  /** Parser diagnostics this rule reports (while the files are read). */
  diagnostics?: readonly DiagnosticRoute[];
}

export interface LintRule<Id extends string = string, M extends Messages = Messages> extends RuleDefinition<Id, M> {
  /** A message or fix template filled with its data. */
  msg<K extends keyof M & string>(id: K, ...data: DataArgs<M[K]>): string;
  /** Add a finding of this rule (severity: the rule's unless given). */
  report(ctx: LintContext, f: FindingInput): void;
}

/** Any rule, whatever its messages (the catalogue's element type). */
export type AnyRule = LintRule<string, Messages>;

export function defineRule<const Id extends string, const M extends Messages>(def: RuleDefinition<Id, M>): LintRule<Id, M> {
  return {
    ...def,
    msg(id, ...data) {
      const values = (data[0] ?? {}) as Readonly<Record<string, string | number>>;
      return fill(def.meta.messages[id]!, values, `${def.meta.id}.${id}`);
    },
    report(ctx, f) {
      ctx.findings.add(def.meta, f);
    },
  };
}

function fill(template: string, data: Readonly<Record<string, string | number>>, where: string): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const v = data[k];
    if (v === undefined) throw new Error(`lint message ${where}: no value for {{${k}}}`);
    return String(v);
  });
}

/** A string field of a diagnostic's data. */
export function dataString(d: ConfigDiagnostic, k: string): string | undefined {
  const v = d.data?.[k];
  return typeof v === 'string' ? v : undefined;
}

/** A string-list field of a diagnostic's data (did-you-mean candidates). */
export function dataList(d: ConfigDiagnostic, k: string): string[] {
  const v = d.data?.[k];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

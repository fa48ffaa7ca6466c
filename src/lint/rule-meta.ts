// What a lint rule says about itself (id, catalogue number, severity, summary, message templates): the
// part of a rule the run's findings, the report formats and the docs need without the rule's code.
import type { Severity } from './lint-finding.js';

type Digit = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16 | 17 | 18 | 19 | 20 | 21;
/** A consistency rule of the catalogue (docs/rules/README.md, R1–R21). */
export type CatalogueRef = `R${Digit}`;
export const CATALOGUE_REFS: readonly CatalogueRef[] = Array.from({ length: 21 }, (_, i) => `R${i + 1}` as CatalogueRef);

export type Messages = Readonly<Record<string, string>>;

export interface RuleMeta<Id extends string = string, M extends Messages = Messages> {
  /** kebab-case; the module is src/lint/rules/<id>.ts and the page docs/rules/<id>.md. */
  id: Id;
  ref: CatalogueRef | '-';
  /** The default (and highest) severity; milder cases are said on the rule's page. */
  severity: Severity;
  /** One line: what the rule checks (docs index, --rules, SARIF, JUnit). */
  summary: string;
  /** edit: findings carry their fix as edits where the configs decide it; advice: the fix is words only. */
  fixable: 'edit' | 'advice';
  /** Message and fix templates; {{name}} is filled from the data given at report time. */
  messages: M;
}

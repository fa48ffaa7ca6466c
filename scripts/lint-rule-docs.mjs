// Regenerates the generated parts of docs/rules/ (each page's header line and example report, the index
// tables) from the rule modules and the fixtures, using the built dist/. Run by `npm run docs:rules`;
// test/lint-docs.test.ts fails when a page is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(root, 'dist/src/lint', p));
const { RULE_METAS } = await dist('rule-catalogue.js');
const { rewriteRulePage, rewriteRuleIndex } = await dist('rule-docs.js');
const { ruleExampleReport } = await dist('rule-examples.js');

let changed = 0;
const write = (file, text) => {
  if (readFileSync(file, 'utf8') === text) return;
  writeFileSync(file, text);
  changed++;
  process.stdout.write(`updated ${file.slice(root.length + 1)}\n`);
};
for (const meta of RULE_METAS) {
  const file = join(root, 'docs/rules', `${meta.id}.md`);
  write(file, rewriteRulePage(readFileSync(file, 'utf8'), meta, await ruleExampleReport(root, meta.id)));
}
const index = join(root, 'docs/rules/README.md');
write(index, rewriteRuleIndex(readFileSync(index, 'utf8'), RULE_METAS));
process.stdout.write(`${changed} file(s) updated\n`);

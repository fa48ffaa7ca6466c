// The config linter as plan's switch phase uses it: plan may not import src/lint (a side layer), so the
// command hands these two functions to the planner. The shapes are plan's `ConfigLinter`, kept
// structural so neither layer imports the other.
import { collectFiles } from './file-kinds.js';
import { lintPaths } from './run-lint.js';

/** The config files under `paths` (directories walked as `ringshift lint` walks them), embedded ones marked. */
async function collectConfigs(paths: readonly string[], cwd: string) {
  return (await collectFiles(paths, cwd)).files.map((f) => ({
    path: f.path,
    display: f.display,
    kind: f.kind as string,
    text: f.text,
    embedded: f.embedded !== undefined,
  }));
}

/** Lint a directory of configs: error count, warning count and one line per error. */
async function lintConfigTree(dir: string): Promise<{ errors: number; warnings: number; messages: string[] }> {
  const r = await lintPaths([dir], { cwd: dir });
  const errors = r.report.findings.filter((f) => f.severity === 'error');
  return {
    errors: errors.length,
    warnings: r.report.summary.warnings,
    messages: errors.map((f) => `${f.file}${f.line === null ? '' : `:${f.line}`}: ${f.message} [${f.rule}]`),
  };
}

export const configSetLinter = { collect: collectConfigs, lintTree: lintConfigTree };

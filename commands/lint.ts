import { Args, Flags } from '@oclif/core';
import chalk from 'chalk';
import { UsageError } from '../src/errors.js';
import { formatReport, LINT_FORMATS, type LintFormat } from '../src/lint/format.js';
import { RULES } from '../src/lint/rules/registry.js';
import { ruleListJson, ruleListText } from '../src/lint/rules-list.js';
import { lintPaths } from '../src/lint/run.js';
import { lintExitCode, type Severity } from '../src/lint/types.js';
import { BaseCommand } from '../src/cli/base-command.js';

const DOCS_BASE = 'https://github.com/ringshift/ringshift/blob/main/docs/rules';

export default class Lint extends BaseCommand {
  static override summary = 'Check that the relays, webapps and tools of a Graphite cluster agree about where metrics live.';
  static override description = `Reads every config under the PATHs (files or directories): carbon.conf with relay-rules.conf, aggregation-rules.conf and rewrite-rules.conf, graphite-web local_settings.py, carbon-c-relay and carbon-relay-ng configs, carbonate.conf, buckyd command lines, go-carbon and carbonapi configs, storage-schemas.conf, and ringshift cluster files. It works out the layout (single-tier: one relay ring over all caches, each webapp mirrors its host's members; two-tier: a top relay picks the host, a per-host relay the instance) from the files and the directories they are in (a directory named after a ring member's host, or hosts/<name>/), or from the topology: section of a cluster file, and checks the consistency rules R1–R21 (docs/rules/, or --rules).

Ring disagreements are measured with the ring engine, exactly over the 16-bit keyspace where both rings hash to it.

Exit status: 0 no errors (warnings allowed unless --strict), 1 errors found (a config its program would refuse is an error, not a crash), 2 usage errors.

--format json: {"findings": [{"rule", "ref", "severity", "file", "line", "message", "fix"?, "related"?}], "summary": {"errors", "warnings", "infos", "files"}}. github: workflow annotations. junit, sarif: for CI dashboards.`;

  static override examples = [
    '<%= config.bin %> lint configs/',
    '<%= config.bin %> lint configs/ --cluster cluster.yaml --explain',
    '<%= config.bin %> lint /etc/carbon/carbon.conf /opt/graphite/webapp/graphite/local_settings.py --env GRAPHITE_CARBONLINK_HOSTS=10.0.0.1:7002:a',
    '<%= config.bin %> lint configs/ --format github --strict',
    '<%= config.bin %> lint configs/ --format sarif > lint.sarif',
    '<%= config.bin %> lint --rules',
  ];

  static override strict = false;
  static override args = {
    path: Args.string({ description: 'Config files or directories (several allowed).', ignoreStdin: true }),
  };

  static override flags = {
    cluster: Flags.string({
      char: 'c',
      description: 'A ringshift cluster file: its ring is checked like a tool, its topology: section says how the files relate.',
    }),
    format: Flags.string({ char: 'f', description: 'Output format. [default: text]', options: [...LINT_FORMATS] }),
    strict: Flags.boolean({ description: 'Exit 1 on warnings too.', default: false }),
    explain: Flags.boolean({
      description: 'Print what was read and inferred (files, hosts, layout, which ring each webapp and tool must mirror).',
      default: false,
    }),
    rules: Flags.boolean({ description: 'List the rules and exit.', default: false }),
    env: Flags.string({
      description: 'NAME=VALUE for environment lookups in local_settings.py (and GRAPHITE_ROOT); repeatable.',
      multiple: true,
      // --env A=1 configs/ : the PATH after it is not another NAME=VALUE.
      multipleNonGreedy: true,
    }),
  };

  public async run(): Promise<void> {
    const { flags, argv } = await this.parse(Lint);
    const paths = argv as string[];
    const format: LintFormat = (flags.format as LintFormat | undefined) ?? (flags.json ? 'json' : 'text');
    if (flags.json && flags.format !== undefined && flags.format !== 'json') {
      throw new UsageError(`--json and --format ${flags.format} contradict each other`);
    }
    if (flags.rules) {
      process.stdout.write(format === 'json' ? ruleListJson() : ruleListText());
      return;
    }
    if (paths.length === 0) {
      throw new UsageError('nothing to lint: give config files or directories', { expected: 'ringshift lint PATH... (or --rules)' });
    }
    const env = parseEnv(flags.env ?? []);
    const { report, explain } = await lintPaths(paths, {
      cwd: process.cwd(),
      env,
      ...(flags.cluster !== undefined ? { cluster: flags.cluster } : {}),
    });
    if (flags.explain) {
      const text = explain.join('\n') + '\n';
      // Machine-readable output stays parseable: the explanation goes to stderr then.
      if (format === 'text') process.stdout.write(text + '\n');
      else process.stderr.write(text);
    }
    const color = format === 'text' && process.stdout.isTTY ? paint : undefined;
    process.stdout.write(formatReport(report, format, { rules: RULES, docsBase: DOCS_BASE, ...(color ? { color } : {}) }));
    process.exitCode = lintExitCode(report.summary, flags.strict);
  }
}

function paint(severity: Severity, text: string): string {
  return severity === 'error' ? chalk.red.bold(text) : severity === 'warning' ? chalk.yellow(text) : chalk.cyan(text);
}

function parseEnv(items: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env ${JSON.stringify(item)} is not NAME=VALUE`, { expected: '--env NAME=VALUE' });
    env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return env;
}

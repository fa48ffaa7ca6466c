import { Args, Flags } from '@oclif/core';
import chalk from 'chalk';
import { UsageError } from '../src/errors.js';
import { formatReport, LINT_FORMATS, type LintFormat } from '../src/lint/report-formats.js';
import { RULE_METAS } from '../src/lint/rule-catalogue.js';
import { ruleListJson, ruleListText } from '../src/lint/rules-list.js';
import { lintPaths } from '../src/lint/run.js';
import { FAIL_ON, lintExitCode, type FailOn, type Severity } from '../src/lint/lint-finding.js';
import { BaseCommand } from '../src/cli/base-command.js';

const DOCS_BASE = 'https://github.com/ringshift/ringshift/blob/main/docs/rules';

export default class Lint extends BaseCommand {
  static override summary = 'Check that the relays, webapps and tools of a Graphite cluster agree about where metrics live.';
  static override description = `Reads every config under the PATHs (files or directories): carbon.conf with relay-rules.conf, aggregation-rules.conf and rewrite-rules.conf, graphite-web local_settings.py, carbon-c-relay and carbon-relay-ng configs, carbonate.conf, buckyd command lines, go-carbon and carbonapi configs, storage-schemas.conf, and ringshift cluster files. It works out the layout (single-tier: one relay ring over all caches, each webapp mirrors its host's members; two-tier: a top relay picks the host, a per-host relay the instance) from the files and the directories they are in (a directory named after a ring member's host, or hosts/<name>/), or from the topology: section of a cluster file, and checks the consistency rules R1–R21 (docs/rules/, or --rules).

Ring disagreements are measured with the ring engine, exactly over the 16-bit keyspace where both rings hash to it.

Exit status: 0 nothing at or above the --fail-on severity (default: error), 1 something is (a config its program would refuse is an error, not a crash), 2 usage errors.

--json (= --format json) is NDJSON: one line per finding {"type":"finding","rule","ref","severity","file","line","message","fix"?,"edits"?,"related"?}, then {"type":"summary","errors","warnings","infos","files"}. "edits" is the fix as machine-applicable edits [{"file","line","column","old","new"}]: the text old, starting on that line, becomes new. github: workflow annotations. junit, sarif (fixes included): for CI dashboards. html: one self-contained page.`;

  static override examples = [
    '<%= config.bin %> lint configs/',
    '<%= config.bin %> lint configs/ --cluster cluster.yaml --explain',
    '<%= config.bin %> lint /etc/carbon/carbon.conf /opt/graphite/webapp/graphite/local_settings.py --env GRAPHITE_CARBONLINK_HOSTS=10.0.0.1:7002:a',
    '<%= config.bin %> lint configs/ --format github --fail-on warning',
    '<%= config.bin %> lint configs/ --json | jq -c \'select(.type == "finding") | .edits\'',
    '<%= config.bin %> lint configs/ --format sarif > lint.sarif',
    '<%= config.bin %> lint configs/ --format html > lint.html',
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
    format: Flags.string({ description: 'Output format (json is NDJSON, as --json). [default: text]', options: [...LINT_FORMATS] }),
    'fail-on': Flags.string({
      description: 'Exit 1 when there is a finding of this severity or a worse one (never: always exit 0). [default: error]',
      options: [...FAIL_ON],
    }),
    strict: Flags.boolean({
      description: 'Exit 1 on warnings too (= --fail-on warning).',
      hidden: true,
      deprecated: { to: 'fail-on', message: '--strict is deprecated: use --fail-on warning' },
    }),
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
    if (flags.strict && flags['fail-on'] !== undefined && flags['fail-on'] !== 'warning') {
      throw new UsageError(`--strict (= --fail-on warning) and --fail-on ${flags['fail-on']} contradict each other`);
    }
    const failOn: FailOn = (flags['fail-on'] as FailOn | undefined) ?? (flags.strict ? 'warning' : 'error');
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
    process.stdout.write(formatReport(report, format, { rules: RULE_METAS, docsBase: DOCS_BASE, ...(color ? { color } : {}) }));
    process.exitCode = lintExitCode(report.summary, failOn);
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

// carbon's rule files: relay-rules.conf (RELAY_METHOD = rules), aggregation-rules.conf (carbon-aggregator
// and the aggregated-consistent-hashing relay) and rewrite-rules.conf (carbon-aggregator), configs.md
// §1.6-1.8. Each rule keeps its line; what the program rejects at startup throws ConfigError.
import { ConfigError } from '../errors.js';
import { parseCarbonDestination } from '../ring/destination.js';
import { aggregateName } from '../ring/rule-routers.js';
import type { Destination } from '../ring/types.js';
import { DiagnosticSink, type ConfigDiagnostic } from './diagnostics.js';
import { iniGet, iniOption, lineAtOffset, parseIni, pyBoolean, splitLines, type IniFile, type IniOption } from './ini.js';
import { pyRegex } from './python/pyregex.js';
import { pyStrip } from './python/pytext.js';

// ---------------------------------------------------------------------------------------------------------
// relay-rules.conf

export interface RelayRuleDestination {
  text: string;
  line: number;
  destination: Destination;
}

export interface RelayRule {
  /** Section name. */
  name: string;
  line: number;
  /** Present for pattern rules; matched with re.I and search() (unanchored). */
  pattern?: { text: string; line: number; regex?: RegExp; error?: string };
  isDefault: boolean;
  continueMatching: boolean;
  destinations: RelayRuleDestination[];
}

export interface RelayRules {
  file: string;
  /** In evaluation order: pattern rules in file order, then the default rule. */
  rules: RelayRule[];
  /** Sections carbon ignores (`default = false`, or neither pattern nor default). */
  ignored: { name: string; line: number; reason: string }[];
  diagnostics: ConfigDiagnostic[];
}

/** loadRelayRules: throws ConfigError where carbon-relay refuses the file. */
export function parseRelayRules(text: string, file: string): RelayRules {
  const ini = parseIni(text, { file, interpolation: 'basic' });
  const sink = new DiagnosticSink(file);
  const rules: RelayRule[] = [];
  const ignored: RelayRules['ignored'] = [];
  let defaultRule: RelayRule | undefined;
  for (const section of ini.sections) {
    const name = section.name;
    const dest = iniOption(ini, name, 'destinations');
    if (dest === undefined) {
      throw new ConfigError(`section [${name}] does not define a 'destinations' list`, {
        file,
        line: section.line,
        expected: 'destinations = host:port[:instance], ...',
      });
    }
    const destinations = ruleDestinations(ini, name, dest);
    const patternOpt = iniOption(ini, name, 'pattern');
    const defaultOpt = iniOption(ini, name, 'default');
    if (patternOpt !== undefined) {
      if (defaultOpt !== undefined) {
        throw new ConfigError(`section [${name}] contains both 'pattern' and 'default'`, {
          file,
          line: defaultOpt.line,
          expected: 'one or the other',
        });
      }
      const patternText = iniGet(ini, name, 'pattern')!;
      const compiled = pyRegex(patternText, 'i');
      const pattern: RelayRule['pattern'] = { text: patternText, line: patternOpt.line };
      if (compiled.regex) pattern.regex = compiled.regex;
      else {
        if (compiled.error !== undefined) pattern.error = compiled.error;
        sink.warn('regex-unverified', patternOpt.line, `pattern of [${name}] could not be checked: ${compiled.error}`, { section: name });
      }
      const cont = iniOption(ini, name, 'continue');
      rules.push({
        name,
        line: section.line,
        pattern,
        isDefault: false,
        continueMatching: cont === undefined ? false : boolOption(ini, name, cont),
        destinations,
      });
      continue;
    }
    if (defaultOpt === undefined) {
      ignored.push({ name, line: section.line, reason: 'neither pattern nor default' });
      sink.warn('ignored-rule', section.line, `section [${name}] has neither 'pattern' nor 'default'; carbon ignores it`, {
        section: name,
      });
      continue;
    }
    if (!boolOption(ini, name, defaultOpt)) {
      ignored.push({ name, line: section.line, reason: 'default = false' });
      continue;
    }
    if (defaultRule !== undefined) {
      throw new ConfigError(`only one default rule can be specified (the first is [${defaultRule.name}] at line ${defaultRule.line})`, {
        file,
        line: section.line,
        expected: "exactly one section with 'default = true'",
      });
    }
    defaultRule = { name, line: section.line, isDefault: true, continueMatching: false, destinations };
  }
  if (defaultRule === undefined) {
    throw new ConfigError('no default rule defined', {
      file,
      expected: "exactly one section with 'default = true' instead of a pattern",
    });
  }
  rules.push(defaultRule);
  return { file, rules, ignored, diagnostics: sink.items };
}

function boolOption(ini: IniFile, section: string, opt: IniOption): boolean {
  const v = iniGet(ini, section, opt.key)!;
  const b = pyBoolean(v);
  if (b === undefined) {
    throw new ConfigError(`${opt.rawKey} = ${JSON.stringify(v)} in [${section}] is not a boolean`, {
      file: ini.file,
      line: opt.line,
      expected: '1/yes/true/on or 0/no/false/off',
    });
  }
  return b;
}

function ruleDestinations(ini: IniFile, section: string, opt: IniOption): RelayRuleDestination[] {
  const value = iniGet(ini, section, opt.key)!;
  const out: RelayRuleDestination[] = [];
  let offset = 0;
  for (const piece of value.split(',')) {
    const text = pyStrip(piece);
    const line = value === opt.raw ? lineAtOffset(opt, offset + (piece.length - piece.trimStart().length)) : opt.line;
    offset += piece.length + 1;
    if (text === '') {
      throw new ConfigError(`empty item in the destinations of [${section}] (a stray or trailing comma?)`, {
        file: ini.file,
        line,
        expected: 'host:port[:instance] between commas',
      });
    }
    out.push({ text, line, destination: parseCarbonDestination(text, { file: ini.file, line }) });
  }
  return out;
}

/** The destinations carbon's RelayRulesRouter yields for a metric (before filtering by DESTINATIONS). */
export function relayRuleDestinations(rules: RelayRules, metric: string): RelayRuleDestination[] {
  const out: RelayRuleDestination[] = [];
  for (const rule of rules.rules) {
    const hit = rule.isDefault || (rule.pattern?.regex !== undefined && rule.pattern.regex.test(metric));
    if (!hit) continue;
    out.push(...rule.destinations);
    if (!rule.continueMatching) break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// aggregation-rules.conf

export const AGGREGATION_METHODS = ['sum', 'avg', 'min', 'max', 'p50', 'p75', 'p80', 'p90', 'p95', 'p99', 'p999', 'count'] as const;

export interface AggregationRule {
  line: number;
  text: string;
  output: string;
  frequency: number;
  method: string;
  input: string;
  /** carbon's build_regex translated to JS (sticky: anchored at the start like match(), `$` at the end). */
  regex?: RegExp;
  regexError?: string;
}

export interface AggregationRules {
  file: string;
  rules: AggregationRule[];
  diagnostics: ConfigDiagnostic[];
}

const AGG_SYNTAX = 'output_template (frequency) = method input_pattern';

/** RuleManager.read_rules: throws ConfigError on a line carbon cannot parse (it raises at startup). */
export function parseAggregationRules(text: string, file: string): AggregationRules {
  const sink = new DiagnosticSink(file);
  const rules: AggregationRule[] = [];
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = pyStrip(lines[i]!);
    if (line === '' || line.startsWith('#')) continue;
    const ctx = { file, line: i + 1, expected: AGG_SYNTAX };
    const eq = line.indexOf('=');
    if (eq < 0) throw new ConfigError(`aggregation rule without '=': ${JSON.stringify(line)}`, ctx);
    const left = pyStrip(line.slice(0, eq))
      .split(/\s+/)
      .filter((x) => x !== '');
    const right = pyStrip(line.slice(eq + 1))
      .split(/\s+/)
      .filter((x) => x !== '');
    if (left.length !== 2 || right.length !== 2) throw new ConfigError(`cannot parse aggregation rule ${JSON.stringify(line)}`, ctx);
    const [output, freqText] = left as [string, string];
    const [method, input] = right as [string, string];
    const freq = freqText.replace(/^\(+/, '').replace(/\)+$/, '');
    if (!/^[+-]?[0-9]+$/.test(freq)) throw new ConfigError(`frequency ${JSON.stringify(freqText)} is not an integer`, ctx);
    if (!(AGGREGATION_METHODS as readonly string[]).includes(method)) {
      throw new ConfigError(`invalid aggregation method ${JSON.stringify(method)}`, { ...ctx, expected: AGGREGATION_METHODS.join(', ') });
    }
    const rule: AggregationRule = { line: i + 1, text: line, output, frequency: Number(freq), method, input };
    // match() anchors at the start only: the sticky flag does the same from lastIndex 0.
    const compiled = pyRegex(aggregationRegex(input), 'y');
    if (compiled.regex) rule.regex = compiled.regex;
    else {
      if (compiled.error !== undefined) rule.regexError = compiled.error;
      sink.warn('regex-unverified', i + 1, `input pattern ${input} could not be checked: ${compiled.error}`);
    }
    checkOutputTemplate(rule, sink);
    rules.push(rule);
  }
  return { file, rules, diagnostics: sink.items };
}

/** Output names carbon can never format: `<<f>>` (becomes %(%(f)s)s) or fields the input does not capture. */
function checkOutputTemplate(rule: AggregationRule, sink: DiagnosticSink): void {
  if (rule.output.includes('<<')) {
    sink.warn(
      'aggregation-output-template',
      rule.line,
      `output ${rule.output}: carbon turns <<field>> into %(%(field)s)s, which never formats, so this rule produces no aggregate (write <field> in the output)`,
      { output: rule.output },
    );
    return;
  }
  const captured = new Set([...rule.input.matchAll(/<<?([^<>]+)>>?/g)].map((m) => m[1]!));
  const missing = [...rule.output.matchAll(/<([^<>]+)>/g)].map((m) => m[1]!).filter((f) => !captured.has(f));
  if (missing.length > 0) {
    sink.warn(
      'aggregation-output-template',
      rule.line,
      `output ${rule.output} uses <${missing.join('>, <')}>, which the input pattern does not capture: the rule produces no aggregate`,
      {
        output: rule.output,
        missing,
      },
    );
  }
}

/** carbon's AggregationRule.build_regex (configs.md §1.7), as a Python pattern used with match(). */
export function aggregationRegex(input: string): string {
  const parts = input.split('.').map((part) => {
    const ll = part.indexOf('<<');
    const rr = part.indexOf('>>');
    if (ll >= 0 && rr >= 0) return `${part.slice(0, ll)}(?P<${part.slice(ll + 2, rr)}>.+?)${part.slice(rr + 2)}`;
    const l = part.indexOf('<');
    const r = part.indexOf('>');
    if (l > -1 && r > l) return `${part.slice(0, l)}(?P<${part.slice(l + 1, r)}>[^.]+?)${part.slice(r + 1)}`;
    if (part === '*') return '[^.]+';
    return part.replaceAll('*', '[^.]*');
  });
  return parts.join('\\.') + '$';
}

/** get_aggregate_metric: the aggregate a metric feeds, or null when the rule does not match it. */
export function aggregateMetricName(rule: AggregationRule, metric: string): string | null {
  const name = aggregateName({ line: rule.line, text: rule.text, regex: rule.regex, output: rule.output }, metric);
  return typeof name === 'string' ? name : null;
}

/** The names the aggregated-consistent-hashing relay hashes for a metric (the metric itself if no rule matches). */
export function aggregatedRoutingKeys(rules: AggregationRules, metric: string): string[] {
  const keys: string[] = [];
  for (const r of rules.rules) {
    const name = aggregateMetricName(r, metric);
    if (name !== null && name !== '') keys.push(name);
  }
  return keys.length > 0 ? keys : [metric];
}

// ---------------------------------------------------------------------------------------------------------
// rewrite-rules.conf

export interface RewriteRule {
  line: number;
  section: string;
  pattern: string;
  replacement: string;
  regex?: RegExp;
}

export interface RewriteRules {
  file: string;
  /** Rules by section (lowercased header): pre rules apply on arrival, post rules after aggregation. */
  sections: Map<string, RewriteRule[]>;
  diagnostics: ConfigDiagnostic[];
}

/** lib/carbon/rewrite.py's line parser. */
export function parseRewriteRules(text: string, file: string): RewriteRules {
  const sink = new DiagnosticSink(file);
  const sections = new Map<string, RewriteRule[]>();
  let section: string | null = null;
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = pyStrip(lines[i]!);
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[') && line.endsWith(']')) {
      section = line.slice(1, -1).toLowerCase();
      if (section !== 'pre' && section !== 'post') {
        sink.warn('unknown-section', i + 1, `section [${section}] is neither [pre] nor [post]; carbon never applies its rules`, {
          section,
        });
      }
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) {
      throw new ConfigError(`rewrite rule without '=': ${JSON.stringify(line)}`, { file, line: i + 1, expected: 'regex = replacement' });
    }
    if (section === null) {
      throw new ConfigError('rewrite rule before any [pre] or [post] section', { file, line: i + 1, expected: '[pre] or [post] first' });
    }
    const pattern = pyStrip(line.slice(0, eq));
    const replacement = pyStrip(line.slice(eq + 1));
    const rule: RewriteRule = { line: i + 1, section, pattern, replacement };
    const compiled = pyRegex(pattern);
    if (compiled.regex) rule.regex = compiled.regex;
    else
      sink.warn(
        'regex-unverified',
        i + 1,
        `rewrite pattern could not be checked (carbon skips rules that do not compile): ${compiled.error}`,
      );
    if (!sections.has(section)) sections.set(section, []);
    sections.get(section)!.push(rule);
  }
  return { file, sections, diagnostics: sink.items };
}

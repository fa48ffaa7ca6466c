// The --map file of `ringshift rename` (bucky backfill's old→new list, plus regular expressions), read
// and checked as a whole before anything is scanned: a line that says nothing sensible, a name renamed
// twice, a rename to itself, or a chain (a new name that is renamed again, which would make the result
// depend on the order the renames run in) is refused with one line naming FILE:LINE. Syntax (one rule
// a line; fields are separated by white space, which carbon never lets into a metric name):
//   old.name new.name                      a literal rename
//   re:^servers\.(\w+)\.cpu$ hosts.$1.cpu  a JavaScript regular expression matched against the WHOLE
//                                          name (as if between ^ and $) and its replacement: $1…$99,
//                                          $<name> (named groups), $$ for a literal '$'
//   # a comment, blank lines               ignored; a third field starting with '#' is a comment too
import * as fs from 'node:fs';
import { ConfigError } from '../errors.js';

export interface RenameRule {
  /** 1-based line in the map file. */
  line: number;
  /** The literal old name, or the regular expression's source as written (without `re:`). */
  old: string;
  /** The new name, or the replacement pattern of a regular expression. */
  replacement: string;
  /** Present for `re:` rules: anchored to the whole name. */
  re?: RegExp;
}

/** What one old name becomes, and the rule that said so. */
export interface RenameTarget {
  name: string;
  rule: RenameRule;
}

const REGEX_PREFIX = 're:';

/** Why `s` cannot be a plain metric name, or null. Tagged series (`;`) are not renamed: their path is a hash of the tags. */
export function metricNameProblem(s: string): string | null {
  if (s === '') return 'an empty name';
  if (s.includes(';')) return 'a tagged series (tagged names are not renamed)';
  if (s.includes('/')) return "a name with '/' (carbon would store it as another name)";
  if (/[\0-\x1f\x7f]/.test(s)) return 'a control character in the name';
  if (s.startsWith('.') || s.endsWith('.') || s.includes('..')) return 'an empty path component (a leading, trailing or doubled dot)';
  return null;
}

export class RenameMap {
  private readonly literal = new Map<string, RenameRule>();
  private readonly regexes: RenameRule[] = [];

  private constructor(readonly file: string) {}

  /** Every rule, in file order. */
  get rules(): RenameRule[] {
    return [...this.literal.values(), ...this.regexes].sort((a, b) => a.line - b.line);
  }

  get hasRegex(): boolean {
    return this.regexes.length > 0;
  }

  /** The literal old names (they can be looked up without a scan). */
  literalNames(): string[] {
    return [...this.literal.keys()];
  }

  static read(file: string): RenameMap {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read the rename map: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        file,
        expected: 'a file of "OLD NEW" lines',
      });
    }
    return RenameMap.parse(text, file);
  }

  static parse(text: string, file: string): RenameMap {
    const map = new RenameMap(file);
    const lines = text.split('\n');
    lines.forEach((raw, i) => {
      const line = i + 1;
      const fields = raw.trim().split(/\s+/);
      if (fields[0] === '' || fields[0]!.startsWith('#')) return;
      const commentAt = fields.findIndex((f, k) => k >= 2 && f.startsWith('#'));
      if (commentAt >= 0) fields.length = commentAt;
      if (fields.length !== 2)
        map.fail(
          line,
          `${fields.length === 1 ? 'a rule without a new name' : `${fields.length} fields`}`,
          'OLD NEW or re:REGEX REPLACEMENT',
        );
      const [old, replacement] = fields as [string, string];
      if (old.startsWith(REGEX_PREFIX)) map.addRegex(line, old.slice(REGEX_PREFIX.length), replacement);
      else map.addLiteral(line, old, replacement);
    });
    map.checkChains();
    return map;
  }

  private fail(line: number, message: string, expected: string): never {
    throw new ConfigError(message, { file: this.file, line, expected });
  }

  private addLiteral(line: number, old: string, replacement: string): void {
    const bad = metricNameProblem(old);
    if (bad !== null) this.fail(line, `old name ${JSON.stringify(old)}: ${bad}`, 'OLD NEW with plain metric names');
    const badNew = metricNameProblem(replacement);
    if (badNew !== null) this.fail(line, `new name ${JSON.stringify(replacement)}: ${badNew}`, 'OLD NEW with plain metric names');
    if (old === replacement) this.fail(line, `${old} is renamed to itself`, 'a new name that differs from the old one');
    const earlier = this.literal.get(old);
    if (earlier !== undefined) this.fail(line, `${old} is already renamed at line ${earlier.line}`, 'each old name once');
    this.literal.set(old, { line, old, replacement });
  }

  private addRegex(line: number, source: string, replacement: string): void {
    if (source === '') this.fail(line, 'an empty regular expression', 're:REGEX REPLACEMENT');
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${source})$`);
    } catch (err) {
      this.fail(line, `not a regular expression: ${(err as Error).message}`, 're:REGEX REPLACEMENT (JavaScript syntax)');
    }
    const groups = new RegExp(`${source}|`).exec('')!.length - 1;
    const named = new Set([...source.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1]!));
    for (const m of replacement.matchAll(/\$(\$|<([^>]*)>|(\d{1,2})|.?)/g)) {
      if (m[1] === '$') continue;
      if (m[2] !== undefined) {
        if (!named.has(m[2])) this.fail(line, `the replacement uses $<${m[2]}>, the expression has no group of that name`, 'a named group');
      } else if (m[3] !== undefined) {
        const n = Number(m[3]);
        if (n === 0 || n > groups)
          this.fail(
            line,
            `the replacement uses $${m[3]}, the expression has ${groups} group${groups === 1 ? '' : 's'}`,
            '$1…$N, one per group',
          );
      } else this.fail(line, "a '$' in the replacement that is not $1…$99, $<name> or $$", '$1…$N, $<name>, or $$ for a literal $');
    }
    this.regexes.push({ line, old: source, replacement, re });
  }

  /** A literal new name that some rule renames again: a chain (or, closing on itself, a cycle). */
  private checkChains(): void {
    for (const rule of this.literal.values()) {
      const again = this.ruleFor(rule.replacement);
      if (again !== null) this.chainError(rule, rule.replacement, again);
    }
  }

  private chainError(rule: RenameRule, name: string, again: RenameRule): never {
    this.fail(
      rule.line,
      `${name} is renamed again by line ${again.line} (a chain or a cycle)`,
      'each new name final: map every old name straight to its last name, or rename in two runs',
    );
  }

  /** The one rule matching `name`, or null; a name two rules match is refused. */
  private ruleFor(name: string): RenameRule | null {
    const hits: RenameRule[] = [];
    const lit = this.literal.get(name);
    if (lit !== undefined) hits.push(lit);
    for (const r of this.regexes) if (r.re!.test(name)) hits.push(r);
    if (hits.length > 1) {
      hits.sort((a, b) => a.line - b.line);
      this.fail(hits[1]!.line, `${name} is matched by line ${hits[0]!.line} and line ${hits[1]!.line}`, 'one rule per old name');
    }
    return hits[0] ?? null;
  }

  /** What `name` becomes, or null when no rule names it. Refuses an ambiguous name, a bad result and a chain. */
  target(name: string): RenameTarget | null {
    const rule = this.ruleFor(name);
    if (rule === null) return null;
    if (rule.re === undefined) return { name: rule.replacement, rule };
    const result = name.replace(rule.re, rule.replacement);
    const bad = metricNameProblem(result);
    if (bad !== null)
      this.fail(rule.line, `${name} becomes ${JSON.stringify(result)}: ${bad}`, 'a replacement that gives a plain metric name');
    if (result === name) this.fail(rule.line, `${name} is renamed to itself`, 'a new name that differs from the old one');
    const again = this.ruleFor(result);
    if (again !== null) this.chainError(rule, `${name} → ${result}`, again);
    return { name: result, rule };
  }
}

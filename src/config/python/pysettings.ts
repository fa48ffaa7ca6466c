// graphite-web local_settings.py, read without executing Python (configs.md §3): top-level assignments
// with their lines, evaluated by a safe subset evaluator. Environment lookups come from a supplied map,
// else their default, and are recorded; `if` bodies run only when the condition is known, assignments in
// undecidable blocks are reported as conditional; whatever cannot be evaluated is Unknown(reason, line).
import { ConfigError } from '../../errors.js';
import { parseCarbonDestination } from '../../ring/destination.js';
import { makeRingSpec } from '../../ring/spec.js';
import type { Destination, HashType, RingSpec } from '../../ring/types.js';
import { DiagnosticSink, type ConfigDiagnostic } from '../diagnostics.js';
import { evaluate, importsKnownRef, type Binding, type EvalContext } from './pyeval.js';
import { ExprParser, ParseFail, type Expr } from './pyparse.js';
import { pyJoin } from './pytext.js';
import { tokenizePython, type LogicalLine, type Tok } from './pytokenize.js';
import { pyRepr } from './pyvalue-repr.js';
import { isUnknown, NONE, str, truthy, unknown, type EnvUse, type PyValue } from './pyvalue.js';

export type { EnvUse, PyValue } from './pyvalue.js';

export interface ConditionNote {
  /** Line of the `if`/`try`/`for`/... header. */
  line: number;
  kind: string;
  /** true: the condition was evaluated and this branch ran; false: undecidable. */
  decided: boolean;
  /** Why undecided, or what the decision depended on. */
  reason?: string;
}

export interface PyAssignment {
  line: number;
  value: PyValue;
  env: EnvUse[];
  /** Set when the assignment sits inside a block (if/else/try/for/with). */
  condition?: ConditionNote;
  augmented?: boolean;
}

export interface PySetting {
  name: string;
  /** Effective value: the last assignment that certainly ran (or an Unknown). */
  value: PyValue;
  /** Line of the assignment that produced `value`. */
  line: number;
  /** Environment reads the value depends on (empty = not env-dependent). */
  env: EnvUse[];
  /** Every assignment, in order. */
  assignments: PyAssignment[];
  /** Assignments in undecidable blocks after the effective one: they may override it at run time. */
  conditionalOverrides: PyAssignment[];
}

export interface PySettingsFile {
  file: string;
  settings: Map<string, PySetting>;
  imports: { module: string; names: string[]; line: number }[];
  /** `from X import *` lines: after one, an undefined name is not necessarily a NameError. */
  starImports: { module: string; line: number; conditional: boolean }[];
  /** Blocks whose bodies were not evaluated (def/class) or only conditionally (if/try/for/with). */
  blocks: { line: number; kind: string; decided: boolean; reason?: string }[];
  diagnostics: ConfigDiagnostic[];
}

export interface PySettingsOptions {
  file: string;
  /** Environment to use for os.environ lookups (never process.env implicitly). */
  env?: Readonly<Record<string, string>>;
  /** Module name for `__name__` (default graphite.local_settings). */
  moduleName?: string;
}

/** graphite-web's settings.py defaults for the settings ringshift uses (before its `if not X:` fill-ins). */
export const GRAPHITE_WEB_DEFAULTS: ReadonlyMap<string, PyValue> = new Map<string, PyValue>([
  ['CARBONLINK_HOSTS', { t: 'list', items: [str('127.0.0.1:7002')] }],
  ['CARBONLINK_HASHING_TYPE', str('carbon_ch')],
  ['CARBONLINK_HASHING_KEYFUNC', NONE],
  ['CARBONLINK_TIMEOUT', { t: 'float', v: 1 }],
  ['CARBONLINK_RETRY_DELAY', { t: 'int', v: 15n }],
  ['CARBONLINK_PICKLE_PROTOCOL', { t: 'int', v: -1n }],
  ['REPLICATION_FACTOR', { t: 'int', v: 1n }],
  ['CARBON_METRIC_PREFIX', str('carbon')],
  ['CLUSTER_SERVERS', { t: 'list', items: [] }],
  ['REMOTE_EXCLUDE_LOCAL', { t: 'bool', v: false }],
  ['REMOTE_STORE_MERGE_RESULTS', { t: 'bool', v: true }],
  ['INTRACLUSTER_HTTPS', { t: 'bool', v: false }],
  ['USE_WORKER_POOL', { t: 'bool', v: true }],
  ['REMOTE_RETRY_DELAY', { t: 'float', v: 60 }],
  ['FIND_TIMEOUT', NONE],
  ['FETCH_TIMEOUT', NONE],
  ['STORAGE_DIR', str('')],
  ['WHISPER_DIR', str('')],
  ['CERES_DIR', str('')],
  ['RRD_DIR', str('')],
  ['STANDARD_DIRS', { t: 'list', items: [] }],
  ['LOG_DIR', str('')],
  ['CONF_DIR', str('')],
  ['INDEX_FILE', str('')],
  [
    'STORAGE_FINDERS',
    { t: 'tuple', items: [str('graphite.finders.remote.RemoteFinder'), str('graphite.finders.standard.StandardFinder')] },
  ],
  ['TAGDB', str('graphite.tags.localdatabase.LocalDatabaseTagDB')],
  ['URL_PREFIX', str('')],
  ['SECRET_KEY', str('UNSAFE_DEFAULT')],
]);

// ---------------------------------------------------------------------------------------------------------
// Statements

type Stmt =
  | { k: 'simple'; line: number; toks: Tok[] }
  | { k: 'if'; line: number; branches: { line: number; cond: Tok[] | null; body: Stmt[] }[] }
  | { k: 'block'; kw: string; line: number; header: Tok[]; bodies: { kw: string; line: number; body: Stmt[] }[] };

const COMPOUND = new Set(['if', 'elif', 'else', 'try', 'except', 'finally', 'for', 'while', 'with', 'def', 'class', 'async', 'match']);

function buildStatements(lines: LogicalLine[], file: string): Stmt[] {
  const fail = (msg: string, line: number): never => {
    throw new ConfigError(`Python syntax error: ${msg}`, {
      file,
      line,
      expected: 'a Python module that imports (graphite-web would not start)',
    });
  };
  let i = 0;

  const splitSimple = (toks: Tok[]): Stmt[] => {
    const out: Stmt[] = [];
    let start = 0;
    let depth = 0;
    for (let j = 0; j <= toks.length; j++) {
      const t = toks[j];
      if (t && t.kind === 'op' && '([{'.includes(t.text)) depth++;
      if (t && t.kind === 'op' && ')]}'.includes(t.text)) depth--;
      if (j === toks.length || (depth === 0 && t!.kind === 'op' && t!.text === ';')) {
        if (j > start) out.push({ k: 'simple', line: toks[start]!.line, toks: toks.slice(start, j) });
        start = j + 1;
      }
    }
    return out;
  };

  /** Header of a compound line: tokens up to the ':' at depth 0, and the inline body after it. */
  const header = (ln: LogicalLine): { head: Tok[]; inline: Tok[] } => {
    let depth = 0;
    let lambdas = 0;
    for (let j = 0; j < ln.tokens.length; j++) {
      const t = ln.tokens[j]!;
      if (t.kind === 'name' && t.text === 'lambda') lambdas++;
      if (t.kind !== 'op') continue;
      if ('([{'.includes(t.text)) depth++;
      else if (')]}'.includes(t.text)) depth--;
      else if (t.text === ':' && depth === 0) {
        if (lambdas > 0) {
          lambdas--;
          continue;
        }
        return { head: ln.tokens.slice(1, j), inline: ln.tokens.slice(j + 1) };
      }
    }
    return fail(`expected ':' after ${ln.tokens[0]!.text}`, ln.line);
  };

  const body = (ln: LogicalLine, inline: Tok[]): Stmt[] => {
    i++;
    if (inline.length > 0) return splitSimple(inline);
    const next = lines[i];
    if (next === undefined || next.indent <= ln.indent)
      return fail(`expected an indented block after line ${ln.line}`, next?.line ?? ln.line);
    return block(next.indent);
  };

  const kwOf = (ln: LogicalLine | undefined): string | undefined => {
    const t = ln?.tokens[0];
    return t?.kind === 'name' && COMPOUND.has(t.text) ? t.text : undefined;
  };

  const block = (indent: number): Stmt[] => {
    const out: Stmt[] = [];
    while (i < lines.length) {
      const ln = lines[i]!;
      if (ln.indent < indent) break;
      if (ln.indent > indent) fail('unexpected indent', ln.line);
      let kw = kwOf(ln);
      if (kw === 'match' && !(ln.tokens[ln.tokens.length - 1]?.text === ':')) kw = undefined; // `match` is a soft keyword
      if (kw === 'async') kw = ln.tokens[1]?.text;
      if (kw === undefined) {
        out.push(...splitSimple(ln.tokens));
        i++;
        continue;
      }
      if (kw === 'elif' || kw === 'else' || kw === 'except' || kw === 'finally') fail(`'${kw}' without a matching block`, ln.line);
      if (kw === 'if') {
        const branches: { line: number; cond: Tok[] | null; body: Stmt[] }[] = [];
        const h = header(ln);
        branches.push({ line: ln.line, cond: h.head, body: body(ln, h.inline) });
        for (;;) {
          const nx = lines[i];
          const nk = kwOf(nx);
          if (nx === undefined || nx.indent !== indent || (nk !== 'elif' && nk !== 'else')) break;
          const hh = header(nx);
          branches.push({ line: nx.line, cond: nk === 'elif' ? hh.head : null, body: body(nx, hh.inline) });
          if (nk === 'else') break;
        }
        out.push({ k: 'if', line: ln.line, branches });
        continue;
      }
      const h = header(ln);
      const bodies = [{ kw: kw!, line: ln.line, body: body(ln, h.inline) }];
      const followers = kw === 'try' ? ['except', 'else', 'finally'] : kw === 'for' || kw === 'while' ? ['else'] : [];
      for (;;) {
        const nx = lines[i];
        const nk = kwOf(nx);
        if (nx === undefined || nx.indent !== indent || nk === undefined || !followers.includes(nk)) break;
        const hh = header(nx);
        bodies.push({ kw: nk, line: nx.line, body: body(nx, hh.inline) });
      }
      out.push({ k: 'block', kw: kw!, line: ln.line, header: h.head, bodies });
    }
    return out;
  };

  if (lines.length > 0 && lines[0]!.indent > 0) fail('unexpected indent', lines[0]!.line);
  const stmts = block(0);
  if (i < lines.length) fail('unindent does not match any outer indentation level', lines[i]!.line);
  return stmts;
}

// ---------------------------------------------------------------------------------------------------------
// Execution

interface State {
  bindings: Map<string, Binding>;
  settings: Map<string, PySetting>;
  out: PySettingsFile;
  sink: DiagnosticSink;
  env: Readonly<Record<string, string>>;
  /** Set once a star import happened (names may come from it). */
  starImport: { module: string; line: number } | null;
  /** Defaults visible because of `from graphite.settings import *`. */
  graphiteDefaults: boolean;
  /** Names bound by import statements (modules and imported objects are not settings). */
  imported: Set<string>;
}

interface Cond {
  note: ConditionNote;
  env: EnvUse[];
}

export function parsePySettings(text: string, opts: PySettingsOptions): PySettingsFile {
  const file = opts.file;
  const stmts = buildStatements(tokenizePython(text, file), file);
  const sink = new DiagnosticSink(file);
  const out: PySettingsFile = { file, settings: new Map(), imports: [], starImports: [], blocks: [], diagnostics: sink.items };
  const st: State = {
    bindings: new Map(),
    settings: out.settings,
    out,
    sink,
    env: opts.env ?? {},
    starImport: null,
    graphiteDefaults: false,
    imported: new Set(),
  };
  st.bindings.set('__name__', { value: str(opts.moduleName ?? 'graphite.local_settings'), env: [], line: 0 });
  execBlock(stmts, st, null);
  return out;
}

function ctxFor(st: State, uses: EnvUse[]): EvalContext {
  return {
    lookup: (name) => st.bindings.get(name),
    env: st.env,
    uses,
    undefinedName: (name, line) => {
      if (st.graphiteDefaults && GRAPHITE_WEB_DEFAULTS.has(name)) return GRAPHITE_WEB_DEFAULTS.get(name)!;
      if (st.starImport)
        return unknown(
          `${name} is not assigned earlier in this file (it may come from 'from ${st.starImport.module} import *' at line ${st.starImport.line})`,
          line,
        );
      return unknown(`${name} is not defined earlier in this file (NameError when graphite-web imports it)`, line);
    },
  };
}

function parseExpr(toks: Tok[]): Expr {
  const line = toks[0]?.line ?? 0;
  if (toks.length === 0) return { k: 'unsupported', what: 'empty expression', line };
  try {
    const p = new ExprParser(toks);
    const e = p.exprList();
    if (!p.done()) return { k: 'unsupported', what: `expression syntax near '${p.peek()!.text}'`, line };
    return e;
  } catch (err) {
    if (err instanceof ParseFail) return { k: 'unsupported', what: `expression (${err.message})`, line };
    throw err;
  }
}

function execBlock(stmts: Stmt[], st: State, cond: Cond | null): void {
  for (const s of stmts) {
    if (s.k === 'simple') execSimple(s, st, cond);
    else if (s.k === 'if') execIf(s, st, cond);
    else execCompound(s, st, cond);
  }
}

function execIf(s: Extract<Stmt, { k: 'if' }>, st: State, outer: Cond | null): void {
  let undecidedFrom: string | null = outer !== null && !outer.note.decided ? (outer.note.reason ?? 'enclosing block') : null;
  const condEnv: EnvUse[] = [...(outer?.env ?? [])];
  for (const br of s.branches) {
    const kind = br.cond === null ? 'else' : br === s.branches[0] ? 'if' : 'elif';
    if (undecidedFrom !== null) {
      const note: ConditionNote = { line: br.line, kind, decided: false, reason: undecidedFrom };
      st.out.blocks.push({ line: br.line, kind, decided: false, reason: undecidedFrom });
      execBlock(br.body, st, { note, env: condEnv });
      continue;
    }
    if (br.cond === null) {
      const note: ConditionNote = { line: br.line, kind, decided: true, reason: 'no earlier condition was true' };
      st.out.blocks.push({ line: br.line, kind, decided: true });
      execBlock(br.body, st, { note, env: condEnv });
      return;
    }
    const uses: EnvUse[] = [];
    const v = evaluate(parseExpr(br.cond), ctxFor(st, uses), undefined);
    condEnv.push(...uses);
    const b = truthy(v);
    if (b === undefined) {
      undecidedFrom = `condition at line ${br.line} cannot be evaluated: ${isUnknown(v) ? v.reason : 'unknown truth value'}`;
      const note: ConditionNote = { line: br.line, kind, decided: false, reason: undecidedFrom };
      st.out.blocks.push({ line: br.line, kind, decided: false, reason: undecidedFrom });
      execBlock(br.body, st, { note, env: condEnv });
      continue;
    }
    st.out.blocks.push({ line: br.line, kind, decided: true });
    if (b) {
      execBlock(br.body, st, { note: { line: br.line, kind, decided: true }, env: condEnv });
      return;
    }
  }
}

function execCompound(s: Extract<Stmt, { k: 'block' }>, st: State, outer: Cond | null): void {
  if (s.kw === 'def' || s.kw === 'class') {
    const name = s.header[0]?.kind === 'name' ? s.header[0].text : undefined;
    st.out.blocks.push({ line: s.line, kind: s.kw, decided: false, reason: `${s.kw} body is not evaluated` });
    if (name !== undefined) bind(st, name, unknown(`${name} is a ${s.kw === 'def' ? 'function' : 'class'}`, s.line), [], s.line, outer);
    return;
  }
  const reason =
    s.kw === 'try'
      ? `try block at line ${s.line}: which branches run depends on exceptions`
      : `${s.kw} block at line ${s.line} is not evaluated`;
  for (const b of s.bodies) {
    const note: ConditionNote = { line: b.line, kind: b.kw, decided: false, reason };
    st.out.blocks.push({ line: b.line, kind: b.kw, decided: false, reason });
    if (s.kw === 'for' && b.kw === 'for') {
      const target = s.header[0];
      if (target?.kind === 'name')
        bind(st, target.text, unknown(`loop variable of the for at line ${s.line}`, s.line), [], s.line, { note, env: [] });
    }
    execBlock(b.body, st, { note, env: outer?.env ?? [] });
  }
}

function execSimple(s: Extract<Stmt, { k: 'simple' }>, st: State, cond: Cond | null): void {
  const toks = s.toks;
  const first = toks[0]!;
  if (first.kind === 'name' && (first.text === 'import' || first.text === 'from')) return execImport(toks, st, cond);
  if (
    first.kind === 'name' &&
    ['pass', 'global', 'nonlocal', 'assert', 'raise', 'return', 'break', 'continue', 'print'].includes(first.text)
  ) {
    if (first.text !== 'print' || toks[1]?.text === '(') return;
  }
  if (first.kind === 'name' && first.text === 'del') {
    for (const t of toks.slice(1)) if (t.kind === 'name') st.bindings.delete(t.text);
    return;
  }
  // Split `a = b = expr` at top-level '=' and find augmented assignment.
  const eqs: number[] = [];
  let aug: { at: number; op: string } | null = null;
  let depth = 0;
  for (let j = 0; j < toks.length; j++) {
    const t = toks[j]!;
    if (t.kind !== 'op') continue;
    if ('([{'.includes(t.text)) depth++;
    else if (')]}'.includes(t.text)) depth--;
    else if (depth === 0 && t.text === '=') eqs.push(j);
    else if (depth === 0 && aug === null && eqs.length === 0 && /^(\+|-|\*|\/|\/\/|%|\*\*|\||&|\^|>>|<<|@)=$/.test(t.text))
      aug = { at: j, op: t.text.slice(0, -1) };
  }
  if (aug !== null) {
    const target = toks.slice(0, aug.at);
    const uses: EnvUse[] = [];
    const rhs = parseExpr(toks.slice(aug.at + 1));
    if (target.length === 1 && target[0]!.kind === 'name') {
      const name = target[0]!.text;
      const v = evaluate(
        { k: 'bin', op: aug.op, l: { k: 'name', id: name, line: s.line }, r: rhs, line: s.line },
        ctxFor(st, uses),
        undefined,
      );
      bind(st, name, v, uses, s.line, cond, true);
    } else mutate(st, target, s.line, cond, 'augmented assignment to a subscript or attribute');
    return;
  }
  if (eqs.length === 0) return execExpressionStatement(toks, st, cond, s.line);
  const valueToks = toks.slice(eqs[eqs.length - 1]! + 1);
  // Annotated assignment `NAME: T = value`.
  const uses: EnvUse[] = [];
  const value = evaluate(parseExpr(valueToks), ctxFor(st, uses), undefined);
  let from = 0;
  for (const at of eqs) {
    let target = toks.slice(from, at);
    from = at + 1;
    if (target.length >= 2 && target[0]!.kind === 'name' && target[1]!.text === ':') target = target.slice(0, 1);
    assignTarget(st, target, value, uses, s.line, cond);
  }
}

function assignTarget(st: State, target: Tok[], value: PyValue, uses: EnvUse[], line: number, cond: Cond | null): void {
  if (target.length === 1 && target[0]!.kind === 'name') return bind(st, target[0]!.text, value, uses, line, cond);
  // Tuple unpacking: names separated by commas, optionally parenthesised.
  let t = target;
  if (t.length >= 2 && (t[0]!.text === '(' || t[0]!.text === '[') && (t[t.length - 1]!.text === ')' || t[t.length - 1]!.text === ']'))
    t = t.slice(1, -1);
  const names = t.filter((x, i) => (i % 2 === 0 ? x.kind === 'name' : x.text === ','));
  if (names.length === t.length && t.some((x) => x.text === ',')) {
    const ids = t.filter((x) => x.kind === 'name').map((x) => x.text);
    const items = value.t === 'list' || value.t === 'tuple' ? value.items : null;
    ids.forEach((id, i) => {
      const v =
        items === null
          ? isUnknown(value)
            ? value
            : unknown(`cannot unpack ${value.t}`, line)
          : items.length === ids.length
            ? items[i]!
            : unknown('unpacking length mismatch (ValueError at import)', line);
      bind(st, id, v, uses, line, cond);
    });
    return;
  }
  mutate(st, target, line, cond, 'assignment to a subscript or attribute');
}

/** `X[...] = v`, `X.attr = v`, `X.append(v)`: the binding of X changes in a way we do not model. */
function mutate(st: State, target: Tok[], line: number, cond: Cond | null, what: string): void {
  const root = target[0];
  if (root?.kind !== 'name' || !st.bindings.has(root.text) || st.imported.has(root.text)) return;
  bind(st, root.text, unknown(`${root.text} is modified in place at line ${line} (${what})`, line), [], line, cond);
}

function execExpressionStatement(toks: Tok[], st: State, cond: Cond | null, line: number): void {
  // X.append(v) / X.extend(v) / X.insert(i, v) on a known list; globals().update(...) can set anything.
  if (toks[0]?.text === 'globals') {
    st.sink.warn('cannot-evaluate', line, 'globals().update(...) may set any setting; values after this line may differ', {});
    st.out.blocks.push({ line, kind: 'globals-update', decided: false, reason: 'globals().update' });
    return;
  }
  const root = toks[0];
  if (root?.kind === 'name' && toks[1]?.text === '.' && toks[2]?.kind === 'name' && toks[3]?.text === '(' && st.bindings.has(root.text)) {
    const methodName = toks[2].text;
    const cur = st.bindings.get(root.text)!;
    if (['append', 'extend', 'insert'].includes(methodName) && (cur.value.t === 'list' || isUnknown(cur.value))) {
      // Parse `(args…)` as the arguments of a call to a placeholder name.
      const call = parseExpr([{ ...root, kind: 'name', text: '_' }, ...toks.slice(3)]);
      const uses: EnvUse[] = [...cur.env];
      const argsExpr = call.k === 'call' ? call.args : [];
      const args = argsExpr.map((a) => evaluate(a, ctxFor(st, uses), undefined));
      let next: PyValue;
      if (isUnknown(cur.value)) next = cur.value;
      else if (args.some(isUnknown)) next = args.find(isUnknown)!;
      else {
        const items = [...(cur.value as { items: PyValue[] }).items];
        if (methodName === 'append' && args.length === 1) items.push(args[0]!);
        else if (methodName === 'extend' && args.length === 1 && (args[0]!.t === 'list' || args[0]!.t === 'tuple'))
          items.push(...(args[0] as { items: PyValue[] }).items);
        else if (methodName === 'insert' && args.length === 2 && args[0]!.t === 'int') items.splice(Number(args[0].v), 0, args[1]!);
        else {
          mutate(st, toks, line, cond, `${methodName}()`);
          return;
        }
        next = { t: 'list', items };
      }
      bind(st, root.text, next, uses, line, cond, true);
      return;
    }
    if (['remove', 'pop', 'clear', 'update', 'setdefault', 'sort', 'reverse', 'add', 'discard'].includes(methodName)) {
      mutate(st, toks, line, cond, `${methodName}()`);
    }
  }
}

function execImport(toks: Tok[], st: State, cond: Cond | null): void {
  const line = toks[0]!.line;
  const words = toks.map((t) => t.text);
  if (words[0] === 'import') {
    // import a.b [as c], d
    let j = 1;
    while (j < toks.length) {
      let mod = '';
      while (j < toks.length && toks[j]!.text !== ',' && toks[j]!.text !== 'as') mod += toks[j++]!.text;
      let alias: string | undefined;
      if (toks[j]?.text === 'as') {
        alias = toks[j + 1]?.text;
        j += 2;
      }
      st.out.imports.push({ module: mod, names: [], line });
      const top = mod.split('.')[0]!;
      const refName = alias !== undefined ? mod : top;
      const known = refName === 'os' || refName === 'os.path';
      bind(
        st,
        alias ?? top,
        known ? { t: 'ref', name: refName } : unknown(`module ${refName} is not evaluated`, line),
        [],
        line,
        cond,
        false,
        true,
      );
      if (toks[j]?.text === ',') j++;
    }
    return;
  }
  // from a.b import x [as y], ... | *
  const importAt = words.indexOf('import');
  const mod = words.slice(1, importAt).join('');
  const rest = toks.slice(importAt + 1).filter((t) => t.text !== '(' && t.text !== ')');
  if (rest[0]?.text === '*') {
    st.out.starImports.push({ module: mod, line, conditional: cond !== null && !cond.note.decided });
    st.out.imports.push({ module: mod, names: ['*'], line });
    st.starImport = { module: mod, line };
    if (mod === 'graphite.settings') st.graphiteDefaults = true;
    st.sink.info('star-import', line, `from ${mod} import * may define any name; names it defines are not known here`, { module: mod });
    return;
  }
  const names: string[] = [];
  for (let j = 0; j < rest.length; j++) {
    const n = rest[j]!;
    if (n.text === ',') continue;
    let alias = n.text;
    if (rest[j + 1]?.text === 'as') {
      alias = rest[j + 2]?.text ?? alias;
      j += 2;
    }
    names.push(n.text);
    const full = `${mod}.${n.text}`;
    bind(
      st,
      alias,
      importsKnownRef(mod, n.text) ? { t: 'ref', name: full } : unknown(`${full} is imported, not evaluated`, line),
      [],
      line,
      cond,
      false,
      true,
    );
  }
  st.out.imports.push({ module: mod, names, line });
}

function bind(
  st: State,
  name: string,
  value: PyValue,
  uses: EnvUse[],
  line: number,
  cond: Cond | null,
  augmented = false,
  isImport = false,
): void {
  const env = dedupeEnv([...uses, ...(cond?.env ?? [])]);
  const certain = cond === null || cond.note.decided;
  const prev = st.bindings.get(name);
  if (certain) st.bindings.set(name, { value, env, line });
  else if (prev === undefined) {
    st.bindings.set(name, {
      value: unknown(`${name} is only assigned conditionally (line ${line}: ${cond!.note.reason ?? 'undecidable block'})`, line),
      env,
      line,
    });
  }
  if (isImport) {
    st.imported.add(name);
    return;
  }
  st.imported.delete(name);
  const a: PyAssignment = { line, value, env };
  if (cond !== null) a.condition = cond.note;
  if (augmented) a.augmented = true;
  let s = st.settings.get(name);
  if (s === undefined) {
    s = { name, value, line, env, assignments: [], conditionalOverrides: [] };
    st.settings.set(name, s);
  }
  s.assignments.push(a);
  if (certain) {
    s.value = value;
    s.line = line;
    s.env = env;
    s.conditionalOverrides = [];
  } else {
    if (s.assignments.length === 1) {
      s.value = st.bindings.get(name)!.value;
      s.line = line;
      s.env = env;
    }
    s.conditionalOverrides.push(a);
  }
}

function dedupeEnv(uses: EnvUse[]): EnvUse[] {
  const seen = new Set<string>();
  return uses.filter((u) => {
    const k = `${u.name}\0${u.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------------------
// graphite-web settings

export interface WebSetting {
  name: string;
  value: PyValue;
  source: 'file' | 'default' | 'derived';
  line: number | null;
  env: EnvUse[];
  conditionalOverrides: PyAssignment[];
}

/** A setting as graphite-web sees it: the file's value, else settings.py's default. */
export function webSetting(ps: PySettingsFile, name: string): WebSetting {
  const s = ps.settings.get(name);
  if (s !== undefined)
    return { name, value: s.value, source: 'file', line: s.line, env: s.env, conditionalOverrides: s.conditionalOverrides };
  return {
    name,
    value: GRAPHITE_WEB_DEFAULTS.get(name) ?? unknown(`${name} is not set and has no known default`, 0),
    source: 'default',
    line: null,
    env: [],
    conditionalOverrides: [],
  };
}

/**
 * The data directories graphite-web reads (settings.py after local_settings): STORAGE_DIR (else
 * $GRAPHITE_STORAGE_DIR, else GRAPHITE_ROOT/storage), WHISPER_DIR (else STORAGE_DIR/whisper/), STANDARD_DIRS
 * (else [WHISPER_DIR], when that directory exists).
 */
export function webStorage(
  ps: PySettingsFile,
  opts: { env?: Readonly<Record<string, string>>; graphiteRoot?: string } = {},
): {
  storageDir: WebSetting;
  whisperDir: WebSetting;
  standardDirs: WebSetting;
} {
  const env = opts.env ?? {};
  const derived = (name: string, value: PyValue, uses: EnvUse[] = []): WebSetting => ({
    name,
    value,
    source: 'derived',
    line: null,
    env: uses,
    conditionalOverrides: [],
  });
  const filled = (w: WebSetting): boolean => truthy(w.value) === true;
  let storageDir = webSetting(ps, 'STORAGE_DIR');
  if (!filled(storageDir) && !isUnknown(storageDir.value)) {
    if (env['GRAPHITE_STORAGE_DIR'] !== undefined) {
      storageDir = derived('STORAGE_DIR', str(env['GRAPHITE_STORAGE_DIR']), [
        { name: 'GRAPHITE_STORAGE_DIR', line: 0, from: 'env', value: env['GRAPHITE_STORAGE_DIR'] },
      ]);
    } else if (opts.graphiteRoot !== undefined) {
      storageDir = derived('STORAGE_DIR', str(pyJoin(opts.graphiteRoot, 'storage')));
    } else {
      storageDir = derived(
        'STORAGE_DIR',
        unknown('STORAGE_DIR defaults to GRAPHITE_ROOT/storage and GRAPHITE_ROOT (the install location) is not known', 0),
      );
    }
  }
  let whisperDir = webSetting(ps, 'WHISPER_DIR');
  if (!filled(whisperDir) && !isUnknown(whisperDir.value)) {
    whisperDir = derived(
      'WHISPER_DIR',
      storageDir.value.t === 'str' ? str(pyJoin(storageDir.value.v, 'whisper/')) : storageDir.value,
      storageDir.env,
    );
  }
  let standardDirs = webSetting(ps, 'STANDARD_DIRS');
  if (!filled(standardDirs) && !isUnknown(standardDirs.value)) {
    standardDirs = derived(
      'STANDARD_DIRS',
      whisperDir.value.t === 'str' ? { t: 'list', items: [whisperDir.value] } : whisperDir.value,
      whisperDir.env,
    );
  }
  return { storageDir, whisperDir, standardDirs };
}

export interface GraphiteWebRing {
  spec: RingSpec;
  diagnostics: ConfigDiagnostic[];
  /** The settings the ring came from. */
  hosts: WebSetting;
  hashType: WebSetting;
  replication: WebSetting;
}

const WEB_HASH_TYPES = ['carbon_ch', 'fnv1a_ch', 'mmh3_ch'];

/** graphite-web's CarbonLink ring. Throws ConfigError naming file:line and why when it cannot be evaluated. */
export function graphiteWebRing(ps: PySettingsFile): GraphiteWebRing {
  const file = ps.file;
  const sink = new DiagnosticSink(file);
  const need = (w: WebSetting): PyValue => {
    if (isUnknown(w.value)) {
      throw new ConfigError(`${w.name} cannot be evaluated: ${w.value.reason}`, {
        file,
        line: w.value.line || w.line || undefined,
        expected: `a literal ${w.name} (or give the environment it depends on)`,
      });
    }
    noteEnv(w, sink);
    for (const o of w.conditionalOverrides) {
      sink.warn(
        'conditional-setting',
        o.line,
        `${w.name} may be reassigned here (${o.condition?.reason ?? 'conditional block'}); using the value from ${w.line === null ? "graphite-web's default" : `line ${w.line}`}`,
        { name: w.name },
      );
    }
    return w.value;
  };

  const hosts = webSetting(ps, 'CARBONLINK_HOSTS');
  const hv = need(hosts);
  if (hv.t !== 'list' && hv.t !== 'tuple') {
    throw new ConfigError(`CARBONLINK_HOSTS is a ${hv.t}, not a list`, {
      file,
      line: hosts.line ?? undefined,
      expected: 'a list of "host:port[:instance]" strings',
    });
  }
  const destinations: Destination[] = hv.items.map((item, i) => {
    const line = hv.lines?.[i] ?? hosts.line ?? undefined;
    if (item.t !== 'str') {
      throw new ConfigError(`CARBONLINK_HOSTS item ${pyRepr(item) ?? item.t} is not a string`, {
        file,
        line,
        expected: '"host:port[:instance]"',
      });
    }
    return parseCarbonDestination(item.v, { file, line });
  });

  const hashType = webSetting(ps, 'CARBONLINK_HASHING_TYPE');
  const htv = need(hashType);
  let hash: HashType = 'carbon_ch';
  if (htv.t === 'str' && WEB_HASH_TYPES.includes(htv.v)) hash = htv.v as HashType;
  else {
    sink.warn(
      'unknown-hash-type',
      hashType.line,
      `CARBONLINK_HASHING_TYPE = ${pyRepr(htv) ?? htv.t} is not carbon_ch, fnv1a_ch or mmh3_ch: graphite-web hashes with md5 (carbon_ch)`,
      {},
    );
  }

  const replication = webSetting(ps, 'REPLICATION_FACTOR');
  const rv = need(replication);
  if (rv.t !== 'int' || rv.v < 1n) {
    throw new ConfigError(`REPLICATION_FACTOR = ${pyRepr(rv) ?? rv.t} is not a positive int`, {
      file,
      line: replication.line ?? undefined,
      expected: 'an integer ≥ 1',
    });
  }
  const servers = new Set(destinations.map((d) => d.server));
  if (Number(rv.v) > servers.size) {
    throw new ConfigError(`REPLICATION_FACTOR=${rv.v} cannot exceed servers=${servers.size} (CarbonLinkPool raises on first use)`, {
      file,
      line: replication.line ?? hosts.line ?? undefined,
      expected: `REPLICATION_FACTOR ≤ the number of distinct hosts in CARBONLINK_HOSTS (${servers.size})`,
    });
  }

  const keyfunc = webSetting(ps, 'CARBONLINK_HASHING_KEYFUNC');
  if (keyfunc.value.t !== 'none') {
    sink.warn(
      'custom-keyfunc',
      keyfunc.line,
      `CARBONLINK_HASHING_KEYFUNC is set: the hash key is computed by user code and cannot be evaluated; the ring below hashes metric names as they are`,
      {},
    );
  }

  const origin: RingSpec['origin'] = { file, format: 'graphite-web' };
  if (hosts.line !== null) origin.line = hosts.line;
  const spec = makeRingSpec({
    impl: 'graphite-web',
    hash,
    router: 'consistent-hashing',
    destinations,
    replication: Number(rv.v),
    diverse: true,
    tagRelayNormalized: false,
    sanitize: false,
    origin,
  });
  return { spec, diagnostics: sink.items, hosts, hashType, replication };
}

function noteEnv(w: WebSetting, sink: DiagnosticSink): void {
  for (const u of w.env) {
    const how =
      u.from === 'env'
        ? `given as ${JSON.stringify(u.value)}`
        : u.from === 'default'
          ? `not given; assumed default ${u.value === undefined ? 'None' : JSON.stringify(u.value)}`
          : 'not given';
    sink.info('env-dependent', w.line, `${w.name} depends on $${u.name} (${how})`, {
      name: w.name,
      env: u.name,
      from: u.from,
      value: u.value,
    });
  }
}

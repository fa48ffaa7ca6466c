// The evaluator of the settings subset (configs.md §3.2): an expression AST and the module's names in, a
// Python value out. It never executes anything: os.environ comes from a supplied map (every read recorded),
// and what it cannot evaluate becomes an Unknown value that carries the reason and the line, never a guess.
import type { Expr } from './pyparse.js';
import { pyRepr as pyReprStr } from '../../ring/pyrepr.js';
import { pyDirname, pyFloat, pyInt, pyJoin, pyLstrip, pyNormpath, pyRstrip, pyStrip } from './pytext.js';
import { pyStr } from './pyvalue-repr.js';
import { isUnknown, NONE, str, truthy, typeName, unknown, type EnvUse, type PyValue, type Unknown } from './pyvalue.js';

export interface Binding {
  value: PyValue;
  env: EnvUse[];
  line: number;
}

export interface EvalContext {
  /** Module-level names. */
  lookup(name: string): Binding | undefined;
  /** Environment supplied by the user. */
  env: Readonly<Record<string, string>>;
  /** Env reads of the expression being evaluated (appended to). */
  uses: EnvUse[];
  /** Why an undefined name is not simply a NameError (e.g. after a star import). */
  undefinedName(name: string, line: number): PyValue;
}

export function evaluate(e: Expr, ctx: EvalContext, locals?: Map<string, PyValue>): PyValue {
  const ev = (x: Expr) => evaluate(x, ctx, locals);
  switch (e.k) {
    case 'const':
      return e.v;
    case 'unsupported':
      return unknown(`${e.what} is not evaluated`, e.line);
    case 'name': {
      const local = locals?.get(e.id);
      if (local !== undefined) return local;
      const b = ctx.lookup(e.id);
      if (b !== undefined) {
        ctx.uses.push(...b.env);
        return b.value;
      }
      return builtin(e.id, e.line) ?? ctx.undefinedName(e.id, e.line);
    }
    case 'seq': {
      const items = e.items.map(ev);
      const bad = items.find(isUnknown);
      if (bad) return bad;
      if (e.kind === 'set') return unknown('set literal', e.line);
      return { t: e.kind, items, lines: e.items.map((x) => x.line) };
    }
    case 'dict': {
      const entries: [PyValue, PyValue][] = [];
      for (const [k, v] of e.entries) {
        const kv = ev(k);
        if (isUnknown(kv)) return kv;
        const vv = ev(v);
        if (isUnknown(vv)) return vv;
        const i = entries.findIndex(([x]) => pyEquals(x, kv) === true);
        if (i >= 0) entries[i] = [kv, vv];
        else entries.push([kv, vv]);
      }
      return { t: 'dict', entries };
    }
    case 'attr': {
      const obj = ev(e.obj);
      if (isUnknown(obj)) return obj;
      if (obj.t === 'ref') {
        const name = `${obj.name}.${e.name}`;
        if (KNOWN_REFS.has(name)) return { t: 'ref', name };
        return unknown(`${name} is not evaluated`, e.line);
      }
      return unknown(`attribute .${e.name} of ${typeName(obj)} is not evaluated`, e.line);
    }
    case 'call':
      return call(e, ctx, locals);
    case 'index': {
      const obj = ev(e.obj);
      if (isUnknown(obj)) return obj;
      if (obj.t === 'ref' && obj.name === 'os.environ') {
        const key = ev(e.index);
        if (key.t !== 'str') return isUnknown(key) ? key : unknown('os.environ key is not a string', e.line);
        return envLookup(ctx, key.v, undefined, e.line, true);
      }
      const idx = ev(e.index);
      if (isUnknown(idx)) return idx;
      return subscript(obj, idx, e.line);
    }
    case 'slice': {
      const obj = ev(e.obj);
      if (isUnknown(obj)) return obj;
      const bound = (x: Expr | null): number | null | Unknown => {
        if (x === null) return null;
        const v = ev(x);
        if (v.t === 'int') return Number(v.v);
        if (v.t === 'none') return null;
        return isUnknown(v) ? v : unknown('slice bound is not an int', e.line);
      };
      const lo = bound(e.lo);
      const hi = bound(e.hi);
      if (typeof lo === 'object' && lo !== null) return lo;
      if (typeof hi === 'object' && hi !== null) return hi;
      if (e.step !== null) return unknown('slice with a step', e.line);
      const cut = <T>(xs: T[]): T[] => xs.slice(lo ?? 0, hi ?? xs.length);
      if (obj.t === 'str')
        return str(
          Array.from(obj.v)
            .slice(lo ?? 0, hi ?? undefined)
            .join(''),
        );
      if (obj.t === 'list' || obj.t === 'tuple') return { t: obj.t, items: cut(obj.items) };
      return unknown(`cannot slice ${typeName(obj)}`, e.line);
    }
    case 'bin':
      return binary(e.op, ev(e.l), ev(e.r), e.line);
    case 'unary': {
      const v = ev(e.e);
      if (isUnknown(v)) return v;
      if (e.op === 'not') {
        const b = truthy(v);
        return b === undefined ? unknown('truth value not known', e.line) : { t: 'bool', v: !b };
      }
      if (e.op === '-' || e.op === '+') {
        const sign = e.op === '-' ? -1 : 1;
        if (v.t === 'int') return { t: 'int', v: BigInt(sign) * v.v };
        if (v.t === 'float') return { t: 'float', v: sign * v.v };
        if (v.t === 'bool') return { t: 'int', v: BigInt(sign * (v.v ? 1 : 0)) };
      }
      return unknown(`unary ${e.op} on ${typeName(v)}`, e.line);
    }
    case 'boolop': {
      const l = ev(e.l);
      const b = truthy(l);
      if (b === undefined) return isUnknown(l) ? l : unknown('truth value not known', e.line);
      if (e.op === 'or') return b ? l : ev(e.r);
      return b ? ev(e.r) : l;
    }
    case 'cmp': {
      let left = ev(e.operands[0]!);
      for (let i = 0; i < e.ops.length; i++) {
        const right = ev(e.operands[i + 1]!);
        const r = compare(e.ops[i]!, left, right, e.line);
        if (r.t !== 'bool' || !r.v) return r;
        left = right;
      }
      return { t: 'bool', v: true };
    }
    case 'ifexp': {
      const c = ev(e.cond);
      const b = truthy(c);
      if (b === undefined) return isUnknown(c) ? c : unknown('condition not known', e.line);
      return b ? ev(e.a) : ev(e.b);
    }
    case 'comp': {
      if (e.kind === 'set' || e.kind === 'dict') return unknown(`${e.kind} comprehension`, e.line);
      const it = iterate(ev(e.iter), e.line);
      if (!Array.isArray(it)) return it;
      const out: PyValue[] = [];
      for (const item of it) {
        const scope = new Map(locals ?? []);
        if (e.targets.length === 1) scope.set(e.targets[0]!, item);
        else {
          const parts = iterate(item, e.line);
          if (!Array.isArray(parts)) return parts;
          if (parts.length !== e.targets.length) return unknown('comprehension unpacking mismatch', e.line);
          e.targets.forEach((t, i) => scope.set(t, parts[i]!));
        }
        let keep = true;
        for (const c of e.conds) {
          const cv = evaluate(c, ctx, scope);
          const b = truthy(cv);
          if (b === undefined) return isUnknown(cv) ? cv : unknown('filter condition not known', e.line);
          if (!b) {
            keep = false;
            break;
          }
        }
        if (!keep) continue;
        const v = evaluate(e.elt, ctx, scope);
        if (isUnknown(v)) return v;
        out.push(v);
      }
      return { t: e.kind === 'gen' ? 'tuple' : 'list', items: out };
    }
  }
}

/** The modules and functions of `os` the evaluator models (as refs); anything else of os is Unknown. */
const KNOWN_REFS = new Set([
  'os',
  'os.path',
  'os.environ',
  'os.environ.get',
  'os.getenv',
  'os.path.join',
  'os.path.dirname',
  'os.path.abspath',
  'os.path.normpath',
  'os.path.expanduser',
  'os.path.realpath',
  'os.path.basename',
  'os.sep',
]);

/** True when `from MODULE import NAME` binds something the evaluator models: NAME of os or os.path. */
export function importsKnownRef(module: string, name: string): boolean {
  return (module === 'os' || module === 'os.path') && KNOWN_REFS.has(`${module}.${name}`);
}

function builtin(name: string, line: number): PyValue | undefined {
  if (['int', 'float', 'str', 'bool', 'len', 'list', 'tuple'].includes(name)) return { t: 'ref', name: `builtin:${name}` };
  if (name === '__file__') return unknown('__file__ depends on where graphite-web is installed', line);
  return undefined;
}

function envLookup(ctx: EvalContext, key: string, dflt: PyValue | undefined, line: number, subscripted: boolean): PyValue {
  if (Object.prototype.hasOwnProperty.call(ctx.env, key)) {
    ctx.uses.push({ name: key, line, from: 'env', value: ctx.env[key]! });
    return str(ctx.env[key]!);
  }
  if (subscripted) {
    ctx.uses.push({ name: key, line, from: 'missing' });
    return unknown(`os.environ['${key}'] requires $${key}, which was not given (KeyError otherwise)`, line);
  }
  const d = dflt ?? NONE;
  const use: EnvUse = { name: key, line, from: 'default' };
  if (d.t === 'str') use.value = d.v;
  else if (d.t !== 'unknown' && d.t !== 'none') {
    const text = pyStr(d);
    if (text !== undefined) use.value = text;
  }
  ctx.uses.push(use);
  return d;
}

function call(e: Extract<Expr, { k: 'call' }>, ctx: EvalContext, locals?: Map<string, PyValue>): PyValue {
  const ev = (x: Expr) => evaluate(x, ctx, locals);
  if (e.starred) return unknown('call with * or ** arguments', e.line);
  // Method calls: evaluate the receiver, then the method by name.
  if (e.fn.k === 'attr') {
    const recv = ev(e.fn.obj);
    if (isUnknown(recv)) return unknown(`.${e.fn.name}() on a value that is not evaluated (${recv.reason})`, e.line);
    if (recv.t !== 'ref') {
      const args = e.args.map(ev);
      const bad = args.find(isUnknown);
      if (bad) return bad;
      return method(recv, e.fn.name, args, e.line);
    }
  }
  const fn = ev(e.fn);
  if (isUnknown(fn)) return fn;
  if (fn.t !== 'ref') return unknown(`calling a ${typeName(fn)}`, e.line);
  const kw = new Map(e.kwargs);
  const args = e.args.map(ev);
  const bad = args.find(isUnknown);
  switch (fn.name) {
    case 'os.environ.get':
    case 'os.getenv': {
      const key = args[0];
      if (key === undefined) return unknown(`${fn.name}() without a key`, e.line);
      if (bad) return bad;
      if (key.t !== 'str') return unknown(`${fn.name}() key is not a string`, e.line);
      const dExpr = kw.get('default');
      const d = args[1] ?? (dExpr ? ev(dExpr) : undefined);
      return envLookup(ctx, key.v, d, e.line, false);
    }
  }
  if (bad) return bad;
  if (e.kwargs.length > 0) return unknown(`${fn.name}() with keyword arguments`, e.line);
  const strs = args.every((a) => a.t === 'str') ? args.map((a) => (a as { v: string }).v) : undefined;
  switch (fn.name) {
    case 'os.path.join':
      return strs && strs.length > 0 ? str(pyJoin(strs[0]!, ...strs.slice(1))) : unknown('os.path.join() of non-strings', e.line);
    case 'os.path.dirname':
      return strs?.length === 1 ? str(pyDirname(strs[0]!)) : unknown('dirname() argument', e.line);
    case 'os.path.basename':
      return strs?.length === 1 ? str(strs[0]!.slice(strs[0]!.lastIndexOf('/') + 1)) : unknown('basename() argument', e.line);
    case 'os.path.normpath':
      return strs?.length === 1 ? str(pyNormpath(strs[0]!)) : unknown('normpath() argument', e.line);
    case 'os.path.abspath':
    case 'os.path.realpath':
      if (strs?.length === 1 && strs[0]!.startsWith('/') && fn.name === 'os.path.abspath') return str(pyNormpath(strs[0]!));
      return unknown(`${fn.name}() depends on the working directory or the file system`, e.line);
    case 'os.path.expanduser':
      if (strs?.length === 1 && !strs[0]!.startsWith('~')) return str(strs[0]!);
      return unknown("expanduser('~…') depends on the user's home directory", e.line);
    case 'builtin:int':
      return toInt(args, e.line);
    case 'builtin:float':
      return toFloat(args, e.line);
    case 'builtin:str': {
      if (args.length === 0) return str('');
      const s = args.length === 1 ? pyStr(args[0]!) : undefined;
      return s === undefined ? unknown('str() of this value', e.line) : str(s);
    }
    case 'builtin:bool': {
      if (args.length === 0) return { t: 'bool', v: false };
      const b = truthy(args[0]!);
      return b === undefined ? unknown('bool() of this value', e.line) : { t: 'bool', v: b };
    }
    case 'builtin:len': {
      const it = args.length === 1 ? iterate(args[0]!, e.line) : unknown('len() arguments', e.line);
      return Array.isArray(it) ? { t: 'int', v: BigInt(it.length) } : it;
    }
    case 'builtin:list':
    case 'builtin:tuple': {
      if (args.length === 0) return { t: fn.name === 'builtin:list' ? 'list' : 'tuple', items: [] };
      const it = iterate(args[0]!, e.line);
      return Array.isArray(it) ? { t: fn.name === 'builtin:list' ? 'list' : 'tuple', items: it } : it;
    }
  }
  return unknown(`${fn.name.replace(/^builtin:/, '')}() is not evaluated`, e.line);
}

function toInt(args: PyValue[], line: number): PyValue {
  if (args.length === 0) return { t: 'int', v: 0n };
  if (args.length > 1) return unknown('int() with a base', line);
  const a = args[0]!;
  if (a.t === 'int') return a;
  if (a.t === 'bool') return { t: 'int', v: a.v ? 1n : 0n };
  if (a.t === 'float') return Number.isFinite(a.v) ? { t: 'int', v: BigInt(Math.trunc(a.v)) } : unknown('int() of inf/nan raises', line);
  if (a.t === 'str') {
    const i = pyInt(a.v);
    return i === undefined ? unknown(`int(${pyReprStr(a.v)}) raises ValueError at import`, line) : { t: 'int', v: i };
  }
  return unknown(`int() of ${typeName(a)} raises TypeError at import`, line);
}

function toFloat(args: PyValue[], line: number): PyValue {
  if (args.length === 0) return { t: 'float', v: 0 };
  const a = args[0]!;
  if (a.t === 'float') return a;
  if (a.t === 'int') return { t: 'float', v: Number(a.v) };
  if (a.t === 'bool') return { t: 'float', v: a.v ? 1 : 0 };
  if (a.t === 'str') {
    const f = pyFloat(a.v);
    return f === undefined ? unknown(`float(${pyReprStr(a.v)}) raises ValueError at import`, line) : { t: 'float', v: f };
  }
  return unknown(`float() of ${typeName(a)} raises TypeError at import`, line);
}

function method(recv: PyValue, name: string, args: PyValue[], line: number): PyValue {
  if (recv.t === 'str') {
    const s = recv.v;
    const argStr = (i: number): string | null | undefined => {
      const a = args[i];
      if (a === undefined || a.t === 'none') return null;
      return a.t === 'str' ? a.v : undefined;
    };
    switch (name) {
      case 'lower':
        return str(s.toLowerCase());
      case 'upper':
        return str(s.toUpperCase());
      case 'strip':
      case 'lstrip':
      case 'rstrip': {
        const chars = argStr(0);
        if (chars === undefined) return unknown(`${name}() argument`, line);
        if (chars === null) return str(name === 'strip' ? pyStrip(s) : name === 'lstrip' ? pyLstrip(s) : pyRstrip(s));
        const set = new Set(Array.from(chars));
        const arr = Array.from(s);
        let a = 0;
        let b = arr.length;
        if (name !== 'rstrip') while (a < b && set.has(arr[a]!)) a++;
        if (name !== 'lstrip') while (b > a && set.has(arr[b - 1]!)) b--;
        return str(arr.slice(a, b).join(''));
      }
      case 'split': {
        const sep = argStr(0);
        const maxArg = args[1];
        const max = maxArg === undefined ? -1 : maxArg.t === 'int' ? Number(maxArg.v) : NaN;
        if (sep === undefined || Number.isNaN(max)) return unknown('split() arguments', line);
        if (sep === '') return unknown("split('') raises ValueError at import", line);
        return { t: 'list', items: pySplit(s, sep, max).map(str) };
      }
      case 'startswith':
      case 'endswith': {
        const a = args[0];
        const opts =
          a?.t === 'str'
            ? [a.v]
            : a?.t === 'tuple' && a.items.every((x) => x.t === 'str')
              ? a.items.map((x) => (x as { v: string }).v)
              : undefined;
        if (opts === undefined) return unknown(`${name}() argument`, line);
        return { t: 'bool', v: opts.some((o) => (name === 'startswith' ? s.startsWith(o) : s.endsWith(o))) };
      }
      case 'replace': {
        const a = argStr(0);
        const b = argStr(1);
        if (typeof a !== 'string' || typeof b !== 'string' || args.length > 2) return unknown('replace() arguments', line);
        return str(s.split(a).join(b));
      }
      case 'join': {
        const it = args.length === 1 ? iterate(args[0]!, line) : unknown('join() arguments', line);
        if (!Array.isArray(it)) return it;
        if (!it.every((x) => x.t === 'str')) return unknown('join() of non-strings raises TypeError', line);
        return str(it.map((x) => (x as { v: string }).v).join(s));
      }
    }
    return unknown(`str.${name}() is not evaluated`, line);
  }
  if (recv.t === 'dict' && name === 'get') {
    const k = args[0];
    if (k === undefined) return unknown('get() without a key', line);
    const hit = recv.entries.find(([x]) => pyEquals(x, k) === true);
    return hit ? hit[1] : (args[1] ?? NONE);
  }
  return unknown(`${typeName(recv)}.${name}() is not evaluated`, line);
}

/** str.split with Python semantics (sep null = runs of whitespace). */
export function pySplit(s: string, sep: string | null, maxsplit = -1): string[] {
  if (sep === null) {
    const out: string[] = [];
    let rest = pyLstrip(s);
    while (rest !== '') {
      if (maxsplit >= 0 && out.length === maxsplit) {
        out.push(pyRstrip(rest));
        return out;
      }
      const m = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/.exec(rest);
      if (m === null) {
        out.push(rest);
        return out;
      }
      out.push(rest.slice(0, m.index));
      rest = pyLstrip(rest.slice(m.index));
    }
    return out;
  }
  const parts = s.split(sep);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)];
}

function subscript(obj: PyValue, idx: PyValue, line: number): PyValue {
  if (obj.t === 'dict') {
    const hit = obj.entries.find(([k]) => pyEquals(k, idx) === true);
    return hit ? hit[1] : unknown('KeyError at import', line);
  }
  if (obj.t === 'list' || obj.t === 'tuple' || obj.t === 'str') {
    if (idx.t !== 'int' && idx.t !== 'bool') return unknown('index is not an int', line);
    const items = obj.t === 'str' ? Array.from(obj.v).map(str) : obj.items;
    let i = idx.t === 'int' ? Number(idx.v) : idx.v ? 1 : 0;
    if (i < 0) i += items.length;
    if (i < 0 || i >= items.length) return unknown('IndexError at import', line);
    return items[i]!;
  }
  return unknown(`cannot index ${typeName(obj)}`, line);
}

function iterate(v: PyValue, line: number): PyValue[] | Unknown {
  if (v.t === 'list' || v.t === 'tuple') return v.items;
  if (v.t === 'str') return Array.from(v.v).map(str);
  if (v.t === 'dict') return v.entries.map(([k]) => k);
  if (isUnknown(v)) return v;
  return unknown(`${typeName(v)} is not iterable`, line);
}

function num(v: PyValue): { int?: bigint; float?: number } | undefined {
  if (v.t === 'int') return { int: v.v };
  if (v.t === 'bool') return { int: v.v ? 1n : 0n };
  if (v.t === 'float') return { float: v.v };
  return undefined;
}

function binary(op: string, l: PyValue, r: PyValue, line: number): PyValue {
  if (isUnknown(l)) return l;
  if (isUnknown(r)) return r;
  if (op === '+') {
    if (l.t === 'str' && r.t === 'str') return str(l.v + r.v);
    if ((l.t === 'list' && r.t === 'list') || (l.t === 'tuple' && r.t === 'tuple')) {
      const lines = l.lines && r.lines ? [...l.lines, ...r.lines] : undefined;
      const out: { t: 'list' | 'tuple'; items: PyValue[]; lines?: number[] } = { t: l.t, items: [...l.items, ...r.items] };
      if (lines) out.lines = lines;
      return out;
    }
  }
  if (op === '*') {
    const rep = (x: PyValue, n: PyValue): PyValue | undefined => {
      if (n.t !== 'int' && n.t !== 'bool') return undefined;
      const k = Math.max(0, n.t === 'bool' ? (n.v ? 1 : 0) : Number(n.v));
      if (x.t === 'str') return str(x.v.repeat(k));
      if (x.t === 'list' || x.t === 'tuple') return { t: x.t, items: Array.from({ length: k }, () => x.items).flat() };
      return undefined;
    };
    const r1 = rep(l, r) ?? rep(r, l);
    if (r1) return r1;
  }
  if (op === '%' && l.t === 'str') return unknown('%-formatting is not evaluated', line);
  const a = num(l);
  const b = num(r);
  if (a === undefined || b === undefined) return unknown(`${typeName(l)} ${op} ${typeName(r)}`, line);
  if (a.int !== undefined && b.int !== undefined && op !== '/') {
    const x = a.int;
    const y = b.int;
    switch (op) {
      case '+':
        return { t: 'int', v: x + y };
      case '-':
        return { t: 'int', v: x - y };
      case '*':
        return { t: 'int', v: x * y };
      case '//':
      case '%': {
        if (y === 0n) return unknown('division by zero at import', line);
        let q = x / y;
        if (x % y !== 0n && x < 0n !== y < 0n) q -= 1n;
        return { t: 'int', v: op === '//' ? q : x - q * y };
      }
      case '**':
        return y >= 0n ? { t: 'int', v: x ** y } : { t: 'float', v: Number(x) ** Number(y) };
    }
    return unknown(`operator ${op}`, line);
  }
  const x = a.float ?? Number(a.int);
  const y = b.float ?? Number(b.int);
  switch (op) {
    case '+':
      return { t: 'float', v: x + y };
    case '-':
      return { t: 'float', v: x - y };
    case '*':
      return { t: 'float', v: x * y };
    case '/':
      return y === 0 ? unknown('division by zero at import', line) : { t: 'float', v: x / y };
    case '//':
      return y === 0 ? unknown('division by zero at import', line) : { t: 'float', v: Math.floor(x / y) };
    case '%': {
      if (y === 0) return unknown('division by zero at import', line);
      let r = x % y;
      if (r !== 0 && r < 0 !== y < 0) r += y; // Python's result takes the divisor's sign
      return { t: 'float', v: r };
    }
    case '**':
      return { t: 'float', v: x ** y };
  }
  return unknown(`operator ${op} on floats`, line);
}

/** Python ==; undefined when not decidable. */
export function pyEquals(a: PyValue, b: PyValue): boolean | undefined {
  if (isUnknown(a) || isUnknown(b) || a.t === 'ref' || b.t === 'ref') return undefined;
  const na = num(a);
  const nb = num(b);
  if (na && nb) {
    if (na.int !== undefined && nb.int !== undefined) return na.int === nb.int;
    return (na.float ?? Number(na.int)) === (nb.float ?? Number(nb.int));
  }
  if (a.t !== b.t) return false;
  if (a.t === 'str' && b.t === 'str') return a.v === b.v;
  if (a.t === 'none') return true;
  if ((a.t === 'list' || a.t === 'tuple') && (b.t === 'list' || b.t === 'tuple')) {
    if (a.items.length !== b.items.length) return false;
    for (let i = 0; i < a.items.length; i++) {
      const r = pyEquals(a.items[i]!, b.items[i]!);
      if (r !== true) return r;
    }
    return true;
  }
  if (a.t === 'dict' && b.t === 'dict') {
    if (a.entries.length !== b.entries.length) return false;
    for (const [k, v] of a.entries) {
      const other = b.entries.find(([k2]) => pyEquals(k, k2) === true);
      if (!other) return false;
      const r = pyEquals(v, other[1]);
      if (r !== true) return r;
    }
    return true;
  }
  return undefined;
}

function compare(op: string, l: PyValue, r: PyValue, line: number): PyValue {
  if (isUnknown(l)) return l;
  if (isUnknown(r)) return r;
  const bool = (v: boolean | undefined): PyValue => (v === undefined ? unknown(`comparison ${op} not decidable`, line) : { t: 'bool', v });
  switch (op) {
    case '==':
      return bool(pyEquals(l, r));
    case '!=': {
      const eq = pyEquals(l, r);
      return bool(eq === undefined ? undefined : !eq);
    }
    case 'is':
    case 'is not': {
      const singleton = (v: PyValue) => v.t === 'none' || v.t === 'bool';
      if (!singleton(l) && !singleton(r)) return unknown('identity comparison of non-singletons', line);
      const same = l.t === r.t && (l.t === 'none' || (l as { v: boolean }).v === (r as { v: boolean }).v);
      return { t: 'bool', v: op === 'is' ? same : !same };
    }
    case 'in':
    case 'not in': {
      let hit: boolean | undefined;
      if (r.t === 'str') hit = l.t === 'str' ? r.v.includes(l.v) : undefined;
      else if (r.t === 'list' || r.t === 'tuple') {
        hit = false;
        for (const x of r.items) {
          const eq = pyEquals(l, x);
          if (eq === undefined) {
            hit = undefined;
            break;
          }
          if (eq) {
            hit = true;
            break;
          }
        }
      } else if (r.t === 'dict') hit = r.entries.some(([k]) => pyEquals(k, l) === true);
      return bool(hit === undefined ? undefined : op === 'in' ? hit : !hit);
    }
  }
  const a = num(l);
  const b = num(r);
  let c: number | undefined;
  if (a && b) {
    const x = a.float ?? Number(a.int);
    const y = b.float ?? Number(b.int);
    c = x < y ? -1 : x > y ? 1 : 0;
  } else if (l.t === 'str' && r.t === 'str') c = l.v < r.v ? -1 : l.v > r.v ? 1 : 0;
  if (c === undefined) return unknown(`ordering ${typeName(l)} ${op} ${typeName(r)}`, line);
  return { t: 'bool', v: op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0 };
}

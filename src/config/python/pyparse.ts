// The parser of Python's expression grammar (configs.md §3.2) for the settings evaluator: tokens of one
// expression in, an AST out, with Python's precedence. Constructs the evaluator does not model parse to
// an `unsupported` node, which evaluates to Unknown.
import type { Tok } from './pytokenize.js';
import { NONE, str, unknown, type PyValue } from './pyvalue.js';

export type Expr =
  | { k: 'const'; v: PyValue; line: number }
  | { k: 'name'; id: string; line: number }
  | { k: 'seq'; kind: 'list' | 'tuple' | 'set'; items: Expr[]; line: number }
  | { k: 'dict'; entries: [Expr, Expr][]; line: number }
  | { k: 'attr'; obj: Expr; name: string; line: number }
  | { k: 'call'; fn: Expr; args: Expr[]; kwargs: [string, Expr][]; line: number; starred: boolean }
  | { k: 'index'; obj: Expr; index: Expr; line: number }
  | { k: 'slice'; obj: Expr; lo: Expr | null; hi: Expr | null; step: Expr | null; line: number }
  | { k: 'bin'; op: string; l: Expr; r: Expr; line: number }
  | { k: 'unary'; op: string; e: Expr; line: number }
  | { k: 'boolop'; op: 'and' | 'or'; l: Expr; r: Expr; line: number }
  | { k: 'cmp'; ops: string[]; operands: Expr[]; line: number }
  | { k: 'ifexp'; cond: Expr; a: Expr; b: Expr; line: number }
  | { k: 'comp'; kind: 'list' | 'gen' | 'set' | 'dict'; elt: Expr; val?: Expr; targets: string[]; iter: Expr; conds: Expr[]; line: number }
  | { k: 'unsupported'; what: string; line: number };

export class ParseFail extends Error {}

/** Recursive-descent parser over the tokens of one expression (Python precedence). */
export class ExprParser {
  pos = 0;
  constructor(
    readonly toks: readonly Tok[],
    readonly end = toks.length,
  ) {}

  peek(o = 0): Tok | undefined {
    return this.pos + o < this.end ? this.toks[this.pos + o] : undefined;
  }
  atOp(text: string): boolean {
    const t = this.peek();
    return t !== undefined && t.kind === 'op' && t.text === text;
  }
  atName(text: string): boolean {
    const t = this.peek();
    return t !== undefined && t.kind === 'name' && t.text === text;
  }
  eat(text: string): Tok {
    const t = this.peek();
    if (t === undefined || t.text !== text || t.kind === 'str') throw new ParseFail(`expected '${text}'`);
    this.pos++;
    return t;
  }
  line(): number {
    return (this.peek() ?? this.toks[this.end - 1])?.line ?? 0;
  }
  done(): boolean {
    return this.pos >= this.end;
  }

  /** Expression list: `a, b` is a tuple. */
  exprList(): Expr {
    const line = this.line();
    const first = this.test();
    if (!this.atOp(',')) return first;
    const items = [first];
    while (this.atOp(',')) {
      this.pos++;
      if (this.done() || this.atOp('=') || this.atOp(')')) break;
      items.push(this.test());
    }
    return { k: 'seq', kind: 'tuple', items, line };
  }

  test(): Expr {
    if (this.atName('lambda')) {
      const line = this.line();
      this.skipLambda();
      return { k: 'unsupported', what: 'lambda', line };
    }
    const line = this.line();
    const a = this.orTest();
    if (this.atName('if')) {
      this.pos++;
      const cond = this.orTest();
      if (!this.atName('else')) throw new ParseFail("expected 'else'");
      this.pos++;
      const b = this.test();
      return { k: 'ifexp', cond, a, b, line };
    }
    return a;
  }

  private skipLambda(): void {
    // Skip to the end of the lambda: the next ',' or closing bracket at depth 0.
    let depth = 0;
    while (!this.done()) {
      const t = this.peek()!;
      if (t.kind === 'op' && '([{'.includes(t.text)) depth++;
      else if (t.kind === 'op' && ')]}'.includes(t.text)) {
        if (depth === 0) return;
        depth--;
      } else if (t.kind === 'op' && t.text === ',' && depth === 0) return;
      this.pos++;
    }
  }

  orTest(): Expr {
    let l = this.andTest();
    while (this.atName('or')) {
      const line = this.line();
      this.pos++;
      l = { k: 'boolop', op: 'or', l, r: this.andTest(), line };
    }
    return l;
  }
  andTest(): Expr {
    let l = this.notTest();
    while (this.atName('and')) {
      const line = this.line();
      this.pos++;
      l = { k: 'boolop', op: 'and', l, r: this.notTest(), line };
    }
    return l;
  }
  notTest(): Expr {
    if (this.atName('not')) {
      const line = this.line();
      this.pos++;
      return { k: 'unary', op: 'not', e: this.notTest(), line };
    }
    return this.comparison();
  }
  comparison(): Expr {
    const line = this.line();
    const first = this.bitOr();
    const ops: string[] = [];
    const operands = [first];
    for (;;) {
      const t = this.peek();
      if (t === undefined) break;
      let op: string | undefined;
      if (t.kind === 'op' && ['<', '>', '==', '>=', '<=', '!='].includes(t.text)) {
        op = t.text;
        this.pos++;
      } else if (t.kind === 'name' && t.text === 'in') {
        op = 'in';
        this.pos++;
      } else if (t.kind === 'name' && t.text === 'not' && this.peek(1)?.text === 'in') {
        op = 'not in';
        this.pos += 2;
      } else if (t.kind === 'name' && t.text === 'is') {
        this.pos++;
        if (this.atName('not')) {
          this.pos++;
          op = 'is not';
        } else op = 'is';
      }
      if (op === undefined) break;
      ops.push(op);
      operands.push(this.bitOr());
    }
    return ops.length === 0 ? first : { k: 'cmp', ops, operands, line };
  }
  private binLevel(ops: string[], next: () => Expr): Expr {
    let l = next();
    for (;;) {
      const t = this.peek();
      if (t === undefined || t.kind !== 'op' || !ops.includes(t.text)) return l;
      this.pos++;
      l = { k: 'bin', op: t.text, l, r: next(), line: t.line };
    }
  }
  bitOr(): Expr {
    return this.binLevel(['|'], () =>
      this.binLevel(['^'], () => this.binLevel(['&'], () => this.binLevel(['<<', '>>'], () => this.arith()))),
    );
  }
  arith(): Expr {
    return this.binLevel(['+', '-'], () => this.term());
  }
  term(): Expr {
    return this.binLevel(['*', '/', '//', '%', '@'], () => this.factor());
  }
  factor(): Expr {
    const t = this.peek();
    if (t !== undefined && t.kind === 'op' && ['+', '-', '~'].includes(t.text)) {
      this.pos++;
      return { k: 'unary', op: t.text, e: this.factor(), line: t.line };
    }
    return this.power();
  }
  power(): Expr {
    const base = this.atomExpr();
    if (this.atOp('**')) {
      const line = this.line();
      this.pos++;
      return { k: 'bin', op: '**', l: base, r: this.factor(), line };
    }
    return base;
  }
  atomExpr(): Expr {
    let e = this.atom();
    for (;;) {
      const t = this.peek();
      if (t === undefined || t.kind !== 'op') return e;
      if (t.text === '.') {
        this.pos++;
        const n = this.peek();
        if (n === undefined || n.kind !== 'name') throw new ParseFail('expected a name after .');
        this.pos++;
        e = { k: 'attr', obj: e, name: n.text, line: n.line };
      } else if (t.text === '(') {
        e = this.callArgs(e);
      } else if (t.text === '[') {
        e = this.subscript(e);
      } else return e;
    }
  }
  private callArgs(fn: Expr): Expr {
    const line = this.eat('(').line;
    const args: Expr[] = [];
    const kwargs: [string, Expr][] = [];
    let starred = false;
    while (!this.atOp(')')) {
      if (this.atOp('*') || this.atOp('**')) {
        starred = true;
        this.pos++;
      }
      const t = this.peek();
      if (t?.kind === 'name' && this.peek(1)?.kind === 'op' && this.peek(1)?.text === '=') {
        this.pos += 2;
        kwargs.push([t.text, this.test()]);
      } else {
        const a = this.test();
        if (this.atName('for')) args.push(this.comprehension(a, undefined, 'gen', a.line));
        else args.push(a);
      }
      if (!this.atOp(',')) break;
      this.pos++;
    }
    this.eat(')');
    return { k: 'call', fn, args, kwargs, line, starred };
  }
  private subscript(obj: Expr): Expr {
    const line = this.eat('[').line;
    const part = (): Expr | null => (this.atOp(':') || this.atOp(']') ? null : this.test());
    const lo = part();
    if (this.atOp(':')) {
      this.pos++;
      const hi = part();
      let step: Expr | null = null;
      if (this.atOp(':')) {
        this.pos++;
        step = part();
      }
      this.eat(']');
      return { k: 'slice', obj, lo, hi, step, line };
    }
    let index = lo!;
    if (this.atOp(',')) {
      const items = [index];
      while (this.atOp(',')) {
        this.pos++;
        if (this.atOp(']')) break;
        items.push(this.test());
      }
      index = { k: 'seq', kind: 'tuple', items, line };
    }
    this.eat(']');
    return { k: 'index', obj, index, line };
  }
  atom(): Expr {
    const t = this.peek();
    if (t === undefined) throw new ParseFail('unexpected end of expression');
    const line = t.line;
    if (t.kind === 'num') {
      this.pos++;
      return { k: 'const', v: parseNumber(t.text, line), line };
    }
    if (t.kind === 'str') {
      // Adjacent literals concatenate.
      let s = '';
      let f = false;
      let b = false;
      while (this.peek()?.kind === 'str') {
        const st = this.peek()!;
        s += st.str!;
        f = f || st.fstring === true;
        b = b || st.bytes === true;
        this.pos++;
      }
      if (f) return { k: 'const', v: unknown('f-string (formatted at import time) is not evaluated', line), line };
      if (b) return { k: 'const', v: unknown('bytes literal', line), line };
      return { k: 'const', v: str(s), line };
    }
    if (t.kind === 'name') {
      this.pos++;
      if (t.text === 'True' || t.text === 'False') return { k: 'const', v: { t: 'bool', v: t.text === 'True' }, line };
      if (t.text === 'None') return { k: 'const', v: NONE, line };
      if (['yield', 'await', 'lambda', 'def', 'class', 'import', 'from'].includes(t.text)) {
        throw new ParseFail(`'${t.text}' in an expression`);
      }
      return { k: 'name', id: t.text, line };
    }
    if (t.text === '...') {
      this.pos++;
      return { k: 'const', v: unknown('Ellipsis', line), line };
    }
    if (t.text === '(' || t.text === '[') {
      const close = t.text === '(' ? ')' : ']';
      this.pos++;
      if (this.atOp(close)) {
        this.pos++;
        return { k: 'seq', kind: close === ')' ? 'tuple' : 'list', items: [], line };
      }
      const first = this.starOrTest();
      if (this.atName('for')) {
        const c = this.comprehension(first, undefined, close === ')' ? 'gen' : 'list', line);
        this.eat(close);
        return c;
      }
      if (close === ')' && this.atOp(')')) {
        this.pos++;
        return first; // parenthesised expression
      }
      const items = [first];
      while (this.atOp(',')) {
        this.pos++;
        if (this.atOp(close)) break;
        items.push(this.starOrTest());
      }
      this.eat(close);
      return { k: 'seq', kind: close === ')' ? 'tuple' : 'list', items, line };
    }
    if (t.text === '{') {
      this.pos++;
      if (this.atOp('}')) {
        this.pos++;
        return { k: 'dict', entries: [], line };
      }
      if (this.atOp('**')) throw new ParseFail('dict unpacking');
      const first = this.test();
      if (this.atOp(':')) {
        this.pos++;
        const v = this.test();
        if (this.atName('for')) {
          const c = this.comprehension(first, v, 'dict', line);
          this.eat('}');
          return c;
        }
        const entries: [Expr, Expr][] = [[first, v]];
        while (this.atOp(',')) {
          this.pos++;
          if (this.atOp('}')) break;
          const k = this.test();
          this.eat(':');
          entries.push([k, this.test()]);
        }
        this.eat('}');
        return { k: 'dict', entries, line };
      }
      if (this.atName('for')) {
        const c = this.comprehension(first, undefined, 'set', line);
        this.eat('}');
        return c;
      }
      const items = [first];
      while (this.atOp(',')) {
        this.pos++;
        if (this.atOp('}')) break;
        items.push(this.test());
      }
      this.eat('}');
      return { k: 'seq', kind: 'set', items, line };
    }
    throw new ParseFail(`unexpected '${t.text}'`);
  }
  private starOrTest(): Expr {
    if (this.atOp('*')) {
      const line = this.line();
      this.pos++;
      this.bitOr();
      return { k: 'unsupported', what: 'starred expression', line };
    }
    return this.test();
  }
  private comprehension(elt: Expr, val: Expr | undefined, kind: 'list' | 'gen' | 'set' | 'dict', line: number): Expr {
    this.eat('for');
    const targets: string[] = [];
    const paren = this.atOp('(');
    if (paren) this.pos++;
    for (;;) {
      const n = this.peek();
      if (n?.kind !== 'name') throw new ParseFail('comprehension target');
      targets.push(n.text);
      this.pos++;
      if (!this.atOp(',')) break;
      this.pos++;
    }
    if (paren) this.eat(')');
    this.eat('in');
    const iter = this.orTest();
    const conds: Expr[] = [];
    while (this.atName('if')) {
      this.pos++;
      conds.push(this.orTestNoCond());
    }
    if (this.atName('for')) return { k: 'unsupported', what: 'nested comprehension', line };
    const c: Expr = { k: 'comp', kind, elt, targets, iter, conds, line };
    if (val !== undefined) c.val = val;
    return c;
  }
  private orTestNoCond(): Expr {
    return this.orTest();
  }
}

function parseNumber(text: string, line: number): PyValue {
  const t = text.replaceAll('_', '');
  if (/[jJ]$/.test(t)) return unknown('complex number', line);
  if (/^0[xX]/.test(t)) return { t: 'int', v: BigInt(t) };
  if (/^0[oO]/.test(t)) return { t: 'int', v: BigInt('0o' + t.slice(2)) };
  if (/^0[bB]/.test(t)) return { t: 'int', v: BigInt('0b' + t.slice(2)) };
  if (/^[0-9]+$/.test(t)) return { t: 'int', v: BigInt(t) };
  return { t: 'float', v: Number(t) };
}

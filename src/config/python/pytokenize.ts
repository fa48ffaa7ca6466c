// A Python tokenizer for settings files: physical → logical lines (brackets and backslashes join lines),
// indentation, comments, string literals with their escapes, numbers, names and operators. Only what is
// certainly a Python syntax error (unterminated string, unbalanced bracket, stray character) throws: the
// import of such a file fails, so graphite-web would not start.
import { ConfigError } from '../../errors.js';

export type TokKind = 'name' | 'num' | 'str' | 'op';

export interface Tok {
  kind: TokKind;
  /** Source text (for strings: the literal including quotes and prefix). */
  text: string;
  line: number;
  col: number;
  /** Decoded value of a string literal. */
  str?: string;
  /** String prefix flags. */
  fstring?: boolean;
  bytes?: boolean;
}

export interface LogicalLine {
  /** Indentation width (tabs to multiples of 8). */
  indent: number;
  /** First physical line. */
  line: number;
  tokens: Tok[];
}

const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '...',
  '!=',
  '%=',
  '&=',
  '**',
  '*=',
  '+=',
  '-=',
  '->',
  '//',
  '/=',
  ':=',
  '<<',
  '<=',
  '==',
  '>=',
  '>>',
  '@=',
  '^=',
  '|=',
  '%',
  '&',
  '(',
  ')',
  '*',
  '+',
  ',',
  '-',
  '.',
  '/',
  ':',
  ';',
  '<',
  '=',
  '>',
  '@',
  '[',
  ']',
  '^',
  '{',
  '|',
  '}',
  '~',
];
const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const NUMBER =
  /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)(?:[eE][+-]?[0-9](?:_?[0-9])*)?[jJ]?)/;
const NAME = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*/;
const STRING_START = /^([rRbBuUfF]{0,2})('''|"""|'|")/;

export function tokenizePython(text: string, file: string): LogicalLine[] {
  const src = text.replace(/\r\n?/g, '\n');
  const out: LogicalLine[] = [];
  const stack: { ch: string; line: number }[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let current: LogicalLine | null = null;
  const fail = (msg: string, at: number = line): never => {
    throw new ConfigError(`Python syntax error: ${msg}`, {
      file,
      line: at,
      expected: 'a Python module that imports (graphite-web would not start)',
    });
  };

  while (i < src.length) {
    if (current === null) {
      // Start of a logical line: measure the indentation; skip blank and comment-only lines.
      let indent = 0;
      let j = i;
      for (; j < src.length; j++) {
        const c = src[j];
        if (c === ' ') indent++;
        else if (c === '\t') indent = (Math.floor(indent / 8) + 1) * 8;
        else if (c === '\f') indent = 0;
        else break;
      }
      if (j >= src.length) break;
      if (src[j] === '\n' || src[j] === '#') {
        const nl = src.indexOf('\n', j);
        if (nl < 0) break;
        i = nl + 1;
        line++;
        lineStart = i;
        continue;
      }
      if (src[j] === '\\' && src[j + 1] === '\n') {
        i = j + 2;
        line++;
        lineStart = i;
        continue;
      }
      current = { indent, line, tokens: [] };
      i = j;
    }
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\f') {
      i++;
      continue;
    }
    if (c === '#') {
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? src.length : nl;
      continue;
    }
    if (c === '\\') {
      if (src[i + 1] === '\n') {
        i += 2;
        line++;
        lineStart = i;
        continue;
      }
      fail('unexpected character after line continuation character');
    }
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
      if (stack.length === 0) {
        out.push(current);
        current = null;
      }
      continue;
    }
    const col = i - lineStart;
    const sm = STRING_START.exec(src.slice(i, i + 5));
    if (sm) {
      const startLine = line;
      const prefix = sm[1]!.toLowerCase();
      const quote = sm[2]!;
      let j = i + sm[0].length;
      let body = '';
      for (;;) {
        if (j >= src.length) fail('unterminated string literal', startLine);
        const ch = src[j]!;
        if (ch === '\\') {
          body += ch + (src[j + 1] ?? '');
          if (src[j + 1] === '\n') line++;
          j += 2;
          continue;
        }
        if (src.startsWith(quote, j)) {
          j += quote.length;
          break;
        }
        if (ch === '\n') {
          if (quote.length === 1) fail('unterminated string literal', startLine);
          line++;
        }
        body += ch;
        j++;
      }
      const raw = prefix.includes('r');
      const tok: Tok = {
        kind: 'str',
        text: src.slice(i, j),
        line: startLine,
        col,
        str: raw ? body : decodeEscapes(body, prefix.includes('b')),
      };
      if (prefix.includes('f')) tok.fstring = true;
      if (prefix.includes('b')) tok.bytes = true;
      current.tokens.push(tok);
      if (line !== startLine) lineStart = src.lastIndexOf('\n', j - 1) + 1;
      i = j;
      continue;
    }
    const rest = src.slice(i, i + 64);
    const num = /^[0-9]|^\.[0-9]/.test(rest) ? NUMBER.exec(rest) : null;
    if (num) {
      current.tokens.push({ kind: 'num', text: num[0], line, col });
      i += num[0].length;
      continue;
    }
    const name = NAME.exec(src.slice(i, i + 256));
    if (name) {
      current.tokens.push({ kind: 'name', text: name[0], line, col });
      i += name[0].length;
      continue;
    }
    const found = OPERATORS.find((o) => src.startsWith(o, i));
    if (found === undefined) return fail(`invalid character ${JSON.stringify(c)}`);
    const op = found;
    if (op in OPENERS) stack.push({ ch: op, line });
    else if (op === ')' || op === ']' || op === '}') {
      const open = stack.pop();
      if (open === undefined) fail(`unmatched '${op}'`);
      if (OPENERS[open!.ch] !== op)
        fail(`closing parenthesis '${op}' does not match opening parenthesis '${open!.ch}' on line ${open!.line}`);
    }
    current.tokens.push({ kind: 'op', text: op, line, col });
    i += op.length;
  }
  if (stack.length > 0) fail(`'${stack[stack.length - 1]!.ch}' was never closed`, stack[stack.length - 1]!.line);
  if (current !== null && current.tokens.length > 0) out.push(current);
  return out;
}

function decodeEscapes(body: string, bytes: boolean): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[i + 1];
    if (n === undefined) {
      out += '\\';
      break;
    }
    i++;
    const simple: Record<string, string> = {
      '\\': '\\',
      "'": "'",
      '"': '"',
      a: '\x07',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
      '\n': '',
    };
    if (n in simple) {
      out += simple[n];
    } else if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out += String.fromCodePoint(Number.parseInt(m, 8));
      i += m.length - 1;
    } else if (n === 'x' && /^[0-9a-fA-F]{2}/.test(body.slice(i + 1))) {
      out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (!bytes && n === 'u' && /^[0-9a-fA-F]{4}/.test(body.slice(i + 1))) {
      out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else if (!bytes && n === 'U' && /^[0-9a-fA-F]{8}/.test(body.slice(i + 1))) {
      out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 9), 16));
      i += 8;
    } else {
      out += '\\' + n; // unknown escapes stay as written
    }
  }
  return out;
}

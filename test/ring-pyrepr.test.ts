import { describe, expect, it } from 'vitest';
import { plainNodeTuple, pyNodeTuple, pyRepr } from '../src/ring/pyrepr.js';

// Expected strings are Python 3's documented repr() behaviour (quote choice, backslash escapes,
// \xhh / \uhhhh / \Uhhhhhhhh for non-printables, printable non-ASCII kept).
describe('pyRepr', () => {
  it.each([
    ['', "''"],
    ['abc', "'abc'"],
    ["it's", `"it's"`],
    ['say "hi"', `'say "hi"'`],
    [`it's "x"`, `'it\\'s "x"'`],
    ['a\\b', "'a\\\\b'"],
    ['C:\\temp.x', "'C:\\\\temp.x'"],
    ['tab\there', "'tab\\there'"],
    ['nl\ncr\r', "'nl\\ncr\\r'"],
    ['\u0001\u001b[0m\u007f', "'\\x01\\x1b[0m\\x7f'"],
    ['\u000b\u000c', "'\\x0b\\x0c'"],
    ['é ß 指标 🚀', "'é ß 指标 🚀'"],
    ['\u0085\u00a0\u00ad', "'\\x85\\xa0\\xad'"],
    ['zero\u200bwidth', "'zero\\u200bwidth'"],
    ['\u2028\u3000', "'\\u2028\\u3000'"],
    ['\udc00', "'\\udc00'"],
    ['\u{e0001}', "'\\U000e0001'"],
    ['::1', "'::1'"],
  ])('repr(%j)', (s, want) => {
    expect(pyRepr(s)).toBe(want);
  });

  it('renders the node tuple as str() does', () => {
    expect(pyNodeTuple('10.0.0.1', 'a')).toBe("('10.0.0.1', 'a')");
    expect(pyNodeTuple('cache-03.example.com', null)).toBe("('cache-03.example.com', None)");
    expect(pyNodeTuple('::1', 'x')).toBe("('::1', 'x')");
    expect(pyNodeTuple('h', '')).toBe("('h', '')");
    expect(pyNodeTuple("o'neil", 'a\\b')).toBe(`("o'neil", 'a\\\\b')`);
  });

  it('plain (C/Go) tuples never escape', () => {
    expect(plainNodeTuple("o'neil", 'a\\b')).toBe("('o'neil', 'a\\b')");
    expect(plainNodeTuple('h', null)).toBe("('h', None)");
  });
});

// Python `re` patterns in JavaScript: close enough to check that a rule compiles and to apply it to metric
// names. Syntax JS cannot express is reported, never guessed.

export interface PyRegex {
  regex?: RegExp;
  /** Why the pattern could not be translated or compiled (JS syntax; Python may still accept it). */
  error?: string;
}

/** Translate a Python pattern: (?P<n>…) → (?<n>…), (?P=n) → \k<n>, \A, \Z, leading inline flags. */
export function pyRegex(pattern: string, flags = ''): PyRegex {
  let p = pattern;
  let f = flags;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(p);
  if (inline) {
    for (const c of inline[1]!) {
      if (c === 'i' || c === 'm' || c === 's') f += f.includes(c) ? '' : c;
      else if (c !== 'u' && c !== 'a') return { error: `inline flag (?${c}) has no JavaScript equivalent` };
    }
    p = p.slice(inline[0].length);
  }
  p = p
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>')
    .replace(/(^|[^\\])((?:\\\\)*)\\A/g, '$1$2^')
    .replace(/(^|[^\\])((?:\\\\)*)\\Z/g, '$1$2$(?![\\s\\S])');
  try {
    return { regex: new RegExp(p, f) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

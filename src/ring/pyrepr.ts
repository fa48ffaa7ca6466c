// Python 3 repr() of str, and str() of carbon's (server, instance) node tuple: carbon_ch and mmh3_ch
// replica keys are "%s:%d" % (node, i), so every quoting and escaping rule changes ring positions
// (ring-spec §2.1 and §9 pitfall 5). The one str repr of the suite: the settings evaluator (config/python) uses it too.

// Python's str.isprintable() is false for categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs (space excepted).
const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, '0');
}

/** repr(s) as Python 3 prints it. */
export function pyRepr(s: string): string {
  // Quote choice: single quotes unless the text has ' and no ".
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (let i = 0; i < s.length;) {
    const cp = s.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    if (cp === 0x5c) out += '\\\\';
    else if (cp === quote.charCodeAt(0)) out += '\\' + quote;
    else if (cp === 0x09) out += '\\t';
    else if (cp === 0x0a) out += '\\n';
    else if (cp === 0x0d) out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + hex(cp, 2);
    else if (cp < 0x7f) out += String.fromCharCode(cp);
    else if (isPrintable(cp)) out += String.fromCodePoint(cp);
    else if (cp <= 0xff) out += '\\x' + hex(cp, 2);
    else if (cp <= 0xffff) out += '\\u' + hex(cp, 4);
    else out += '\\U' + hex(cp, 8);
  }
  return out + quote;
}

function isPrintable(cp: number): boolean {
  if (cp >= 0xd800 && cp <= 0xdfff) return false; // a lone surrogate (Cs)
  return !NON_PRINTABLE.test(String.fromCodePoint(cp));
}

/** str((server, instance)) — e.g. ('10.0.0.1', 'a') or ('cache-03', None). */
export function pyNodeTuple(server: string, instance: string | null): string {
  return `(${pyRepr(server)}, ${instance === null ? 'None' : pyRepr(instance)})`;
}

/**
 * The same tuple as C and Go format it ("('%s', '%s')"): always single quotes, nothing escaped.
 * carbon-c-relay, buckytools and carbon-relay-ng build their carbon_ch keys this way.
 */
export function plainNodeTuple(server: string, instance: string | null): string {
  return instance === null ? `('${server}', None)` : `('${server}', '${instance}')`;
}

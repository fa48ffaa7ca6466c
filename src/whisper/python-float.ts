// Python's float formatting, digit for digit, so `whisper dump`, `fetch`, `diff` and `info FIELD` print
// what whisper's scripts print: repr() (shortest round-trip digits, exponent past 1e16 or below 1e-4),
// '%.Ng' (whisper-dump's '%10.35g': 35 significant digits of the exact binary value) and '%.Nf'
// (whisper-fetch's '%f'). C's printf rounds the exact value half to even; JS's toPrecision/toFixed
// round ties away from zero and stop at 1e21, so those are computed here from the exact decimal
// expansion of the double (BigInt), with fast paths for the common cases (0, small integers).

/** value = digits × 10^exp10, digits without leading zeros (x finite and > 0). */
interface ExactDecimal {
  digits: string;
  exp10: number;
}

const view = new DataView(new ArrayBuffer(8));
const pow5: bigint[] = [1n];

function fivePow(n: number): bigint {
  while (pow5.length <= n) pow5.push(pow5[pow5.length - 1]! * 5n);
  return pow5[n]!;
}

/** The exact decimal value of a positive finite double. */
function exactDecimal(x: number): ExactDecimal {
  if (Number.isSafeInteger(x)) return { digits: String(x), exp10: 0 };
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const e = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let pow2: number;
  if (e === 0) pow2 = -1074;
  else {
    mant |= 1n << 52n;
    pow2 = e - 1075;
  }
  if (pow2 >= 0) return { digits: (mant << BigInt(pow2)).toString(), exp10: 0 };
  // mant·2^pow2 = mant·5^-pow2 / 10^-pow2; drop factors of 2 first to keep the numbers small.
  while ((mant & 1n) === 0n && pow2 < 0) {
    mant >>= 1n;
    pow2++;
  }
  if (pow2 >= 0) return { digits: (mant << BigInt(pow2)).toString(), exp10: 0 };
  return { digits: (mant * fivePow(-pow2)).toString(), exp10: pow2 };
}

/** Round a digit string to `keep` digits, half to even; returns the digits and whether a carry added one. */
function roundDigits(digits: string, keep: number): { digits: string; carry: boolean } {
  if (digits.length <= keep) return { digits, carry: false };
  if (keep <= 0) {
    // Only the rounding of 0.digits to an integer (0 or 1) is asked for.
    const first = digits.charCodeAt(0) - 48;
    const up = keep === 0 && (first > 5 || (first === 5 && /[1-9]/.test(digits.slice(1))));
    return up ? { digits: '1', carry: true } : { digits: '', carry: false };
  }
  const head = digits.slice(0, keep);
  const next = digits.charCodeAt(keep) - 48;
  let up = next > 5;
  if (next === 5) up = /[1-9]/.test(digits.slice(keep + 1)) || (head.charCodeAt(keep - 1) - 48) % 2 === 1;
  if (!up) return { digits: head, carry: false };
  const bumped = (BigInt(head) + 1n).toString();
  return bumped.length > head.length ? { digits: bumped.slice(0, keep), carry: true } : { digits: bumped, carry: false };
}

function special(x: number): string | null {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return null;
}

function sign(x: number): string {
  return x < 0 || Object.is(x, -0) ? '-' : '';
}

function exponent(e: number): string {
  return `e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** digits d (no trailing zeros needed) with the decimal point after `decpt` digits, in fixed notation. */
function fixed(d: string, decpt: number): string {
  if (decpt <= 0) return `0.${'0'.repeat(-decpt)}${d}`;
  if (decpt >= d.length) return d + '0'.repeat(decpt - d.length);
  return `${d.slice(0, decpt)}.${d.slice(decpt)}`;
}

/** Python's repr(float) / str(float): 0.1, 1.0, 1e+16, 1e-05, nan, -inf, -0.0. */
export function pyFloatRepr(x: number): string {
  const s = special(x);
  if (s !== null) return s;
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() without an argument gives the shortest round-trip digits, as Python's repr does.
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(x.toExponential())!;
  const digits = m[2]! + (m[3] ?? '');
  const decpt = Number(m[4]) + 1;
  if (decpt <= -4 || decpt > 16) {
    return `${m[1]}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}${exponent(decpt - 1)}`;
  }
  const f = fixed(digits, decpt);
  return m[1]! + (f.includes('.') ? f : `${f}.0`);
}

/** Python's '%.{precision}g' % x (no '#' flag): trailing zeros and a bare point removed. */
export function pyFormatG(x: number, precision: number): string {
  const s = special(x);
  if (s !== null) return s;
  const p = precision === 0 ? 1 : precision;
  if (x === 0) return `${sign(x)}0`;
  const ex = exactDecimal(Math.abs(x));
  let decpt = ex.digits.length + ex.exp10;
  const r = roundDigits(ex.digits, p);
  if (r.carry) decpt++;
  const d = r.digits.replace(/0+$/, '') || '0';
  const e = decpt - 1;
  if (e < -4 || e >= p) return `${sign(x)}${d[0]}${d.length > 1 ? `.${d.slice(1)}` : ''}${exponent(e)}`;
  return sign(x) + fixed(d, decpt);
}

/** Python's '%.{decimals}f' % x, e.g. whisper-fetch's '%f' (6 decimals): 0.007812 for 0.0078125. */
export function pyFormatF(x: number, decimals = 6): string {
  const s = special(x);
  if (s !== null) return s;
  let digits: string;
  let decpt: number;
  if (x === 0) {
    digits = '';
    decpt = 0;
  } else {
    const ex = exactDecimal(Math.abs(x));
    decpt = ex.digits.length + ex.exp10;
    const r = roundDigits(ex.digits, decpt + decimals);
    digits = r.digits;
    if (r.carry) decpt++;
  }
  // The rounded value is digits × 10^(decpt − digits.length); write it with `decimals` places.
  const scaled = digits + '0'.repeat(Math.max(0, decpt + decimals - digits.length));
  const all = scaled.padStart(decimals + 1, '0');
  const int = all.slice(0, all.length - decimals);
  return `${sign(x)}${int}${decimals > 0 ? `.${all.slice(all.length - decimals)}` : ''}`;
}

/** Python's '%{width}s' / '%{width}.Ng': right-aligned in `width` columns. */
export function pad(text: string, width: number): string {
  return text.padStart(width, ' ');
}

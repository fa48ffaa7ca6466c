// Python's str() and repr() of evaluated values, as graphite-web and carbon would print them in messages
// and keys: shortest round-trip floats with Python's exponent rules, tuples with their trailing comma.
import { pyRepr as pyReprStr } from '../../ring/pyrepr.js';
import type { PyValue } from './pyvalue.js';

/** Python str() of a value, undefined when not representable. */
export function pyStr(v: PyValue): string | undefined {
  switch (v.t) {
    case 'str':
      return v.v;
    default:
      return pyRepr(v);
  }
}

/** Python repr() of a value. */
export function pyRepr(v: PyValue): string | undefined {
  switch (v.t) {
    case 'str':
      return pyReprStr(v.v);
    case 'int':
      return v.v.toString();
    case 'float':
      return pyFloatRepr(v.v);
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'list':
    case 'tuple': {
      const parts = v.items.map(pyRepr);
      if (parts.some((p) => p === undefined)) return undefined;
      if (v.t === 'list') return `[${parts.join(', ')}]`;
      return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
    }
    case 'dict': {
      const parts = v.entries.map(([k, x]) => {
        const a = pyRepr(k);
        const b = pyRepr(x);
        return a === undefined || b === undefined ? undefined : `${a}: ${b}`;
      });
      return parts.some((p) => p === undefined) ? undefined : `{${parts.join(', ')}}`;
    }
    default:
      return undefined;
  }
}

/** repr(float): shortest round-trip digits, exponent form below 1e-4 and from 1e16 on. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = mant.includes('.') ? mant : mant;
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const digits = mant.replace('-', '').replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exp >= 0) {
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    return `${sign}${intPart}.${frac === '' ? '0' : frac}`;
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

// Python values as the settings evaluator models them: str, int (bigint), float, bool, None, list, tuple, dict,
// and Unknown (what could not be evaluated, with the reason and the line: never a guess); truthiness and
// type names. Parsing is pyparse.ts, evaluation pyeval.ts, repr()/str() pyvalue-repr.ts.

export type PyValue =
  | { t: 'str'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | { t: 'list'; items: PyValue[]; lines?: number[] }
  | { t: 'tuple'; items: PyValue[]; lines?: number[] }
  | { t: 'dict'; entries: [PyValue, PyValue][] }
  | { t: 'unknown'; reason: string; line: number }
  /** Internal: a module (os, os.path, os.environ) or a function we know how to call. */
  | { t: 'ref'; name: string };

export type Unknown = Extract<PyValue, { t: 'unknown' }>;

/** One read of the environment. */
export interface EnvUse {
  name: string;
  line: number;
  /** 'env': taken from the supplied environment; 'default': the default argument was used; 'missing': no value. */
  from: 'env' | 'default' | 'missing';
  value?: string;
}

export const NONE: PyValue = { t: 'none' };
export const str = (v: string): PyValue => ({ t: 'str', v });
export const unknown = (reason: string, line: number): Unknown => ({ t: 'unknown', reason, line });

export function isUnknown(v: PyValue): v is Unknown {
  return v.t === 'unknown';
}

/** Python truthiness; undefined for unknown values. */
export function truthy(v: PyValue): boolean | undefined {
  switch (v.t) {
    case 'str':
      return v.v !== '';
    case 'int':
      return v.v !== 0n;
    case 'float':
      return v.v !== 0;
    case 'bool':
      return v.v;
    case 'none':
      return false;
    case 'list':
    case 'tuple':
      return v.items.length > 0;
    case 'dict':
      return v.entries.length > 0;
    default:
      return undefined;
  }
}

export function typeName(v: PyValue): string {
  switch (v.t) {
    case 'none':
      return 'None';
    case 'ref':
      return v.name.replace(/^builtin:|^method:/, '');
    default:
      return v.t;
  }
}

// What the carbon-c-relay daemon does to a metric name before hashing it (ring-spec §4.5, rules 1-8),
// modelled on the line the relay receives: `<name> <value> <timestamp>`.
//
// Before the first space: leading separators are skipped, a tab becomes a space, a separator equal to
// the previous output character (or right after the first space) is dropped, a dot right before the
// first space is dropped, and bytes other than [A-Za-z0-9] and the allowed set become '_' (byte by
// byte, so 'é' becomes '__'). After the first space only the separator rules apply. The first ';'
// (unless ';' is allowed) ends the routing key and the rest of the line is forwarded verbatim. The
// hashed key ends at that ';' or else at the first space, so it can contain a space ("a b;c=d" is
// hashed as "a b"). A line left with no name is not routed as this metric; CR/LF end the line.
import { encodeUtf8, scratch } from './hash/utf8.js';

/** carbon-c-relay's default for `-c`: characters kept besides A-Z a-z 0-9. */
export const CRELAY_DEFAULT_ALLOWED = '-_:#';

export const REASON_NOTHING_LEFT = 'nothing left of the name after cleaning: the relay takes the next field (the value) as the metric name';
export const REASON_LINE_ENDS = 'the name contains CR or LF: the relay ends the line there and discards a line without a value';

const SPACE = 0x20;
const TAB = 0x09;
const DOT = 0x2e;
const SEMI = 0x3b;
const LF = 0x0a;
const CR = 0x0d;
const UNDERSCORE = 0x5f;

const decoder = new TextDecoder('utf-8');

/** Outcome of one cleaning; fields are overwritten by the next call (no allocation for clean names). */
export interface CrelayCleaned {
  /** True when the relay does not route the line under this name (owners: none). */
  dropped: boolean;
  reason: string | undefined;
  /** The name as forwarded (=== the input when nothing changed). */
  routedAs: string;
  /** The text hashed (=== routedAs when the whole name is the key). */
  hashKey: string;
}

export class CrelaySanitizer {
  private readonly allowed = new Uint8Array(256);
  private readonly tagsSupported: boolean;
  private out = new Uint8Array(512);
  readonly result: CrelayCleaned = { dropped: false, reason: undefined, routedAs: '', hashKey: '' };

  constructor(allowedChars: string = CRELAY_DEFAULT_ALLOWED) {
    for (let c = 0x30; c <= 0x39; c++) this.allowed[c] = 1;
    for (let c = 0x41; c <= 0x5a; c++) this.allowed[c] = 1;
    for (let c = 0x61; c <= 0x7a; c++) this.allowed[c] = 1;
    // The relay compares `char`s: only ASCII members of the set can ever match.
    for (let i = 0; i < allowedChars.length; i++) {
      const c = allowedChars.charCodeAt(i);
      if (c < 0x80 && c !== 0) this.allowed[c] = 1;
    }
    this.tagsSupported = !allowedChars.includes(';');
    // Separators are handled before the allowed set is consulted.
    this.allowed[SPACE] = 0;
    this.allowed[TAB] = 0;
    this.allowed[DOT] = 0;
  }

  /** Clean `metric` as the daemon does; read the outcome from `this.result`. */
  clean(metric: string): CrelayCleaned {
    const r = this.result;
    if (this.isClean(metric)) {
      r.dropped = false;
      r.reason = undefined;
      r.routedAs = metric;
      r.hashKey = metric;
      return r;
    }
    return this.cleanSlow(metric);
  }

  /** Names the relay forwards unchanged and hashes whole: allowed characters and single inner dots. */
  private isClean(s: string): boolean {
    const n = s.length;
    if (n === 0) return false;
    const allowed = this.allowed;
    let prevDot = true; // a leading dot is not clean
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c === DOT) {
        if (prevDot) return false;
        prevDot = true;
      } else {
        if (c >= 0x80 || allowed[c] === 0) return false;
        prevDot = false;
      }
    }
    return !prevDot; // a trailing dot is dropped
  }

  private cleanSlow(metric: string): CrelayCleaned {
    const r = this.result;
    const len = encodeUtf8(metric);
    const src = scratch();
    if (this.out.length < len + 1) this.out = new Uint8Array(Math.max(len + 1, this.out.length * 2));
    const out = this.out;
    const allowed = this.allowed;
    let q = 0;
    let firstSpace = -1;
    let verbatim = false; // after the first ';': copied untouched
    let lineEnds = false;
    for (let i = 0; i < len; i++) {
      let c = src[i]!;
      if (c === LF || c === CR) {
        lineEnds = true;
        break;
      }
      if (verbatim) {
        out[q++] = c;
      } else if (c === SPACE || c === TAB || c === DOT) {
        if (q === 0) continue; // leading separators
        if (c === TAB) c = SPACE;
        if (c === SPACE && firstSpace < 0) {
          if (out[q - 1] === DOT) q--; // no trailing dot on the name
          firstSpace = q;
          out[q++] = SPACE;
        } else if (out[q - 1] !== c && q - 1 !== firstSpace) {
          out[q++] = c;
        }
      } else if (c === SEMI && this.tagsSupported) {
        verbatim = true;
        firstSpace = q; // the routing key ends here
        out[q++] = c;
      } else if (firstSpace >= 0 || allowed[c] === 1) {
        out[q++] = c;
      } else {
        out[q++] = UNDERSCORE;
      }
    }
    if (lineEnds) {
      if (q === 0 || firstSpace < 0) return this.drop(lineEndsReason(q));
    } else if (!verbatim) {
      // The space before the value, processed like any other separator.
      if (q === 0) return this.drop(REASON_NOTHING_LEFT);
      if (firstSpace < 0) {
        if (out[q - 1] === DOT) q--;
        firstSpace = q;
      } else if (out[q - 1] === SPACE) {
        q--; // the value's separator collapses into the name's trailing space
      }
    }
    const routed = decoder.decode(out.subarray(0, q));
    r.dropped = false;
    r.reason = undefined;
    r.routedAs = routed === metric ? metric : routed;
    r.hashKey = firstSpace === q ? r.routedAs : decoder.decode(out.subarray(0, firstSpace));
    return r;
  }

  private drop(reason: string): CrelayCleaned {
    const r = this.result;
    r.dropped = true;
    r.reason = reason;
    r.routedAs = '';
    r.hashKey = '';
    return r;
  }
}

function lineEndsReason(q: number): string {
  return q === 0 ? REASON_NOTHING_LEFT : REASON_LINE_ENDS;
}

/**
 * carbon-c-relay test mode (`-t`) and raw-key models: nothing is cleaned, the key is the text up to
 * the first space (tags included).
 */
export function crelayRawKey(metric: string): string {
  for (let i = 0; i < metric.length; i++) {
    const c = metric.charCodeAt(i);
    if (c === SPACE || c === LF || c === CR) return metric.slice(0, i);
  }
  return metric;
}

// Hand-built JSON lines for hot output paths: JSON.stringify on an object per line costs more than the
// ring lookup itself, so strings are quoted directly and only unusual ones go through JSON.stringify.

// Characters that must be escaped in a JSON string, plus surrogates (a lone one must become \udXXX,
// which JSON.stringify does; valid pairs are rare in metric names, so sending them the slow way is fine).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** True when `s` cannot be put between quotes as is. */
export function needsJsonEscape(s: string): boolean {
  return NEEDS_ESCAPE.test(s);
}

/** A JSON string literal for `s`, identical to JSON.stringify(s). */
export function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

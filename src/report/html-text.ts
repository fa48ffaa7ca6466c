// Escaping and number formatting for the HTML report. Every number a table shows is written twice: as
// the text a person reads and, in data-value, exactly as the command's --json prints it, so the report
// can be checked against --json (and copied into a spreadsheet) without parsing rounded text.
import { formatBytes, formatDuration, formatPercent, formatRate } from '../units.js';

/** Text content and attribute values: & < > " ' escaped. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A share of the keyspace (fraction 0..1) as a percentage with three decimals, like the text output. */
export function pctText(x: number, digits = 3): string {
  return formatPercent(x, digits);
}

/** An integer count with thousands separators. */
export function countText(n: number): string {
  return n.toLocaleString('en-US');
}

export function bytesText(n: number): string {
  return formatBytes(n);
}

/** Bytes per second, as the CLI prints a rate. */
export function rateText(bytesPerSecond: number): string {
  return formatRate(bytesPerSecond);
}

export function secondsText(s: number): string {
  return formatDuration(s);
}

/** Shortest exact text of a number as JSON writes it. */
export function jsonNumber(x: number): string {
  return Number.isFinite(x) ? JSON.stringify(x) : 'null';
}

/** SVG coordinates: two decimals at most, no trailing zeros. */
export function coord(x: number): string {
  return String(Math.round(x * 100) / 100);
}

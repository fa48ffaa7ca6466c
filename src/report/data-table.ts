// The tables beside every chart: the numbers a chart draws, readable by screen readers, printable, and
// checkable — each numeric cell carries its exact value in data-value, and the table its name in
// data-table, so a test (or a person with the browser's inspector) can read them back.
import { bytesText, countText, esc, jsonNumber, pctText, secondsText } from './html-text.js';

export interface Cell {
  text: string;
  /** Exact number behind the text (a numeric column). */
  value?: number | undefined;
  /** Raw HTML instead of escaped text (already escaped by the caller). */
  html?: string;
  /** Colour swatch before the text. */
  swatch?: string;
  cls?: string;
  /** More exact numbers behind the text, as data-NAME attributes (e.g. bytes beside files). */
  data?: Record<string, number>;
}

export type CellSpec = string | Cell;

export interface TableOptions {
  /** Name for tests and anchors (data-table). */
  id: string;
  caption: string;
  head: readonly string[];
  rows: readonly CellSpec[][];
  /** Hover key per row (data-k), matching the chart's elements. */
  rowKeys?: readonly (string | number | undefined)[];
  /** Offer a filter box (long tables). Default: more than 12 rows. */
  filter?: boolean;
  /** A line under the table (e.g. "… 40 more in plan.ndjson"). */
  note?: string;
}

export function dataTable(o: TableOptions): string {
  const filter = o.filter ?? o.rows.length > 12;
  const head = o.head.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  const body = o.rows
    .map((r, i) => {
      const k = o.rowKeys?.[i];
      const attr = k === undefined ? '' : ` data-k="${esc(String(k))}"`;
      return `<tr${attr}>${r.map(cellHtml).join('')}</tr>`;
    })
    .join('\n');
  return [
    filter
      ? `<input class="filter" type="search" placeholder="filter rows" aria-label="filter ${esc(o.caption)}" data-filter="${esc(o.id)}">`
      : '',
    `<div class="table-wrap"><table class="data" data-table="${esc(o.id)}">`,
    `<caption>${esc(o.caption)}</caption>`,
    `<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`,
    o.note === undefined ? '' : `<p class="note">${esc(o.note)}</p>`,
  ].join('');
}

function cellHtml(c: CellSpec): string {
  if (typeof c === 'string') return `<td>${esc(c)}</td>`;
  const sw = c.swatch === undefined ? '' : `<span class="swatch" style="background:${c.swatch}"></span>`;
  const content = c.html ?? esc(c.text);
  const numeric = c.value !== undefined;
  const cls = [numeric ? 'num' : '', c.cls ?? ''].filter((x) => x !== '').join(' ');
  const clsAttr = cls === '' ? '' : ` class="${cls}"`;
  const v = numeric ? ` data-value="${jsonNumber(c.value!)}"` : '';
  const more = Object.entries(c.data ?? {})
    .map(([k, x]) => ` data-${k}="${jsonNumber(x)}"`)
    .join('');
  return `<td${clsAttr}${v}${more}>${sw}${content}</td>`;
}

export const share = (x: number, digits = 3): Cell => ({ text: pctText(x, digits), value: x });
export const count = (n: number): Cell => ({ text: countText(n), value: n });
export const bytes = (n: number): Cell => ({ text: bytesText(n), value: n });
export const seconds = (s: number): Cell => ({ text: secondsText(s), value: s });
export const ratio = (x: number, digits = 3): Cell => ({ text: x.toFixed(digits), value: x });
export const label = (text: string, swatch?: string): Cell => (swatch === undefined ? { text, cls: 'lbl' } : { text, swatch, cls: 'lbl' });

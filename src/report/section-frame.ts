// The frame every report section shares: a heading with an anchor, a lead paragraph, figures of a chart
// with its table beside it.
import { esc } from './html-text.js';

export function section(id: string, title: string, lead: string, body: string): string {
  return `<section id="${esc(id)}" data-section="${esc(id)}"><h2><a href="#${esc(id)}">${esc(title)}</a></h2>${lead === '' ? '' : `<p class="lead">${lead}</p>`}${body}</section>`;
}

/** A chart and its table, side by side when there is room. */
export function figure(caption: string, chart: string, table: string, cls = ''): string {
  return `<figure class="figure${cls === '' ? '' : ` ${cls}`}"><figcaption>${esc(caption)}</figcaption><div class="fig-body"><div class="chart">${chart}</div><div class="fig-table">${table}</div></div></figure>`;
}

/** Key figures in a row of boxes: label and value (value already escaped HTML). */
export function keyFigures(items: readonly { label: string; value: string; title?: string }[]): string {
  return `<dl class="figures">${items.map((i) => `<div${i.title === undefined ? '' : ` title="${esc(i.title)}"`}><dt>${esc(i.label)}</dt><dd>${i.value}</dd></div>`).join('')}</dl>`;
}

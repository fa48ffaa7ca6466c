// "Where files stand": the audit's classes per location as stacked bars (files), the totals per class,
// why misplaced files are where they are (examples), live vs stale when the findings carry liveness, and
// the prefixes with the most files per class. Numbers are the audit's `{"summary":…}` line.
import { barsSvg, type BarRow } from './svg-bars.js';
import { CLASS_COLOURS, NEUTRAL_COLOUR, type ColourKeys } from './palette.js';
import { bytes, count, dataTable, label, share, type CellSpec } from './data-table.js';
import { bytesText, countText, esc, pctText } from './html-text.js';
import type { AuditInput } from './report-input.js';
import { figure, keyFigures, section } from './section-frame.js';

/** What each summary row means, in a line (the audit's --help, shortened). */
export const CLASS_MEANING: Record<string, string> = {
  ok: 'held by an owner of the metric under the current ring',
  'misplaced:old-ring': 'no owner here; an owner under the old ring (left by the ring change)',
  'misplaced:double-dot-confirmed': 'no owner here; the relay hashes a raw double-dot name here (confirmed by the names file)',
  'misplaced:double-dot-suspected': 'no owner here; a one-dot variant of the name hashes here (a guess)',
  'misplaced:cleansing': 'no owner here; carbon-c-relay would rewrite the name',
  'misplaced:unexplained': 'no owner here, and no explanation',
  'extra-copy': 'an unexplained copy of a metric every owner already holds',
  'missing-replica': 'an owner lacks a file another location holds (absent files: what a copy would take)',
  'self-metric': "the caches' own metrics, written locally",
  'trailing-dot': 'written for a raw name ending in a dot',
  'tagged-hashed': 'a tagged series stored by hash: placement cannot be checked',
  malformed: 'a path carbon-cache cannot have written',
  symlink: 'a symbolic link',
  unreadable: 'could not be read',
};

export function auditSection(a: AuditInput, colours: ColourKeys): string {
  const s = a.summary;
  const rows = Object.keys(s.classes);
  const locs = s.locations.map((l) => l.id);
  const files = (row: string): number => s.classes[row]?.files ?? 0;
  const misplaced = rows.filter((r) => r.startsWith('misplaced:')).reduce((n, r) => n + files(r), 0);
  const figs = [
    { label: 'files on disk', value: esc(countText(s.files)) },
    { label: 'bytes on disk', value: esc(bytesText(s.bytes)) },
    { label: 'ok', value: esc(`${countText(files('ok'))} (${pctText(s.files > 0 ? files('ok') / s.files : 0, 1)})`) },
    { label: 'misplaced', value: esc(countText(misplaced)) },
    { label: 'missing replicas', value: esc(countText(files('missing-replica'))) },
  ];
  const colourOf = (row: string): string => CLASS_COLOURS[row] ?? NEUTRAL_COLOUR;
  const barRows: BarRow[] = locs.map((loc) => ({
    label: loc,
    key: colours.slot(loc),
    bars: [
      {
        segments: rows.map((row) => {
          const c = s.classes[row]!.nodes[loc];
          return {
            value: c?.files ?? 0,
            colour: colourOf(row),
            hollow: row === 'missing-replica',
            title: `${loc}, ${row}: ${countText(c?.files ?? 0)} files, ${bytesText(c?.bytes ?? 0)}`,
          };
        }),
      },
    ],
  }));
  const legend = `<ul class="legend">${rows.map((r) => `<li><span class="swatch${r === 'missing-replica' ? ' hollow' : ''}" style="${r === 'missing-replica' ? `border-color:${colourOf(r)}` : `background:${colourOf(r)}`}"></span>${esc(r)}</li>`).join('')}</ul>`;
  const perLocation = dataTable({
    id: 'audit-locations',
    caption: 'files per location and class (bytes in the tooltip and data-bytes)',
    head: ['location', ...rows],
    rows: locs.map((loc) => [
      label(loc, colours.colour(loc)),
      ...rows.map((row): CellSpec => {
        const c = s.classes[row]!.nodes[loc];
        if (c === undefined) return { text: '–', value: 0, data: { bytes: 0 } };
        return {
          text: countText(c.files),
          value: c.files,
          data: { bytes: c.bytes },
          html: `<span title="${esc(bytesText(c.bytes))}">${esc(countText(c.files))}</span>`,
        };
      }),
    ]),
    rowKeys: locs.map((l) => colours.slot(l)),
  });
  const parts: string[] = [keyFigures(figs)];
  parts.push(
    figure(
      'Files per location, by class',
      legend + barsSvg({ title: 'audit classes per location (files)', rows: barRows, format: (v) => countText(Math.round(v)) }),
      perLocation,
      'wide',
    ),
  );
  parts.push(
    dataTable({
      id: 'audit-classes',
      caption: 'files and bytes per class',
      head: ['class', 'files', 'bytes', 'what it means'],
      rows: rows.map((row) => [label(row, colourOf(row)), count(files(row)), bytes(s.classes[row]!.bytes), CLASS_MEANING[row] ?? '']),
      filter: false,
    }),
  );
  const exRows = Object.entries(a.digest.examples).filter(([row]) => row !== 'ok');
  if (exRows.length > 0) {
    const items = exRows
      .map(
        ([row, ex]) =>
          `<details${row.startsWith('misplaced') ? ' open' : ''}><summary><span class="swatch" style="background:${colourOf(row)}"></span>${esc(row)}: ${esc(countText(files(row)))} ${files(row) === 1 ? 'file' : 'files'}${ex.length < files(row) ? `, the first ${ex.length}` : ''}</summary><ul class="examples">${ex
            .map((e) => `<li><code>${esc(e.metric ?? e.path)}</code> at <b>${esc(e.node)}</b>: ${esc(e.why)}</li>`)
            .join('')}</ul></details>`,
      )
      .join('');
    parts.push(
      `<h3>Why files are where they are</h3>${items}${a.findingsFile ? `<p class="note">Every finding: <a href="${esc(a.findingsFile)}">${esc(a.findingsFile)}</a> (NDJSON).</p>` : ''}`,
    );
  }
  if (a.digest.liveness) parts.push(livenessPart(a, colourOf));
  const prefixRows: CellSpec[][] = [];
  for (const [row, list] of Object.entries(a.digest.prefixes))
    for (const p of list) prefixRows.push([label(row, colourOf(row)), { text: p.prefix, cls: 'mono' }, count(p.files), bytes(p.bytes)]);
  if (prefixRows.length > 0)
    parts.push(
      `<h3>Top prefixes per class</h3>` +
        dataTable({
          id: 'audit-prefixes',
          caption: `prefixes (first ${a.digest.prefixDepth} segments) with the most files, per class`,
          head: ['class', 'prefix', 'files', 'bytes'],
          rows: prefixRows,
        }),
    );
  const notes = [
    `ring: ${s.ring}`,
    ...(s.oldRing ? [`old ring: ${s.oldRing}`] : []),
    ...(s.relay ? [`relay: ${s.relay}`] : []),
    ...(s.warnings ?? []),
  ];
  parts.push(`<ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  return section(
    'audit',
    'Where files stand',
    esc('Every file of every storage location, checked against the ring (ringshift audit).'),
    parts.join(''),
  );
}

function livenessPart(a: AuditInput, colourOf: (row: string) => string): string {
  const live = a.digest.liveness!;
  const rows = Object.entries(live);
  const chart = barsSvg({
    title: 'live vs stale files per class',
    format: (v) => countText(Math.round(v)),
    rows: rows.map(([row, l]) => ({
      label: row,
      bars: [
        {
          segments: [
            { value: l.live.files, colour: colourOf(row), title: `${row}: ${l.live.files} live` },
            { value: l.stale.files, colour: colourOf(row), hollow: true, title: `${row}: ${l.stale.files} stale` },
            { value: l.unknown.files, colour: NEUTRAL_COLOUR, title: `${row}: ${l.unknown.files} unknown` },
          ],
        },
      ],
    })),
  });
  const table = dataTable({
    id: 'audit-liveness',
    caption: 'live (a relay still writes there) and stale files per class',
    head: ['class', 'live', 'live bytes', 'stale', 'stale bytes', 'unknown', 'live share'],
    rows: rows.map(([row, l]) => {
      const known = l.live.files + l.stale.files;
      return [
        label(row, colourOf(row)),
        count(l.live.files),
        bytes(l.live.bytes),
        count(l.stale.files),
        bytes(l.stale.bytes),
        count(l.unknown.files),
        share(known > 0 ? l.live.files / known : 0, 1),
      ];
    }),
  });
  return figure('Live vs stale (solid: live, outline: stale)', chart, table);
}

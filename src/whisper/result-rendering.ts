// Text and JSON renderings of whisper results for the commands. Text forms are what whisper's own scripts
// print (whisper-dump, whisper-fetch, whisper-info FIELD, whisper-diff), so output can be compared line
// for line; JSON is NDJSON whose numbers keep -0 and use the strings "NaN", "Infinity", "-Infinity" for
// the values JSON cannot hold (as the shared vectors do).
import { POINT_SIZE, retentionString, type WhisperInfo } from './file-format.js';
import type { FetchResult } from './fetch.js';
import { pad, pyFloatRepr, pyFormatF, pyFormatG } from './python-float.js';
import { ctime, strftime } from './python-time.js';
import type { WhisperFile } from './file.js';
import type { FillReport } from './fill-gaps.js';
import type { VerifyResult } from './verify.js';
import type { UpdateReport } from './update.js';
import type { ResizeReport } from './resize.js';
import type { ArchiveDiff } from './diff.js';
import type { SetHeaderResult } from './set-header.js';
import type { BatchResult, BatchSummary } from './fill-batch.js';
import { plural } from '../units.js';

/** A value as JSON text: a number, or "NaN"/"Infinity"/"-Infinity". */
export function jsonValue(v: number | null): string {
  if (v === null) return 'null';
  if (Number.isNaN(v)) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  return Object.is(v, -0) ? '-0.0' : String(v);
}

export function infoText(path: string, info: WhisperInfo & { fileSize: number }): string[] {
  const lines = [
    `file: ${path}`,
    `aggregationMethod: ${info.aggregationMethod}`,
    `maxRetention: ${info.maxRetention}`,
    `xFilesFactor: ${info.xFilesFactor}`,
    `fileSize: ${info.fileSize}`,
  ];
  info.archives.forEach((a, i) => {
    lines.push(
      '',
      `Archive ${i} (${retentionString(a)})`,
      `offset: ${a.offset}`,
      `secondsPerPoint: ${a.secondsPerPoint}`,
      `points: ${a.points}`,
      `retention: ${a.retention}`,
      `size: ${a.size}`,
    );
  });
  return lines;
}

/** whisper-fetch --drop: which values to leave out (Python's filters: `x != 0`, `x is not None`). */
export type DropMode = 'nulls' | 'zeroes' | 'empty';

export function keepValue(v: number | null, drop: DropMode | undefined): boolean {
  if (drop === 'nulls') return v !== null;
  if (drop === 'zeroes') return v !== 0; // None != 0 and NaN != 0 in Python: both kept
  if (drop === 'empty') return v !== null && v !== 0;
  return true;
}

/** How times are shown: unix seconds, or --pretty's time.ctime() / --time-format's strftime (local time). */
export interface TimeStyle {
  pretty?: boolean | undefined;
  timeFormat?: string | undefined;
}

export function timeText(t: number, style: TimeStyle): string {
  if (!style.pretty) return String(t);
  return style.timeFormat === undefined ? ctime(t) : strftime(style.timeFormat, t);
}

/**
 * One JSON line. With --drop the kept values are listed as whisper-fetch lists them, plus their
 * timestamps in "timestamps" (whisper's list alone no longer says which time a value belongs to).
 */
export function fetchJson(r: FetchResult | null, drop?: DropMode): string {
  if (r === null) return 'null';
  const head = `{"start":${r.start},"end":${r.end},"step":${r.step}`;
  if (drop === undefined) return `${head},"values":[${r.values.map(jsonValue).join(',')}]}`;
  const times: number[] = [];
  const values: string[] = [];
  r.values.forEach((v, k) => {
    if (!keepValue(v, drop)) return;
    times.push(r.start + k * r.step);
    values.push(jsonValue(v));
  });
  return `${head},"values":[${values.join(',')}],"timestamps":[${times.join(',')}]}`;
}

/**
 * whisper-fetch.py's text form: "timestamp<TAB>value" per step, the value as Python's '%f', None for
 * missing. With --drop each kept value keeps its own timestamp (whisper-fetch prints the dropped
 * values' times against the later values: a bug not reproduced).
 */
export function* fetchText(r: FetchResult, style: TimeStyle = {}, drop?: DropMode): Generator<string> {
  for (let k = 0; k < r.values.length; k++) {
    const v = r.values[k]!;
    if (!keepValue(v, drop)) continue;
    yield `${timeText(r.start + k * r.step, style)}\t${v === null ? 'None' : pyFormatF(v, 6)}`;
  }
}

/** whisper-info.py FIELD: print(info[field]) — Python's str() of the value. */
export function infoFieldText(info: WhisperInfo & { fileSize: number }, field: string): string {
  switch (field) {
    case 'aggregationMethod':
      return info.aggregationMethod;
    case 'maxRetention':
      return String(info.maxRetention);
    case 'xFilesFactor':
      return pyFloatRepr(info.xFilesFactor);
    case 'fileSize':
      return String(info.fileSize);
    case 'archives':
      return `[${info.archives
        .map(
          (a) =>
            `{'offset': ${a.offset}, 'secondsPerPoint': ${a.secondsPerPoint}, 'points': ${a.points}, 'retention': ${a.retention}, 'size': ${a.size}}`,
        )
        .join(', ')}]`;
    default:
      throw new RangeError(`unknown field ${field}`);
  }
}

/** The fields whisper-info.py knows, in its order. */
export const INFO_FIELDS = ['aggregationMethod', 'maxRetention', 'xFilesFactor', 'archives', 'fileSize'] as const;

export function fillReportJson(r: FillReport, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...extra, ...r });
}

export function fillReportText(r: FillReport, verb: string, dryRun: boolean): string[] {
  const lines = r.archives.map(
    (a) =>
      `  archive ${a.index} (${retentionString({ secondsPerPoint: a.secondsPerPoint, retention: a.secondsPerPoint * a.points })}): ${a.filled} slots ${dryRun ? `would be ${verb}` : verb}`,
  );
  const head = dryRun
    ? `${r.dst}: ${r.total} slots would be ${verb} from ${r.src} (dry run, nothing written)`
    : r.changed
      ? `${r.dst}: ${r.total} slots ${verb} from ${r.src}`
      : `${r.dst}: unchanged (nothing to take from ${r.src})`;
  return [head, ...lines];
}

export function verifyLine(r: VerifyResult, json: boolean): string {
  if (json) return JSON.stringify(r);
  if (r.ok) return `ok       ${r.path}  ${r.layout} ${r.info!.aggregationMethod} xff=${r.info!.xFilesFactor}`;
  return `CORRUPT  ${r.path}: ${r.error}`;
}

/**
 * whisper-dump.py's text, line for line: the header, every archive's info, then every slot of every
 * archive as "slot: timestamp, value" with the value as '%10.35g' (35 significant digits of the exact
 * double). Read one chunk of slots at a time so memory stays small for any file.
 */
export function* dumpText(file: WhisperFile, style: TimeStyle = {}): Generator<string> {
  const h = file.header;
  yield 'Meta data:';
  yield `  aggregation method: ${h.aggregationMethod}`;
  yield `  max retention: ${h.maxRetention}`;
  yield `  xFilesFactor: ${pyFormatG(h.xFilesFactor, 6)}`;
  yield '';
  for (const a of h.archives) {
    yield `Archive ${a.index} info:`;
    yield `  offset: ${a.offset}`;
    yield `  seconds per point: ${a.secondsPerPoint}`;
    yield `  points: ${a.points}`;
    yield `  retention: ${a.retention}`;
    yield `  size: ${a.size}`;
    yield '';
  }
  for (const a of h.archives) {
    yield `Archive ${a.index} data:`;
    for (const [first, buf] of slotChunks(file, a.index)) {
      const lines: string[] = new Array(buf.length / POINT_SIZE);
      for (let k = 0; k < lines.length; k++) {
        const ts = buf.readUInt32BE(k * POINT_SIZE);
        const v = buf.readDoubleBE(k * POINT_SIZE + 4);
        lines[k] = `${first + k}: ${timeText(ts, style)}, ${pad(pyFormatG(v, 35), 10)}`;
      }
      yield lines.join('\n');
    }
  }
}

/**
 * whisper dump --json: NDJSON, a header line then one line per archive with its slots in storage order
 * as [timestamp, value] ("NaN"/"Infinity"/"-Infinity" for those values).
 */
export function* dumpJson(file: WhisperFile): Generator<string> {
  const h = file.header;
  yield `{"aggregationMethod":"${h.aggregationMethod}","maxRetention":${h.maxRetention},"xFilesFactor":${h.xFilesFactor},"fileSize":${file.size},"archiveCount":${h.archives.length}}`;
  for (const a of h.archives) {
    const parts = [
      `{"archive":${a.index},"offset":${a.offset},"secondsPerPoint":${a.secondsPerPoint},"points":${a.points},"retention":${a.retention},"size":${a.size},"slots":[`,
    ];
    for (const [first, buf] of slotChunks(file, a.index)) {
      let text = '';
      for (let k = 0; k < buf.length / POINT_SIZE; k++) {
        text += `${first + k > 0 ? ',' : ''}[${buf.readUInt32BE(k * POINT_SIZE)},${jsonValue(buf.readDoubleBE(k * POINT_SIZE + 4))}]`;
      }
      parts.push(text);
    }
    parts.push(']}');
    yield parts.join('');
  }
}

function* slotChunks(file: WhisperFile, ai: number, chunk = 4096): Generator<[number, Buffer]> {
  const a = file.archive(ai);
  for (let first = 0; first < a.points; first += chunk) yield [first, file.slots(ai, first, Math.min(chunk, a.points - first))];
}

export function updateReportText(r: UpdateReport): string {
  const changed = r.changedSlots.reduce((a, b) => a + b, 0);
  const dropped = r.dropped > 0 ? `, ${r.dropped} older than every archive dropped` : '';
  return `${r.path}: ${plural(r.points, 'point')} through whisper ${r.call}${dropped}, ${plural(changed, 'slot')} changed`;
}

/** One NDJSON line per batch pair: the fill report with "index" and "ok", or the refusal. */
export function batchResultJson(r: BatchResult, extra: Record<string, unknown>): string {
  if (r.ok) return JSON.stringify({ index: r.index, ok: true, ...extra, ...r.report });
  return JSON.stringify({ index: r.index, ok: false, ...extra, src: r.src, dst: r.dst, code: r.code, error: r.error });
}

export function batchResultText(r: BatchResult, verb: string, dryRun: boolean): string {
  if (!r.ok) return r.src === '' ? `FAILED  ${r.error}` : `FAILED  ${r.src} -> ${r.dst}: ${r.error}`;
  return fillReportText(r.report, verb, dryRun)[0]!;
}

export function batchSummaryText(s: BatchSummary, verb: string, dryRun: boolean): string {
  const rate = s.seconds > 0 ? ` in ${s.seconds.toFixed(1)} s (${(s.pairs / s.seconds).toFixed(0)} pairs/s)` : '';
  const stopped = s.stopped ? ' — stopped by a signal, the rest not started' : '';
  return `${plural(s.pairs, 'pair')}: ${s.changed} ${dryRun ? `would be ${verb}` : verb}, ${s.unchanged} unchanged, ${s.failed} failed; ${plural(s.slots, 'slot')}${rate}${stopped}`;
}

/** whisper-set-aggregation-method's line: "Updated aggregation method: PATH (OLD -> NEW)". */
export function setAggregationText(r: SetHeaderResult): string {
  return `Updated aggregation method: ${r.path} (${r.old.aggregationMethod} -> ${r.new.aggregationMethod})`;
}

/** whisper-set-xfilesfactor's line: "Updated xFilesFactor: PATH (OLD -> NEW)", both as Python floats. */
export function setXffText(r: SetHeaderResult): string {
  return `Updated xFilesFactor: ${r.path} (${pyFloatRepr(r.old.xFilesFactor)} -> ${pyFloatRepr(r.xFilesFactorGiven ?? r.new.xFilesFactor)})`;
}

const pyStr = (v: number | null): string => (v === null ? 'None' : pyFloatRepr(v));

/** whisper-diff.py's text: per archive a header and the differing points (pretty), or plain columns. */
export function* diffText(diffs: readonly ArchiveDiff[], style: { columns: boolean; headers: boolean }): Generator<string> {
  const pretty = !style.columns;
  const head = (a: string, t: string, x: string, y: string) =>
    pretty ? `${pad(a, 7)} ${pad(t, 11)} ${pad(x, 13)} ${pad(y, 13)}` : `${a} ${t} ${x} ${y}`;
  if (style.headers) yield head('archive', 'timestamp', 'value_a', 'value_b');
  for (const d of diffs) {
    if (pretty) {
      yield `Archive ${d.archive} (${d.points.length} of ${d.total} datapoints differ)`;
      yield head('', 'timestamp', 'value_a', 'value_b');
    }
    for (const [t, a, b] of d.points) yield head(pretty ? '' : String(d.archive), String(t), pyStr(a), pyStr(b));
  }
}

/** whisper-diff.py --summary's text: archive, points compared, points differing. */
export function* diffSummaryText(diffs: readonly ArchiveDiff[], style: { columns: boolean; headers: boolean }): Generator<string> {
  const row = (a: string, t: string, d: string) => (style.columns ? `${a} ${t} ${d}` : `${pad(a, 7)} ${pad(t, 9)} ${pad(d, 9)}`);
  if (style.headers) yield row('archive', 'total', 'differing');
  for (const d of diffs) yield row(String(d.archive), String(d.total), String(d.points.length));
}

/** NDJSON, one line per archive, with whisper-diff --json's keys (and the differing points unless summary). */
export function diffJsonLine(d: ArchiveDiff, pathA: string, pathB: string, summary: boolean): string {
  const head = `{"path_a":${JSON.stringify(pathA)},"path_b":${JSON.stringify(pathB)},"archive":${d.archive},"total":${d.total},"points":${d.points.length}`;
  if (summary) return `${head}}`;
  const pts = d.points.map(([t, a, b]) => `{"timestamp":${t},"value_a":${jsonValue(a)},"value_b":${jsonValue(b)}}`);
  return `${head},"datapoint":[${pts.join(',')}]}`;
}

export function resizeReportText(r: ResizeReport): string {
  const where = r.output === r.path ? r.path : `${r.output} (from ${r.path}, left as it was)`;
  const head = `${r.dryRun ? 'would resize' : 'resized'} ${where}: ${r.from} -> ${r.to}, ${r.aggregationMethod}, xFilesFactor ${r.xFilesFactor}, ${r.size} bytes, ${plural(r.points, 'point')} migrated`;
  const tail = r.dryRun ? ' (dry run, nothing written)' : r.backup === null ? '' : `; backup ${r.backup}`;
  return head + tail;
}

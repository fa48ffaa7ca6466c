// Text and JSON renderings of whisper results for the commands. JSON numbers keep -0 and use the
// strings "NaN", "Infinity", "-Infinity" for the values JSON cannot hold (as the shared vectors do).
import { POINT_SIZE, retentionString, type WhisperInfo } from './file-format.js';
import type { FetchResult } from './fetch.js';
import type { WhisperFile } from './file.js';
import type { FillReport } from './fill-gaps.js';
import type { VerifyResult } from './verify.js';

/** A value as JSON text: a number, or "NaN"/"Infinity"/"-Infinity". */
export function jsonValue(v: number | null): string {
  if (v === null) return 'null';
  if (Number.isNaN(v)) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  return Object.is(v, -0) ? '-0.0' : String(v);
}

/** A value for humans: shortest round-trip form. */
export function textValue(v: number): string {
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

export function fetchJson(r: FetchResult | null): string {
  if (r === null) return 'null';
  return `{"start":${r.start},"end":${r.end},"step":${r.step},"values":[${r.values.map(jsonValue).join(',')}]}`;
}

/** whisper-fetch.py's text form: one "timestamp<TAB>value" line per step, None for missing. */
export function fetchText(r: FetchResult): string[] {
  return r.values.map((v, k) => `${r.start + k * r.step}\t${v === null ? 'None' : textValue(v)}`);
}

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
 * whisper-dump: the header, then every slot of every archive ("slot: timestamp, value"), one archive
 * at a time so memory stays at one archive. JSON: one object, slots as [timestamp, value] pairs.
 */
export function* dumpLines(file: WhisperFile, json: boolean): Generator<string> {
  const h = file.header;
  if (json) {
    yield `{"aggregationMethod":"${h.aggregationMethod}","maxRetention":${h.maxRetention},"xFilesFactor":${h.xFilesFactor},"fileSize":${file.size},"archives":[`;
  } else {
    yield 'Meta data:';
    yield `  aggregation method: ${h.aggregationMethod}`;
    yield `  max retention: ${h.maxRetention}`;
    yield `  xFilesFactor: ${h.xFilesFactor}`;
  }
  for (const a of h.archives) {
    if (json) {
      yield `${a.index > 0 ? ',' : ''}{"index":${a.index},"offset":${a.offset},"secondsPerPoint":${a.secondsPerPoint},"points":${a.points},"retention":${a.retention},"size":${a.size},"slots":[`;
    } else {
      yield '';
      yield `Archive ${a.index} info:`;
      yield `  offset: ${a.offset}`;
      yield `  seconds per point: ${a.secondsPerPoint}`;
      yield `  points: ${a.points}`;
      yield `  retention: ${a.retention}`;
      yield `  size: ${a.size}`;
      yield '';
      yield `Archive ${a.index} data:`;
    }
    const chunk = 4096;
    for (let first = 0; first < a.points; first += chunk) {
      const n = Math.min(chunk, a.points - first);
      const buf = file.slots(a.index, first, n);
      const parts: string[] = [];
      for (let k = 0; k < n; k++) {
        const ts = buf.readUInt32BE(k * POINT_SIZE);
        const v = buf.readDoubleBE(k * POINT_SIZE + 4);
        parts.push(json ? `${first + k > 0 ? ',' : ''}[${ts},${jsonValue(v)}]` : `${first + k}: ${ts}, ${textValue(v)}`);
      }
      yield json ? parts.join('') : parts.join('\n');
    }
    if (json) yield ']}';
  }
  if (json) yield ']}';
}

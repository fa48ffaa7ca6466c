// Writing a report file the way the suite writes everything it hands to a person: a temp file beside
// it, fsynced, renamed into place — never half a page, even when the run is killed.
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { renderReport } from './report-page.js';
import type { ReportInput } from './report-input.js';

export function writeReportFile(path: string, html: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeSync(fd, html);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, path);
}

/** Render and write; returns the size in bytes. */
export function writeReport(path: string, input: ReportInput): number {
  const html = renderReport(input);
  writeReportFile(path, html);
  return Buffer.byteLength(html);
}

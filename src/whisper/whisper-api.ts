// ringshift's whisper engine: read, create, update, reconcile and verify Graphite whisper files.
//
// Every function that depends on time takes `now` (integer unix seconds) instead of reading the clock,
// so results are reproducible; commands pass nowSeconds() from src/clock.ts (RINGSHIFT_NOW or the system clock).
//
// Reconciling two copies of a metric (what the planner's `fill` action calls):
//
//   fillGaps(srcPath, dstPath, { now, from?, until?, lock?, dryRun? }) → Promise<FillReport>
//     The default. Copies src's points into dst's EMPTY slots only (the `fill_gaps` rule of the shared
//     vectors): per dst archive, from src's archive with the same step, else an aggregate of src's
//     finest finer archive covering the whole bucket under dst's method and xFilesFactor. Never
//     changes a point dst holds (0.0 and NaN are points), propagates nothing, writes only the filled
//     slots, fdatasyncs, under an exclusive flock on dst (shared on src).
//     FillReport = { src, dst, archives: [{ index, secondsPerPoint, points, gaps, filled }], total,
//                    changed, bytesWritten }
//     Refusals throw and leave dst byte-identical. Their `code`:
//       InvalidArguments (WhisperUsageError, exit 2), DstMissing, SrcMissing, SameFile, DstCorrupt,
//       SrcCorrupt, Locked, IO (WhisperError, exit 1).
//
//   carbonateFill(src, dst, { now, startFrom?, endAt?, overwrite? })   carbonate whisper-fill, same
//     slots as carbonate 1.1.10 (0.0 is a gap, first point after a gap rewritten, propagation).
//   merge(src, dst, { now, from?, until? })   whisper-merge: identical layouts, src wins.
//     Both return a FillReport whose `filled` counts slots whose bytes changed.
//
//   fillGaps(srcImage, dstPath, …) takes a source already read into memory ({ path, data }), and
//   fillGapsImages(srcImage, dstImage, opts) → { report, writes } fills a dst held in memory and lists
//   the byte ranges to replay on the real file: how `ringshift apply` fills a file on a remote node
//   (under the node's flock, positional writes over SFTP, then fsync), with the same rule and refusals.
//
// Reading: info(path), fetch(path, from, until, { now, archiveToSelect? }) (whisper.fetch exactly;
// a truncated archive raises instead of returning short), verifyWhisper(path) → VerifyResult
// { ok, code?, error?, info?, slotsUsed?, layout? } (never throws for bad data); verifyHeaderBytes(path,
// head, size) runs its header and structure checks on a stream's first bytes.
// Writing: create(path, [[secondsPerPoint, points], …], { aggregationMethod?, xFilesFactor?, sparse? }),
// update(path, value, timestamp, { now }), updateMany(path, [[t, v], …], { now }) with whisper's
// propagation (byte-identical to whisper.py: lower intervals propagate in CPython's set order),
// updatePoints(path, points, { now }) with whisper-update's one-point/many-points rule,
// setAggregation(path, { aggregationMethod?, xFilesFactor? }) (the 16 header bytes, in place),
// resize(path, archiveList, { now, xFilesFactor?, aggregationMethod?, aggregate?, backup?, newFile? })
// (whisper-resize's file, written to a temp file, fsynced, renamed). Comparing: diffFiles(a, b, { now,
// ignoreEmpty?, until? }) → whisper.diff's archives and differing points. Many fills in one process:
// fillBatch(batchRecords(chunks, nul), opts, onResult). Lower level: WhisperFile (open file, range
// reads, in-memory image, flush).
//
// Errors are WhisperError (a DataError: exit 1) or WhisperUsageError (a UsageError: exit 2), both
// with `file` set and a stable `code` (errors.ts).

export { aggregate } from './aggregate.js';
export { carbonateFill, carbonateFillOpen, type CarbonateFillOptions } from './compat-carbonate.js';
export { create, type CreateOptions, type CreateResult } from './create.js';
export { diffFiles, diffOpen, type ArchiveDiff, type DiffOptions, type DiffPoint } from './diff.js';
export { batchRecords, fillBatch, type BatchOptions, type BatchRecord, type BatchResult, type BatchSummary } from './fill-batch.js';
export { resize, resizedImage, type ResizeOptions, type ResizeReport } from './resize.js';
export { setAggregation, type SetHeaderResult } from './set-header.js';
export { verifyTree } from './verify-tree.js';
export { WhisperError, WhisperUsageError, type WhisperErrorCode } from './errors.js';
export { archiveFetch, fetch, fetchOpen, type FetchOptions, type FetchResult } from './fetch.js';
export { WhisperFile, type MemoryWrite, type OpenOptions } from './file.js';
export { fillGaps, fillGapsImages, fillGapsOpen, type ArchiveFillReport, type FillGapsOptions, type FillReport } from './fill-gaps.js';
export {
  AGGREGATION_METHODS,
  archiveWindow,
  retentionString,
  type AggregationMethod,
  type ArchiveInfo,
  type Header,
  type WhisperInfo,
} from './file-format.js';
export { info, type InfoResult } from './info.js';
export { merge, mergeOpen, type MergeOptions } from './merge.js';
export { openPair, type OpenPair, type PairOptions, type WhisperImage } from './pair.js';
export { parseRetentionDef, parseRetentions, validateArchiveList } from './retention.js';
export { nowSeconds, parseTime } from '../clock.js';
export {
  update,
  updateMany,
  updateManyOpen,
  updateOpen,
  updatePoints,
  type Point,
  type UpdateReport,
  type WriteOptions,
} from './update.js';
export { verifyHeaderBytes, verifyWhisper, type VerifyResult } from './verify.js';

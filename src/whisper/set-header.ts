// whisper-set-aggregation-method / whisper-set-xfilesfactor (whisper's __setAggregation): rewrite the 16
// metadata bytes in place — aggregation type and xFilesFactor changed, maxRetention and archiveCount
// written back as read — so the file's bytes are whisper's. Unlike whisper it holds the exclusive flock
// carbon-cache takes, refuses NaN (whisper would store it and make the file unreadable), and fdatasyncs.
import { fdatasyncSync, writeSync } from 'node:fs';
import { WhisperUsageError, ioError } from './errors.js';
import { AGGREGATION_METHODS, METADATA_SIZE, aggregationCode, type AggregationMethod } from './file-format.js';
import { WhisperFile } from './file.js';
import { lockAll } from './lock.js';
import { pythonFloat } from './point-input.js';

export interface SetHeaderOptions {
  /** flock the file exclusively (default true). */
  lock?: boolean | undefined;
  lockTimeoutMs?: number | undefined;
}

export interface SetHeaderResult {
  path: string;
  old: { aggregationMethod: AggregationMethod; xFilesFactor: number };
  new: { aggregationMethod: AggregationMethod; xFilesFactor: number };
  /** The xFilesFactor as given (Python float), before float32 storage: what whisper's scripts print. */
  xFilesFactorGiven?: number;
}

/** An xFilesFactor argument as whisper reads it (Python float()), within [0, 1]. */
export function parseXff(text: string): number {
  const x = pythonFloat(text);
  if (x === undefined || !(x >= 0 && x <= 1)) {
    throw new WhisperUsageError(
      'InvalidConfiguration',
      `xFilesFactor ${JSON.stringify(text)} is not a number from 0 to 1`,
      'a number from 0 to 1, e.g. 0.5',
    );
  }
  return x;
}

export function parseMethod(text: string): AggregationMethod {
  if (aggregationCode(text) < 0) {
    throw new WhisperUsageError(
      'InvalidConfiguration',
      `unknown aggregation method ${JSON.stringify(text)}`,
      AGGREGATION_METHODS.slice(1).join(', '),
    );
  }
  return text as AggregationMethod;
}

/** Set the aggregation method and/or xFilesFactor (undefined = keep), in place, under the file's lock. */
export async function setAggregation(
  path: string,
  change: { aggregationMethod?: AggregationMethod | undefined; xFilesFactor?: number | undefined },
  opts: SetHeaderOptions = {},
): Promise<SetHeaderResult> {
  const file = WhisperFile.open(path, { write: true });
  try {
    if (opts.lock ?? true) await lockAll([{ fd: file.fd, path, mode: 'ex' }], opts.lockTimeoutMs);
    // Read again under the lock: the header another writer left is the one we keep the rest of.
    const h = WhisperFile.fromFd(path, file.fd).header;
    const method = change.aggregationMethod ?? h.aggregationMethod;
    const xff = change.xFilesFactor ?? h.xFilesFactor;
    const meta = Buffer.alloc(METADATA_SIZE);
    meta.writeUInt32BE(aggregationCode(method), 0);
    meta.writeUInt32BE(h.maxRetention, 4);
    meta.writeFloatBE(xff, 8);
    meta.writeUInt32BE(h.archives.length, 12);
    try {
      let done = 0;
      while (done < meta.length) done += writeSync(file.fd, meta, done, meta.length - done, done);
      fdatasyncSync(file.fd);
    } catch (err) {
      throw ioError(err, path, 'write the header of');
    }
    return {
      path,
      old: { aggregationMethod: h.aggregationMethod, xFilesFactor: h.xFilesFactor },
      new: { aggregationMethod: method, xFilesFactor: meta.readFloatBE(8) },
      ...(change.xFilesFactor === undefined ? {} : { xFilesFactorGiven: change.xFilesFactor }),
    };
  } finally {
    file.close();
  }
}

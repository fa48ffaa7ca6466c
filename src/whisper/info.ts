// whisper.info(): the header as whisper-info.py reports it, plus the file size.
import { WhisperFile } from './file.js';
import { toInfo, type WhisperInfo } from './file-format.js';
import { structureProblem } from './structure.js';

export interface InfoResult extends WhisperInfo {
  fileSize: number;
}

/** Read a file's header. Raises WhisperError (Missing, CorruptHeader, …) where whisper.info would fail. */
export function info(path: string): InfoResult {
  const file = WhisperFile.open(path);
  try {
    return { ...toInfo(file.header), fileSize: file.size };
  } finally {
    file.close();
  }
}

/** info() plus the first structural problem (truncation, bad offsets, …) whisper itself ignores. */
export function infoChecked(path: string): InfoResult & { problem?: string } {
  const file = WhisperFile.open(path);
  try {
    const p = structureProblem(file.header, file.size);
    return { ...toInfo(file.header), fileSize: file.size, ...(p ? { problem: p.message } : {}) };
  } finally {
    file.close();
  }
}

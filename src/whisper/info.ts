// whisper.info(): the header as whisper-info.py reports it, plus the file size.
import { WhisperFile } from './file.js';
import { toInfo, type WhisperInfo } from './format.js';

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

// A one-line progress display on stderr, rewritten in place a few times a second; only on a terminal.

export interface Progress {
  update(stage: string, detail: string): void;
  /** Clear the line (the next stage starts a new one). */
  done(): void;
}

/** A progress line on stderr when it is a TTY, else undefined (nothing is printed). */
export function stderrProgress(command: string, stream: NodeJS.WriteStream = process.stderr): Progress | undefined {
  if (!stream.isTTY) return undefined;
  let last = 0;
  let shown = false;
  return {
    update(stage, detail) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      shown = true;
      stream.write(`\r${command}: ${stage}: ${detail}\u001b[K`);
    },
    done() {
      if (shown) stream.write('\r\u001b[K');
      shown = false;
      last = 0;
    },
  };
}

/** A one-line progress bar for a terminal: rows, rows/s and time left, redrawn in place. */
export function progressLine(
  label: string,
  rows: number,
  total: number,
  startedAt: number,
  now = Date.now(),
): string {
  const seconds = Math.max((now - startedAt) / 1000, 0.001);
  const rate = rows / seconds;
  const fraction = total > 0 ? Math.min(rows / total, 1) : 1;
  const width = 24;
  const filled = Math.round(fraction * width);
  const left = rate > 0 && total > rows ? (total - rows) / rate : 0;
  const count = (value: number) => Math.round(value).toLocaleString('en-US');
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count(rows)}/${count(total)} rows  ${count(rate)} rows/s  ${left.toFixed(1)}s left`;
}

/**
 * Progress for a person: on a terminal the bar redrawn in place (at most every 100 ms); in a log file or a
 * pipe a plain line every `plainEveryMs`, never a carriage return. The last state is always written by `done`.
 */
export function progressWriter(
  stream: NodeJS.WriteStream = process.stderr,
  plainEveryMs = 2000,
): { update(line: string): void; done(): void } {
  const tty = stream.isTTY === true;
  let last = 0;
  let pending: string | null = null;
  let written: string | null = null;
  const write = (line: string) => {
    stream.write(tty ? `\r${line}` : `${line}\n`);
    written = line;
    pending = null;
    last = Date.now();
  };
  return {
    update(line) {
      pending = line;
      if (Date.now() - last >= (tty ? 100 : plainEveryMs)) write(line);
    },
    done() {
      if (pending !== null && pending !== written) write(pending);
      if (tty && written !== null) stream.write('\n');
      written = null;
      last = 0;
    },
  };
}

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

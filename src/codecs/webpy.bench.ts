/**
 * Decoded web.py sessions per second: `npx tsx src/codecs/webpy.bench.ts`.
 *
 * Corpus: the rows real Python and web.py wrote in fixtures/webpy (typical sessions: ids, flags, a cart,
 * a `Storage` user row with datetimes; protocols 0-5 and Python 2 rows), plus the large "rich" row on its
 * own. Baselines: `JSON.parse` of the same data as JSON text, and, when /usr/bin/python3 exists, Python's
 * own `pickle.loads(base64.decodebytes(...))` on the same rows (C unpickler, no safety checks).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadFixtures, PYTHON } from './fixtures/webpy/python.ts';
import { decodeWebpySession, encodeWebpySession } from './webpy.ts';

const fixtures = loadFixtures().filter((fixture) => fixture.expect.ok && !fixture.repr_wrapped);
const typical = fixtures.filter((fixture) => !fixture.name.includes('rich')).map((fixture) => fixture.stored);
const rich = fixtures.filter((fixture) => fixture.name.includes('rich')).map((fixture) => fixture.stored);

function measure(label: string, rows: string[], run: (row: string) => unknown): number {
  let count = 0;
  for (const row of rows) run(row); // warm up
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < 1500) {
    for (const row of rows) run(row);
    count += rows.length;
    elapsed = performance.now() - started;
  }
  const perSecond = (count / elapsed) * 1000;
  console.log(`${label.padEnd(52)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} sessions/s`);
  return perSecond;
}

function pythonRate(rows: string[]): number | null {
  if (!existsSync(PYTHON)) return null;
  const script = [
    'import base64, pickle, sys, time',
    'rows = [line.rstrip("\\n").replace("\\\\n", "\\n").encode() for line in sys.stdin if line.strip()]',
    'count, started = 0, time.perf_counter()',
    'while time.perf_counter() - started < 1.5:',
    '    for row in rows: pickle.loads(base64.decodebytes(row), encoding="latin1")',
    '    count += len(rows)',
    'print(count / (time.perf_counter() - started))',
  ].join('\n');
  const input = rows.map((row) => row.replace(/\n/g, '\\n')).join('\n');
  const result = spawnSync(PYTHON, ['-c', script], { input, encoding: 'utf8' });
  return result.status === 0 ? Number(result.stdout.trim()) : null;
}

function report(title: string, rows: string[]): void {
  const averageBytes = Math.round(rows.reduce((sum, row) => sum + row.length, 0) / rows.length);
  console.log(`\n${title}: ${rows.length} rows, ${averageBytes} base64 characters on average`);
  const json = rows.map((row) => {
    const result = decodeWebpySession(row);
    if (!result.ok) throw new Error(`${result.problem}: ${result.detail}`);
    return JSON.stringify(result.value.data);
  });
  const ours = measure('decodeWebpySession (safe pickle reader + JSON view)', rows, decodeWebpySession);
  const jsonIndex = new Map(rows.map((row, i) => [row, json[i]!]));
  const baseline = measure('JSON.parse of the same data as JSON (baseline)', rows, (row) =>
    JSON.parse(jsonIndex.get(row)!),
  );
  const trees = new Map(
    rows.map((row) => {
      const result = decodeWebpySession(row);
      return [row, result.ok ? result.value : null] as const;
    }),
  );
  measure('encodeWebpySession (unchanged data, previous tree)', rows, (row) => {
    const decoded = trees.get(row)!;
    return encodeWebpySession(decoded.data, decoded.tree);
  });
  const python = pythonRate(rows);
  if (python === null) {
    console.log(`Python baseline skipped: ${PYTHON} not found`);
  } else {
    console.log(
      `${'Python pickle.loads(base64.decodebytes(...))'.padEnd(52)} ${Math.round(python).toLocaleString('en-US').padStart(12)} sessions/s`,
    );
  }
  console.log(
    `ratio: ${(ours / baseline).toFixed(2)}x JSON.parse` +
      (python === null ? '' : `, ${(ours / python).toFixed(2)}x Python's C unpickler`),
  );
}

report('typical sessions', typical);
report('large "rich" sessions (every type, 1000-item list and dict)', rich);

/**
 * REAL web.py (Debian's python3-webpy 0.62, `web.session.DBStore` over psycopg2) for the webpy-*.test.ts
 * files: webpy_app.py, run in Europe/Berlin (its `atime` is naive local time) against the test database,
 * writes, loads and serves sessions, with values passed as "tagged" JSON that keeps their Python types;
 * and the JSON view sessiongraph must show of a tagged value.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JsonObject, JsonValue } from '../../src/codecs/result.ts';
import type { Pool } from '../../src/db/pool.ts';

const SERVER_URL = process.env['DATABASE_URL'] ?? '';
if (!SERVER_URL) {
  throw new Error(
    'test/frameworks/webpy-*.test.ts need a real PostgreSQL that web.py (psycopg2) can reach: run them with ' +
      'DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres (CI sets it). They are not skipped on purpose.',
  );
}

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./webpy_app.py', import.meta.url));
export const TIME_ZONE = 'Europe/Berlin';
export const TIMEOUT_SECONDS = 3600;

// ---------------------------------------------------------------------------------------------------------
// Tagged values (see webpy_app.py): Python values with their types, as JSON
// ---------------------------------------------------------------------------------------------------------

export type Tagged = null | boolean | number | string | Tagged[] | { [key: string]: Tagged };
export type TaggedObject = { [key: string]: Tagged };
export type Loaded = { ok: true; value: TaggedObject } | { ok: false; error: string };

export const py = {
  int: (value: bigint): Tagged => ({ $type: 'int', v: value.toString() }),
  float: (value: number): Tagged => ({ $type: 'float', v: value }),
  floatRepr: (repr: string): Tagged => ({ $type: 'float', repr }),
  bytes: (value: Buffer): Tagged => ({ $type: 'bytes', b64: value.toString('base64') }),
  tuple: (...items: Tagged[]): Tagged => ({ $type: 'tuple', items }),
  set: (...items: Tagged[]): Tagged => ({ $type: 'set', items }),
  frozenset: (...items: Tagged[]): Tagged => ({ $type: 'frozenset', items }),
  dict: (...items: [Tagged, Tagged][]): Tagged => ({ $type: 'dict', items }),
  ordered: (...items: [Tagged, Tagged][]): Tagged => ({ $type: 'OrderedDict', items }),
  storage: (items: TaggedObject): Tagged => ({ $type: 'Storage', items }),
  datetime: (iso: string, tzname?: string): Tagged =>
    tzname === undefined ? { $type: 'datetime', iso } : { $type: 'datetime', iso, tzname },
  date: (iso: string): Tagged => ({ $type: 'date', iso }),
  time: (iso: string): Tagged => ({ $type: 'time', iso }),
  timedelta: (seconds: number): Tagged => ({ $type: 'timedelta', seconds }),
  decimal: (value: string): Tagged => ({ $type: 'Decimal', v: value }),
};

const isTaggedObject = (value: Tagged | undefined): value is TaggedObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
export const typeOf = (value: Tagged | undefined) => (isTaggedObject(value) ? value['$type'] : undefined);
const itemsOf = (value: TaggedObject) => value['items'] as Tagged[];
const byJson = (a: JsonValue, b: JsonValue) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);

function keyView(key: Tagged): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') return String(key);
  throw new Error(`test data: no JSON key for ${JSON.stringify(key)}`);
}

/** sessiongraph's documented JSON view (`pyToJson`) of a tagged value; sets sorted (their order is hash order). */
export function view(value: Tagged): JsonValue {
  if (!isTaggedObject(value)) return Array.isArray(value) ? value.map(view) : value;
  switch (typeOf(value)) {
    case undefined:
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, view(item)]));
    case 'int':
    case 'Decimal':
      return value['v'] as string;
    case 'float': {
      if (typeof value['v'] === 'number') return value['v'];
      const repr = value['repr'];
      return repr === 'nan' ? 'NaN' : repr === 'inf' ? 'Infinity' : '-Infinity';
    }
    case 'bytes': {
      const bytes = Buffer.from(value['b64'] as string, 'base64');
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        return bytes.toString('base64');
      }
    }
    case 'tuple':
      return itemsOf(value).map(view);
    case 'set':
    case 'frozenset':
      return itemsOf(value).map(view).sort(byJson);
    case 'Storage':
      return view(value['items']!);
    case 'dict':
    case 'OrderedDict':
      return Object.fromEntries(
        (value['items'] as [Tagged, Tagged][]).map(([key, item]) => [keyView(key), view(item)]),
      );
    case 'datetime':
    case 'date':
    case 'time':
      return value['iso'] as string;
    case 'timedelta':
      return value['seconds'] as number;
    default:
      throw new Error(`test data: unexpected ${JSON.stringify(value)}`);
  }
}

/** `actual` with the arrays that stand for Python sets sorted like `view` sorts them. */
export function alignSets(actual: JsonValue | undefined, tagged: Tagged | undefined): JsonValue | undefined {
  if (actual === undefined || tagged === undefined || !isTaggedObject(tagged)) {
    if (Array.isArray(actual) && Array.isArray(tagged))
      return actual.map((item, i) => alignSets(item, tagged[i])!);
    return actual;
  }
  const type = typeOf(tagged);
  const object = (entries: [string, Tagged][]) => {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return actual;
    const out: JsonObject = { ...actual };
    for (const [key, item] of entries) if (Object.hasOwn(out, key)) out[key] = alignSets(out[key], item)!;
    return out;
  };
  if (type === undefined) return object(Object.entries(tagged));
  if (type === 'Storage') return object(Object.entries(tagged['items'] as TaggedObject));
  if (type === 'dict' || type === 'OrderedDict') {
    return object((tagged['items'] as [Tagged, Tagged][]).map(([key, item]) => [keyView(key), item]));
  }
  if (!Array.isArray(actual)) return actual;
  if (type === 'tuple') return actual.map((item, i) => alignSets(item, itemsOf(tagged)[i])!);
  if (type === 'set' || type === 'frozenset') return [...actual].sort(byJson);
  return actual;
}

/** What sessiongraph must show for a dict web.py loaded: its JSON view without web.py's `session_id`. */
export function expectedData(loaded: TaggedObject): JsonValue {
  const { session_id: _hidden, ...rest } = loaded;
  return view(rest);
}

// ---------------------------------------------------------------------------------------------------------
// Running web.py
// ---------------------------------------------------------------------------------------------------------

let databaseUrl = '';

/** Points web.py at the test app's database (`setup` of startTestApp) and makes DBStore's table there. */
export async function prepareWebpyDatabase(pool: Pool): Promise<void> {
  const name = (await pool.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name;
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  databaseUrl = url.toString();
  await webpy('create-table');
}

function webpy<T>(command: string, input: unknown = {}): Promise<T> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, TZ: TIME_ZONE };
  delete env['PYTHONPATH'];
  delete env['PYTHONHOME'];
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT, command], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error) =>
      reject(
        new Error(`cannot run ${PYTHON} (install python3-webpy and python3-psycopg2): ${error.message}`),
      ),
    );
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`webpy_app.py ${command} exited with ${code}:\n${stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
    child.stdin.end(JSON.stringify(input));
  });
}

type WriteSpec = { id: string } & ({ data: Tagged } | { raw: string } | { evil: string });

export const writeWebpy = (sessions: WriteSpec[], ageSeconds: Record<string, number> = {}) =>
  webpy<{ written: number }>('write', { sessions, ageSeconds });

export async function loadWebpy(ids: string[]): Promise<Record<string, Loaded>> {
  return (await webpy<{ results: Record<string, Loaded> }>('load', { ids })).results;
}

/** DBStore.__getitem__'s dict for a session that must load. */
export async function loadOk(ids: string[]): Promise<Record<string, TaggedObject>> {
  const results = await loadWebpy(ids);
  return Object.fromEntries(
    ids.map((id) => {
      const result = results[id]!;
      if (!result.ok) throw new Error(`web.py cannot load ${id}: ${result.error}`);
      return [id, result.value];
    }),
  );
}

/** `atime` as web.py's local time, and as an instant (Python converts with TZ=Europe/Berlin). */
export async function atimesOf(
  ids: string[],
): Promise<Record<string, { local: string; epochMs: number } | null>> {
  return (
    await webpy<{ atimes: Record<string, { local: string; epochMs: number } | null> }>('atimes', { ids })
  ).atimes;
}

export interface WebpyResponse {
  status: string;
  body: TaggedObject | null;
  text: string | null;
  setCookie: string[];
}

/** Requests to a real web.application with web.session.Session over DBStore (cookie webpy_session_id). */
export async function webpyRequests(requests: { path: string; cookie?: string }[]): Promise<WebpyResponse[]> {
  return (await webpy<{ responses: WebpyResponse[] }>('requests', { timeout: TIMEOUT_SECONDS, requests }))
    .responses;
}

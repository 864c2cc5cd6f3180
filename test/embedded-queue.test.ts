import { connect, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDatabase, startEmbeddedDatabase } from '../src/db/embedded.ts';

/**
 * The embedded database (`npm start` without DATABASE_URL) serves every connection from one PGlite backend.
 * Its connections must take turns by whole query and whole transaction (src/db/embedded-queue.ts): a wire
 * client here sends its query one message at a time, and another connection's query in between must wait,
 * not run on the first one's unnamed statement.
 */

/** A wire-protocol client that sends what it is told when it is told, and keeps what comes back. */
class Wire {
  private buffered = Buffer.alloc(0);
  readonly received: { type: string; body: Buffer }[] = [];
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (data) => {
      this.buffered = Buffer.concat([this.buffered, data]);
      while (this.buffered.length >= 5) {
        const length = this.buffered.readInt32BE(1);
        if (this.buffered.length < 1 + length) break;
        this.received.push({
          type: String.fromCharCode(this.buffered[0]!),
          body: this.buffered.subarray(5, 1 + length),
        });
        this.buffered = this.buffered.subarray(1 + length);
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(url: string) {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    const wire = new Wire(socket);
    const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8 + params.length, 0);
    startup.writeInt32BE(196608, 4);
    socket.write(Buffer.concat([startup, params]));
    await wire.until('Z');
    return wire;
  }

  send(type: string, body: Buffer = Buffer.alloc(0)) {
    const header = Buffer.alloc(5);
    header.write(type, 0);
    header.writeInt32BE(4 + body.length, 1);
    this.socket.write(Buffer.concat([header, body]));
  }

  /** Waits for the next message of `type` after those already counted, and returns it. */
  async until(type: string, after = 0) {
    for (;;) {
      const found = this.received.slice(after).find((message) => message.type === type);
      if (found) return found;
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
  }

  close() {
    this.socket.destroy();
  }
}

const parse = (text: string) => Buffer.from(`\0${text}\0\0\0`);
/** Unnamed portal and statement, no parameters or format codes; then execute it, all rows. */
const bind = Buffer.alloc(8);
const execute = Buffer.alloc(5);
const cell = (row: { body: Buffer }) => row.body.subarray(6, 6 + row.body.readInt32BE(2)).toString();
const settled = (promise: Promise<unknown>) =>
  Promise.race([promise.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 300))]);

describe('the embedded database’s connections', () => {
  let db: EmbeddedDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await startEmbeddedDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 8 });
  });
  afterAll(async () => {
    await pool.end();
    await db.stop();
  });

  it('should run another connection’s query after a query sent message by message, not inside it', async () => {
    const wire = await Wire.open(db.url);
    const seen = wire.received.length;
    wire.send('P', parse("SELECT 'first' AS who"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const other = pool.query<{ who: string }>('SELECT $1::text AS who', ['second']);
    expect(await settled(other)).toBe(false);
    wire.send('B', bind);
    wire.send('E', execute);
    wire.send('S');
    await wire.until('Z', seen);
    const answer = wire.received.slice(seen);
    expect(answer.filter((message) => message.type === 'E')).toEqual([]);
    expect(answer.filter((message) => message.type === 'D').map(cell)).toEqual(['first']);
    expect((await other).rows).toEqual([{ who: 'second' }]);
    wire.close();
  });

  it('should go on when a connection leaves between a failed message and its Sync', async () => {
    const wire = await Wire.open(db.url);
    const seen = wire.received.length;
    wire.send('P', parse('SELECT no_such_column'));
    await wire.until('E', seen);
    wire.close();
    const { rows } = await pool.query<{ n: number }>('SELECT $1::int + 1 AS n', [41]);
    expect(rows).toEqual([{ n: 42 }]);
  });

  it('should roll back the transaction of a connection that leaves in it, and go on', async () => {
    const wire = await Wire.open(db.url);
    const seen = wire.received.length;
    wire.send('Q', Buffer.from('BEGIN; CREATE TABLE left_behind (n int)\0'));
    await wire.until('Z', seen);
    const other = pool.query('SELECT 1');
    expect(await settled(other)).toBe(false);
    wire.close();
    await other;
    const { rows } = await pool.query("SELECT to_regclass('left_behind') AS left");
    expect(rows).toEqual([{ left: null }]);
  });

  it('should roll back what a connection executed and never synced when it leaves, as a real backend would', async () => {
    const wire = await Wire.open(db.url);
    const seen = wire.received.length;
    wire.send('P', parse('CREATE TABLE never_synced (n int)'));
    wire.send('B', bind);
    wire.send('E', execute);
    wire.send('H');
    await wire.until('C', seen);
    wire.close();
    const { rows } = await pool.query("SELECT to_regclass('never_synced') AS left");
    expect(rows).toEqual([{ left: null }]);
  });

  it('should roll back a failed transaction of a connection that leaves before its Sync, and go on', async () => {
    const wire = await Wire.open(db.url);
    const seen = wire.received.length;
    wire.send('Q', Buffer.from('BEGIN; CREATE TABLE failed_in (n int)\0'));
    await wire.until('Z', seen);
    wire.send('P', parse('SELECT no_such_column'));
    await wire.until('E', seen);
    wire.close();
    const { rows } = await pool.query(
      "SELECT to_regclass('failed_in') AS left, now() = statement_timestamp() AS fresh",
    );
    expect(rows).toEqual([{ left: null, fresh: true }]);
  });

  it('should roll back the transaction of a client that ends in it, before another connection’s query', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('BEGIN');
    await client.query('CREATE TABLE ended_in (n int)');
    await client.end();
    const { rows } = await pool.query(
      "SELECT to_regclass('ended_in') AS left, now() = statement_timestamp() AS fresh",
    );
    expect(rows).toEqual([{ left: null, fresh: true }]);
  });

  it('should answer concurrent queries of different shapes with their own rows', async () => {
    const shapes = [
      (n: number) => pool.query('SELECT $1::int AS v', [n]).then((r) => r.rows[0].v === n),
      (n: number) =>
        pool.query('SELECT $1::text AS v, $2::int AS w', [`t${n}`, n]).then((r) => r.rows[0].v === `t${n}`),
      (n: number) => pool.query(`SELECT ${n} AS v`).then((r) => r.rows[0].v === n),
      (n: number) =>
        pool.connect().then(async (client) => {
          try {
            await client.query('BEGIN');
            const { rows } = await client.query('SELECT $1::int * 2 AS v', [n]);
            await client.query('COMMIT');
            return rows[0].v === n * 2;
          } finally {
            client.release();
          }
        }),
    ];
    const outcomes = await Promise.all(
      Array.from({ length: 400 }, (_, n) =>
        shapes[n % shapes.length]!(n).catch((error: Error) => error.message),
      ),
    );
    expect(outcomes.filter((outcome) => outcome !== true)).toEqual([]);
  });
});

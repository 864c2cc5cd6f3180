import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, LastStatement, type Pool, withTransaction } from '../src/db/pool.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

/**
 * withTransaction on the pool the server uses: pipelined on a real PostgreSQL (BEGIN not waited for, the last
 * statement sent with the COMMIT), one statement at a time on PGlite. Either way a transaction commits whole
 * or not at all, and a failure PostgreSQL saw is never reported as success.
 */
describe('transactions', () => {
  let database: TestDatabase;
  let pool: Pool;
  const rows = async () =>
    (await pool.query<{ n: number }>('SELECT n FROM tx_probe ORDER BY n')).rows.map((row) => row.n);

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = createPool(database.url, 1, {}, { pipeline: !database.embedded });
    await pool.query('CREATE TABLE tx_probe (n integer PRIMARY KEY)');
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('should commit the work and its last statement together, and answer the work result', async () => {
    await pool.query('TRUNCATE tx_probe');
    const result = await withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO tx_probe VALUES (1)');
      return new LastStatement('done', 'INSERT INTO tx_probe VALUES ($1)', [2]);
    });
    expect(result).toBe('done');
    expect(await rows()).toEqual([1, 2]);
  });

  it('should roll the work back when its last statement fails', async () => {
    await pool.query('TRUNCATE tx_probe');
    await pool.query('INSERT INTO tx_probe VALUES (2)');
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES (1)');
        return new LastStatement('done', 'INSERT INTO tx_probe VALUES ($1)', [2]);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await rows()).toEqual([2]);
  });

  it('should not report success when the work went on after a statement failed', async () => {
    await pool.query('TRUNCATE tx_probe');
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES (1)');
        await tx.query('INSERT INTO tx_probe VALUES (1)').catch(() => {});
        return 'done';
      }),
    ).rejects.toThrow('PostgreSQL rolled the transaction back');
    expect(await rows()).toEqual([]);
  });

  it('should roll back on a throw and keep the connection for the next transaction', async () => {
    await pool.query('TRUNCATE tx_probe');
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES (1)');
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await withTransaction(pool, async (tx) => tx.query('INSERT INTO tx_probe VALUES (3)'));
    expect(await rows()).toEqual([3]);
  });
});

import type { Logger } from '../log.ts';
import type { Queryable } from './pool.ts';

/** After this many rows removed, and no sooner than this after the last one, a queue is vacuumed. */
export const QUEUE_VACUUM = { rows: 10_000, milliseconds: 5_000 };

/**
 * Vacuums a queue table (rows added by writers, removed by whoever handles them) once its handler has
 * removed enough rows. Each claim takes the oldest rows first along the primary key, and a btree keeps the
 * entries of deleted rows until a VACUUM: every claim walks again all the entries of rows removed since the
 * last one. With autovacuum off or behind, a queue that handled 500,000 rows costs about a millisecond a
 * claim even when empty, and more with every row it handles. `SKIP_LOCKED`: a replica never waits for
 * another's vacuum of the same queue. VACUUM takes no lock a writer or a claim waits for. A logged queue
 * is vacuumed once drained, not in the middle of a burst, where its WAL would add to the writers' waits.
 */
export class QueueVacuum {
  #removed = 0;
  #last = 0;
  #failures = 0;

  constructor(
    private readonly db: Queryable,
    /** The table's qualified name, as SQL. */
    private readonly table: string,
    private readonly logger: Logger,
    private readonly every = QUEUE_VACUUM,
  ) {}

  /** Counts `rows` removed; vacuums the queue when they add up to the threshold. Never throws. */
  async removed(rows: number): Promise<void> {
    this.#removed += rows;
    if (this.#removed < this.every.rows || Date.now() - this.#last < this.every.milliseconds) return;
    this.#removed = 0;
    this.#last = Date.now();
    try {
      // A role that does not own the table gets a warning from PostgreSQL and nothing vacuumed, not an error.
      // TRUNCATE false: giving back the empty pages at the table's end takes an ACCESS EXCLUSIVE lock, which
      // every writer's trigger would queue behind.
      await this.db.query(`VACUUM (SKIP_LOCKED, TRUNCATE false) ${this.table}`);
      this.#failures = 0;
    } catch (error) {
      this.#failures += 1;
      if (this.#failures === 1)
        this.logger.warn({ err: error, table: this.table }, 'could not vacuum a queue');
    }
  }
}

import type { Logger } from '../log.ts';
import type { Queryable } from './pool.ts';

/** After this many rows removed, and no sooner than this after the last one, a queue is vacuumed. */
const EVERY = { rows: 10_000, milliseconds: 5_000 };

/**
 * Vacuums a queue table (rows added by writers, removed by whoever handles them) once its handler has
 * removed enough rows. Each claim takes the oldest rows first along the primary key, and a btree keeps the
 * entries of deleted rows until a VACUUM: every claim walks again all the entries of rows removed since the
 * last one. With autovacuum off or behind, a queue that handled 500,000 rows costs about a millisecond a
 * claim even when empty, and more with every row it handles. `SKIP_LOCKED`: a replica never waits for
 * another's vacuum of the same queue. VACUUM takes no lock a writer or a claim waits for. A logged queue
 * is vacuumed once drained, not in the middle of a burst, where its WAL would add to the writers' waits.
 * The vacuum runs beside the handler, never holding up its next claim.
 */
export class QueueVacuum {
  #removed = 0;
  #last = 0;
  #failures = 0;
  #running: Promise<void> | null = null;
  /** Whether this role may vacuum the table (PostgreSQL only warns, and pg drops warnings): asked once. */
  #allowed: Promise<boolean> | null = null;

  constructor(
    private readonly db: Queryable,
    /** The table's qualified name, as SQL. */
    private readonly table: string,
    private readonly logger: Logger,
  ) {}

  /** Counts `rows` removed; starts a vacuum of the queue when they add up to the threshold. Never throws. */
  removed(rows: number): void {
    this.#removed += rows;
    if (this.#running || this.#removed < EVERY.rows) return;
    if (Date.now() - this.#last < EVERY.milliseconds) return;
    const counted = this.#removed;
    this.#removed = 0;
    this.#last = Date.now();
    this.#running = this.#vacuum(counted).finally(() => {
      this.#running = null;
    });
  }

  /** The vacuum in flight, if any, for a handler that stops. */
  async settled(): Promise<void> {
    await this.#running;
  }

  async #vacuum(counted: number): Promise<void> {
    try {
      // A check that failed (the database away for a moment) is asked again next time, not kept as a no.
      this.#allowed ??= this.#mayVacuum().catch((error: unknown) => {
        this.#allowed = null;
        throw error;
      });
      if (!(await this.#allowed)) return;
      // TRUNCATE false: giving back the empty pages at the table's end takes an ACCESS EXCLUSIVE lock, which
      // every writer's trigger would queue behind. INDEX_CLEANUP on: by default VACUUM skips the indexes when
      // under 2% of the table's pages hold dead rows, and a queue that once grew large and was not truncated
      // stays that large, so its dead entries, what claims walk, would stay.
      await this.db.query(`VACUUM (SKIP_LOCKED, TRUNCATE false, INDEX_CLEANUP on) ${this.table}`);
      this.#failures = 0;
    } catch (error) {
      // Counted again, so the next batch tries once more.
      this.#removed += counted;
      this.#failures += 1;
      if (this.#failures === 1)
        this.logger.warn({ err: error, table: this.table }, 'could not vacuum a queue');
    }
  }

  async #mayVacuum(): Promise<boolean> {
    const result = await this.db.query<{ owns: boolean }>(
      `SELECT pg_has_role(current_user, relowner, 'MEMBER') AS owns FROM pg_class WHERE oid = $1::regclass`,
      [this.table],
    );
    const owns = result.rows[0]?.owns === true;
    if (!owns) {
      this.logger.warn(
        { table: this.table },
        'this role does not own the queue table, so it cannot vacuum it: keep autovacuum on for it',
      );
    }
    return owns;
  }
}

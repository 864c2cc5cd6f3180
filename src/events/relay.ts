import type { Pool } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import { EVENTS_CHANNEL } from './bus.ts';

/**
 * Moves session events from `sessiongraph.event_outbox` (where the triggers of migration 12 put them, in the
 * writer's transaction) to `NOTIFY`, for every replica's subscribers. Every server runs one; replicas share
 * the outbox, each taking what no other holds (SKIP LOCKED), so each event is sent once. The statement
 * commits without waiting for the WAL flush (it only removes outbox rows, which are not logged anyway), so it
 * holds PostgreSQL's notify lock for moments, and no writer ever waits on that lock.
 */

/** Rows one statement takes: a burst of ended sessions goes out in a few statements. */
export const RELAY_BATCH = 500;
/** An event this old is dropped, not sent: it was left by a process with no relay (a CLI `sync`). */
const STALE_SECONDS = 60;
/**
 * Payloads under this many bytes are joined into JSON arrays, a chunk per multiple of it in the running
 * length: each chunk stays under twice this, and PostgreSQL's payload limit is 8000 bytes.
 */
const CHUNK_BYTES = 3900;

export const RELAY_EVENTS = `/* relayEvents */
  WITH gone AS (
    DELETE FROM sessiongraph.event_outbox WHERE id = ANY(ARRAY(
      SELECT id FROM sessiongraph.event_outbox ORDER BY id LIMIT ${RELAY_BATCH} FOR UPDATE SKIP LOCKED))
    RETURNING id, at, payload
  ),
  sized AS (
    SELECT id, payload, sum(octet_length(payload) + 1) OVER (ORDER BY id) AS upto FROM gone
     WHERE octet_length(payload) < ${CHUNK_BYTES} AND at > now() - interval '${STALE_SECONDS} seconds'
  ),
  chunks AS (
    SELECT '[' || string_agg(payload, ',' ORDER BY id) || ']' AS body FROM sized GROUP BY upto / ${CHUNK_BYTES}
  )
  SELECT set_config('synchronous_commit', 'off', true) AS commit,
         (SELECT count(*) FROM gone)::int AS taken,
         (SELECT count(pg_notify('${EVENTS_CHANNEL}', body)) FROM chunks)::int AS sent`;

export interface EventRelayOptions {
  /** How long the relay rests after finding the outbox empty (the events' added latency at most). */
  idleMs: number;
}

export class EventRelay {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  #failures = 0;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly options: EventRelayOptions = { idleMs: 20 },
  ) {}

  start(): void {
    this.#schedule(0);
  }

  /** Waits for the statement in flight; nothing runs after. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running = this.#relay().finally(() => {
        this.#running = null;
      });
    }, ms);
    // Never what keeps a process alive.
    this.#timer.unref();
  }

  async #relay(): Promise<void> {
    try {
      const result = await this.pool.query<{ taken: number }>(RELAY_EVENTS);
      this.#failures = 0;
      // A full batch: more are waiting.
      this.#schedule(result.rows[0]!.taken >= RELAY_BATCH ? 0 : this.options.idleMs);
    } catch (error) {
      this.#failures += 1;
      // Once per run of failures (a database restart fails every attempt): the next success resets it.
      if (this.#failures === 1)
        this.logger.warn({ err: error }, 'event relay: could not relay session events');
      this.#schedule(Math.min(5_000, this.options.idleMs * 2 ** Math.min(this.#failures, 8)));
    }
  }
}

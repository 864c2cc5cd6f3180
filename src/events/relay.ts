import type { Pool } from '../db/pool.ts';
import { QueueVacuum } from '../db/queue-vacuum.ts';
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
/**
 * An event older than this is dropped, not sent: no server relayed for that long (none ran while a CLI
 * `sync` wrote), and subscribers who missed that much re-read anyway (a stream that may have missed
 * events ends with an error, src/events/stream.ts).
 */
const STALE_SECONDS = 600;
/**
 * Payloads under this many bytes are joined into JSON arrays, a chunk per multiple of it in the running
 * length: each chunk stays under twice this. Longer ones go alone, up to PostgreSQL's limit (8000 bytes).
 */
const CHUNK_BYTES = 3900;
const MAX_PAYLOAD_BYTES = 7990;
/** Polling while the outbox stays empty slows from the shortest to the longest rest. */
const REST_MS = { shortest: 50, longest: 250 };
/**
 * A write in this process asks for a relay at once (`kick`), but not more often than this: under thousands
 * of writes a second, one statement relays many writers' events. Each relay is a statement and a commit of
 * its own, so fewer of them cost writes less PostgreSQL time (docs/performance.md).
 */
const KICK_SPACING_MS = 50;

export const RELAY_EVENTS = `/* relayEvents */
  WITH gone AS (
    DELETE FROM sessiongraph.event_outbox WHERE id = ANY(ARRAY(
      SELECT id FROM sessiongraph.event_outbox ORDER BY id LIMIT ${RELAY_BATCH} FOR UPDATE SKIP LOCKED))
    RETURNING id, at, payload
  ),
  sendable AS (
    SELECT id, payload, sum(octet_length(payload) + 1) OVER (ORDER BY id) AS upto FROM gone
     WHERE octet_length(payload) < ${MAX_PAYLOAD_BYTES} AND at > clock_timestamp() - interval '${STALE_SECONDS} seconds'
  ),
  chunks AS (
    SELECT min(id) AS first, '[' || string_agg(payload, ',' ORDER BY id) || ']' AS body FROM sendable
     GROUP BY CASE WHEN octet_length(payload) >= ${CHUNK_BYTES} THEN -id ELSE upto / ${CHUNK_BYTES} END
  )
  SELECT set_config('synchronous_commit', 'off', true) AS commit,
         (SELECT count(*) FROM gone)::int AS taken,
         (SELECT count(*) FROM sendable)::int AS kept,
         (SELECT count(pg_notify('${EVENTS_CHANNEL}', body))
            FROM (SELECT body FROM chunks ORDER BY first) AS ordered)::int AS sent`;

export class EventRelay {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  #failures = 0;
  #rest = REST_MS.shortest;
  #due = 0;
  #lastStart = 0;
  #kicked = false;
  readonly #queue: QueueVacuum;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
  ) {
    this.#queue = new QueueVacuum(pool, 'sessiongraph.event_outbox', logger);
  }

  start(): void {
    this.#schedule(0);
  }

  /** Waits for the statement in flight, then relays what is left once (a restart may take a while). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
    await this.#relayOnce().catch(() => undefined);
    await this.#queue.settled();
  }

  /** A write of this process committed events: relay them soon instead of at the next poll. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#kicked = true;
      return;
    }
    const at = Math.max(Date.now(), this.#lastStart + KICK_SPACING_MS);
    if (this.#timer && this.#due <= at) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#rest = REST_MS.shortest;
    this.#schedule(at - Date.now());
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#due = Date.now() + ms;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running = this.#relay().finally(() => {
        this.#running = null;
      });
    }, ms);
    // Never what keeps a process alive.
    this.#timer.unref();
  }

  async #relayOnce(): Promise<number> {
    const result = await this.pool.query<{ taken: number; kept: number }>(RELAY_EVENTS);
    const { taken, kept } = result.rows[0]!;
    if (kept < taken) {
      this.logger.warn(
        { dropped: taken - kept },
        'event relay: dropped session events older than the stale limit or too long to notify',
      );
    }
    return taken;
  }

  async #relay(): Promise<void> {
    this.#lastStart = Date.now();
    this.#kicked = false;
    try {
      const taken = await this.#relayOnce();
      this.#failures = 0;
      this.#queue.removed(taken);
      // While events come, the shortest rest (none after a full batch); while none do, longer ones.
      this.#rest = taken > 0 ? REST_MS.shortest : Math.min(REST_MS.longest, this.#rest * 2);
      this.#schedule(
        taken >= RELAY_BATCH
          ? 0
          : this.#kicked
            ? Math.max(0, this.#lastStart + KICK_SPACING_MS - Date.now())
            : this.#rest,
      );
    } catch (error) {
      this.#failures += 1;
      // Once per run of failures (a database restart fails every attempt): the next success resets it.
      if (this.#failures === 1)
        this.logger.warn({ err: error }, 'event relay: could not relay session events');
      this.#schedule(Math.min(5_000, REST_MS.shortest * 2 ** Math.min(this.#failures, 8)));
    }
  }
}

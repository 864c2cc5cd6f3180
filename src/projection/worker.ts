import pg from 'pg';
import type { Pool } from '../db/pool.ts';
import type { NotificationHub } from '../db/notifications.ts';
import { QueueVacuum } from '../db/queue-vacuum.ts';
import type { Logger } from '../log.ts';
import type { ProjectableStore, Projector } from './projector.ts';

/**
 * The sync worker: applies the change queue to the projection in batches, woken by NOTIFY (with a
 * short poll as a safety net), and backfills any store whose projection is not complete yet. Several
 * replicas may run it at once: batches are claimed with SKIP LOCKED and keys locked one by one.
 */
export interface SyncWorkerOptions {
  batchSize?: number;
  pollMilliseconds?: number;
  /** Backfill incomplete stores before following the queue (the server does; `sync` does too). */
  backfill?: boolean;
  /** The process's LISTEN connection, when it has one (the server): no second connection for this. */
  notifications?: NotificationHub;
  /** Told each time the worker stops on an unexpected error and is started again (metrics). */
  onRestart?: () => void;
}

/** Backoff between restarts after unexpected errors: doubling from the first to the last. */
const FIRST_BACKOFF_MS = 1_000;
const LAST_BACKOFF_MS = 60_000;

export class SyncWorker {
  private stopped = false;
  private listener: pg.Client | null = null;
  private unsubscribe: (() => void) | null = null;
  private wake: (() => void) | null = null;
  private running: Promise<void> | null = null;
  /** The last unexpected error, until a batch applies again (shown by /readyz). */
  private failure: { message: string; at: Date } | null = null;
  applied = 0;
  private readonly queue: QueueVacuum;

  constructor(
    private readonly pool: Pool,
    private readonly connectionString: string,
    private readonly projector: Projector,
    private readonly stores: ReadonlyMap<string, ProjectableStore>,
    private readonly logger: Logger,
    private readonly options: SyncWorkerOptions = {},
  ) {
    this.queue = new QueueVacuum(pool, 'sessiongraph.changes', logger);
  }

  /**
   * Runs until `stop`. An unexpected error (the database gone during a backfill, a bug) never ends it: the
   * worker is started again after a backoff, and /readyz says so meanwhile. Rows never cause one: each
   * row that cannot be decoded or stored is projected INVALID (see Projector).
   */
  start(): void {
    this.running = this.supervise();
  }

  /** Whether the worker is working; else why not, for /readyz. */
  health(): { ok: boolean; detail?: string } {
    if (!this.failure) return { ok: true };
    return {
      ok: false,
      detail: `the sync worker failed at ${this.failure.at.toISOString()} (${this.failure.message}) and is retrying`,
    };
  }

  private async supervise(): Promise<void> {
    let backoff = FIRST_BACKOFF_MS;
    while (!this.stopped) {
      const began = Date.now();
      try {
        await this.run();
        return;
      } catch (error) {
        if (this.stopped) return;
        this.failure = { message: (error as Error)?.message ?? String(error), at: new Date() };
        this.options.onRestart?.();
        this.logger.error({ err: error, retryInMs: backoff }, 'sync worker stopped; restarting');
        await this.sleep(backoff);
        // A worker that ran a good while before failing starts over from the first backoff.
        backoff =
          Date.now() - began > LAST_BACKOFF_MS ? FIRST_BACKOFF_MS : Math.min(backoff * 2, LAST_BACKOFF_MS);
      }
    }
  }

  /** Waits `ms`, or until `stop` (or a notification) wakes the worker. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      this.wake = null;
    });
  }

  /** Stops after the batch in hand is committed. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    await this.queue.settled();
    this.unsubscribe?.();
    await this.listener?.end().catch(() => {});
  }

  /** Applies everything queued now; returns how many changes. */
  async drain(): Promise<number> {
    const batchSize = this.options.batchSize ?? 500;
    let total = 0;
    for (;;) {
      const applied = await this.projector.syncBatch(this.pool, this.stores, batchSize);
      total += applied;
      if (applied < batchSize) {
        this.queue.removed(total);
        return total;
      }
    }
  }

  /** Whether wake-ups arrive by NOTIFY (else the worker polls often). */
  private listening(): boolean {
    return this.options.notifications ? this.options.notifications.listening : this.listener !== null;
  }

  private async listen(): Promise<void> {
    if (this.unsubscribe || this.listener) return;
    const hub = this.options.notifications;
    if (hub) {
      this.unsubscribe = hub.on('sessiongraph_changes', () => this.wake?.());
      return;
    }
    try {
      const client = new pg.Client({ connectionString: this.connectionString });
      client.on('error', () => {
        this.listener = null;
      });
      await client.connect();
      await client.query('LISTEN sessiongraph_changes');
      client.on('notification', () => this.wake?.());
      this.listener = client;
    } catch (error) {
      this.logger.warn({ err: error }, 'sync worker cannot LISTEN; polling instead');
    }
  }

  private async run(): Promise<void> {
    await this.listen();
    if (this.options.backfill !== false) {
      let backfilled = false;
      for (const store of this.stores.values()) {
        if (this.stopped) return;
        const held = this.projector.held.get(store.name);
        if (held) this.logger.warn({ store: store.name }, `projection not backfilled: ${held}`);
        else if (!this.projector.isReady(store.name)) {
          const progress = await this.projector.backfill(this.pool, store);
          this.logger.info({ store: store.name, rows: progress.rows }, 'projection backfilled');
          backfilled = true;
        }
      }
      if (backfilled) reclaimMemory();
    }
    const poll = this.options.pollMilliseconds ?? 1000;
    while (!this.stopped) {
      try {
        this.applied += await this.drain();
        this.failure = null;
      } catch (error) {
        this.failure = { message: (error as Error)?.message ?? String(error), at: new Date() };
        this.logger.error({ err: error }, 'sync batch failed; retrying');
      }
      if (this.stopped) return;
      await this.sleep(this.listening() ? poll : Math.min(poll, 250));
    }
  }
}

/**
 * A backfill decodes whole tables once; V8 keeps the heap it grew for that (about 120 MB for 100,000
 * Django rows) long after the garbage is gone. One full collection when it ends gives it back, where the
 * process allows it (`npm start` runs node with --expose-gc); without the flag this does nothing.
 */
function reclaimMemory(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

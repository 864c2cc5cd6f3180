import pg from 'pg';
import type { Logger } from '../log.ts';

/**
 * One LISTEN connection per process, shared by everything that follows PostgreSQL notifications (the
 * token cache, live session events). It reconnects on its own; while it is down, `listening` is false and
 * every follower is told, since notifications sent meanwhile are lost: a cache must stop trusting itself,
 * a subscriber may have missed events.
 */

type Handler = (payload: string) => void;

export interface NotificationHubOptions {
  /** First reconnect delay; doubles up to `maxRetryMilliseconds`. */
  retryMilliseconds?: number;
  maxRetryMilliseconds?: number;
}

export class NotificationHub {
  private client: pg.Client | null = null;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly stateHandlers = new Set<(listening: boolean) => void>();
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private delay: number;
  /** LISTENs issued after connecting, one at a time: pg 9 refuses a query while another runs on the client. */
  private listens: Promise<unknown> = Promise.resolve();
  /** Whether notifications are being received right now (LISTEN issued on a live connection). */
  listening = false;

  constructor(
    private readonly connectionString: string,
    private readonly logger: Logger,
    private readonly options: NotificationHubOptions = {},
  ) {
    this.delay = options.retryMilliseconds ?? 250;
  }

  /** Connects (resolves once listening or once the first attempt failed; retries continue behind it). */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Calls `handler` with each payload sent on `channel`; returns the unsubscribe. */
  on(channel: string, handler: Handler): () => void {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      const client = this.listening ? this.client : null;
      if (client) {
        this.listens = this.listens
          .then(() => client.query(`LISTEN ${pg.escapeIdentifier(channel)}`))
          .catch(() => {});
      }
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Told whenever `listening` changes. */
  onState(handler: (listening: boolean) => void): () => void {
    this.stateHandlers.add(handler);
    return () => this.stateHandlers.delete(handler);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    this.setListening(false);
    await client?.end().catch(() => {});
  }

  private setListening(listening: boolean) {
    if (this.listening === listening) return;
    this.listening = listening;
    for (const handler of this.stateHandlers) handler(listening);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 5000 });
    // An idle client that loses its server emits 'error'; without a listener that would crash the process.
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, null));
    client.on('notification', (message) => {
      const set = this.handlers.get(message.channel);
      if (!set) return;
      for (const handler of set) {
        try {
          handler(message.payload ?? '');
        } catch (error) {
          this.logger.error({ err: error, channel: message.channel }, 'notification handler failed');
        }
      }
    });
    try {
      await client.connect();
      for (const channel of this.handlers.keys())
        await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      if (this.stopped) {
        await client.end().catch(() => {});
        return;
      }
      this.client = client;
      this.delay = this.options.retryMilliseconds ?? 250;
      this.setListening(true);
    } catch (error) {
      this.logger.warn({ err: error }, 'cannot LISTEN for notifications; retrying');
      await client.end().catch(() => {});
      this.retry();
    }
  }

  private lost(client: pg.Client, error: Error | null) {
    if (this.client !== client) return;
    this.client = null;
    this.setListening(false);
    if (this.stopped) return;
    this.logger.warn({ err: error ?? undefined }, 'notification connection lost; reconnecting');
    this.retry();
  }

  private retry() {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.delay);
    this.retryTimer.unref();
    this.delay = Math.min(this.delay * 2, this.options.maxRetryMilliseconds ?? 2000);
  }
}

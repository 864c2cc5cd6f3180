import type { NotificationHub } from '../db/notifications.ts';
import type { Logger } from '../log.ts';

/**
 * Session changes as they commit anywhere (any replica, the sync worker, a framework writing its own
 * table), read from the `sessiongraph_events` notifications (sent by the servers' relays from the outbox,
 * src/events/relay.ts, and by the sweeper) and handed to this process's subscribers.
 */
export const EVENTS_CHANNEL = 'sessiongraph_events';

export type SessionEventKind = 'CREATED' | 'UPDATED' | 'ENDED' | 'EXPIRED';

export interface SessionEvent {
  kind: SessionEventKind;
  store: string;
  ref: string;
  userId: string | null;
  expiresAt: Date | null;
  at: Date;
}

type Listener = (event: SessionEvent) => void;

const KINDS: Record<string, SessionEventKind> = {
  created: 'CREATED',
  updated: 'UPDATED',
  ended: 'ENDED',
  expired: 'EXPIRED',
};

/**
 * A notification's payload as events: one object, or an array of them (a relay's or a sweep's batch);
 * null for anything malformed (never thrown: it is not ours to fix).
 */
function parseEventPayload(payload: string, nativeStore: string, at: Date): SessionEvent[] | null {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return null;
  }
  const events: SessionEvent[] = [];
  for (const item of Array.isArray(raw) ? raw : [raw]) {
    const event = parseEvent(item, nativeStore, at);
    if (!event) return null;
    events.push(event);
  }
  return events;
}

function parseEvent(raw: unknown, nativeStore: string, at: Date): SessionEvent | null {
  if (!raw || typeof raw !== 'object') return null;
  const { s, r, u, k, e } = raw as Record<string, unknown>;
  const kind = typeof k === 'string' ? KINDS[k] : undefined;
  if (!kind || typeof r !== 'string' || (s !== null && typeof s !== 'string')) return null;
  const expiresAt = typeof e === 'string' ? new Date(e) : null;
  return {
    kind,
    store: s ?? nativeStore,
    ref: r,
    userId: typeof u === 'string' ? u : null,
    expiresAt: expiresAt && !Number.isNaN(expiresAt.getTime()) ? expiresAt : null,
    at,
  };
}

export class SessionEventBus {
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly hub: NotificationHub,
    nativeStore: string,
    logger: Logger,
  ) {
    hub.on(EVENTS_CHANNEL, (payload) => {
      const events = parseEventPayload(payload, nativeStore, new Date());
      if (!events) {
        logger.warn('malformed session event notification ignored');
        return;
      }
      for (const event of events) for (const listener of this.listeners) listener(event);
    });
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called once when events stop arriving (the LISTEN connection dropped): what follows may be missing. */
  onInterrupted(handler: () => void): () => void {
    return this.hub.onState((listening) => {
      if (!listening) handler();
    });
  }
}

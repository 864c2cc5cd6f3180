import { GraphQLError } from 'graphql';
import type { FollowRefusal } from '../auth/rules.ts';
import type { SessionEvent, SessionEventBus } from './bus.ts';
import type { ErrorCode } from '../errors/codes.ts';

/**
 * One subscriber's events as an async iterator: the bus's events that pass `filter`, plus EXPIRED events
 * produced here when a session this subscriber knows about reaches its expiry (nothing is written to the
 * database when a session merely expires, so no notification could say so). Known sessions are those
 * `initial` lists at the start and those seen in events since.
 */
export interface StreamOptions {
  filter: (event: SessionEvent) => boolean;
  /** Live sessions that already exist when the stream starts (their expiry is watched). */
  initial?: readonly Pick<SessionEvent, 'store' | 'ref' | 'userId' | 'expiresAt'>[];
  /** Upper bound on queued events before the slowest consumer loses the oldest (memory stays bounded). */
  maxQueued?: number;
}

/** setTimeout's ceiling; a later expiry is re-armed when this fires. */
const MAX_DELAY = 2 ** 31 - 1;

export function eventStream(
  bus: SessionEventBus,
  options: StreamOptions,
): AsyncIterableIterator<SessionEvent> {
  const queue: SessionEvent[] = [];
  const maxQueued = options.maxQueued ?? 1000;
  let wake: (() => void) | null = null;
  let done = false;
  const timers = new Map<string, NodeJS.Timeout>();
  const expiredReported = new Set<string>();

  const push = (event: SessionEvent) => {
    if (done) return;
    if (queue.length >= maxQueued) queue.shift();
    queue.push(event);
    wake?.();
  };

  const watchExpiry = (session: Pick<SessionEvent, 'store' | 'ref' | 'userId' | 'expiresAt'>) => {
    const id = `${session.store}:${session.ref}`;
    clearTimeout(timers.get(id));
    timers.delete(id);
    if (!session.expiresAt) return;
    const arm = () => {
      const delay = session.expiresAt!.getTime() - Date.now();
      const timer = setTimeout(
        () => {
          if (session.expiresAt!.getTime() > Date.now()) return arm();
          timers.delete(id);
          expiredReported.add(id);
          push({ ...session, kind: 'EXPIRED', at: new Date() });
        },
        Math.min(Math.max(delay, 0), MAX_DELAY),
      );
      timer.unref();
      timers.set(id, timer);
    };
    arm();
  };

  for (const session of options.initial ?? []) watchExpiry(session);

  const unsubscribe = bus.subscribe((event) => {
    if (!options.filter(event)) return;
    const id = `${event.store}:${event.ref}`;
    if (event.kind === 'CREATED' || event.kind === 'UPDATED') {
      expiredReported.delete(id);
      watchExpiry(event);
    } else {
      clearTimeout(timers.get(id));
      timers.delete(id);
      // The sweeper deleting a session already reported expired says nothing new.
      if (event.kind === 'EXPIRED' && expiredReported.delete(id)) return;
    }
    push(event);
  });

  // A gap in the notifications cannot be filled in: the stream ends with an error, and the client
  // resubscribes (and re-reads what it follows) rather than trusting a stream with a hole in it.
  let failure: Error | null = null;
  const stopWatchingGaps = bus.onInterrupted(() => {
    failure = new GraphQLError(
      'Live events were interrupted (the database connection dropped); resubscribe.',
      {
        extensions: { code: 'SERVICE_UNAVAILABLE' satisfies ErrorCode },
      },
    );
    finish();
  });

  const finish = () => {
    done = true;
    unsubscribe();
    stopWatchingGaps();
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
    wake?.();
  };

  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<SessionEvent>> {
      while (queue.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      if (queue.length > 0) return { value: queue.shift()!, done: false };
      if (failure) {
        const error = failure;
        failure = null;
        throw error;
      }
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<SessionEvent>> {
      finish();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown): Promise<IteratorResult<SessionEvent>> {
      finish();
      throw error;
    },
  };
}

/** What `whileAllowed`'s check returns to send an event as the stream's last. */
export const LAST_EVENT = Symbol('last event');

/**
 * `stream`, each event sent only once `allowed` says the subscriber may still have it: null sends it,
 * LAST_EVENT sends it and ends the stream, and a refusal ends the stream with its error. A check that fails
 * (the database unreachable) ends it too, as SERVICE_UNAVAILABLE: the client resubscribes. Either way the
 * inner stream is ended here, since no caller returns an iterator that threw.
 */
export function whileAllowed(
  stream: AsyncIterableIterator<SessionEvent>,
  allowed: (event: SessionEvent) => Promise<FollowRefusal | typeof LAST_EVENT | null>,
): AsyncIterableIterator<SessionEvent> {
  let ended = false;
  const end = async () => {
    ended = true;
    await stream.return?.();
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<SessionEvent>> {
      if (ended) return { value: undefined, done: true };
      const result = await stream.next();
      if (result.done) return result;
      let verdict: Awaited<ReturnType<typeof allowed>>;
      try {
        verdict = await allowed(result.value);
      } catch {
        await end();
        throw new GraphQLError('Could not check that this subscription may go on; subscribe again.', {
          extensions: { code: 'SERVICE_UNAVAILABLE' satisfies ErrorCode },
        });
      }
      // Ended (returned) while the check ran: nothing more is sent.
      if (ended) return { value: undefined, done: true };
      if (verdict === null) return result;
      await end();
      if (verdict === LAST_EVENT) return result;
      throw new GraphQLError(verdict.message, { extensions: { code: verdict.code satisfies ErrorCode } });
    },
    async return(): Promise<IteratorResult<SessionEvent>> {
      await end();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown): Promise<IteratorResult<SessionEvent>> {
      await end();
      throw error;
    },
  };
}

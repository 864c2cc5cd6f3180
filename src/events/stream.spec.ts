/** whileAllowed: a subscription whose credentials are checked again before each event. */
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from './bus.ts';
import { LAST_EVENT, whileAllowed } from './stream.ts';

const event = (ref: string): SessionEvent => ({
  kind: 'UPDATED',
  store: 'native',
  ref,
  userId: '1',
  expiresAt: null,
  at: new Date(0),
});

/** A stream of `events`, saying whether it was ended (as the event bus's listener is removed then). */
function source(events: SessionEvent[]) {
  const state = { ended: false };
  const stream: AsyncIterableIterator<SessionEvent> = {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const value = events.shift();
      return value === undefined || state.ended ? { value: undefined, done: true } : { value, done: false };
    },
    async return() {
      state.ended = true;
      return { value: undefined, done: true };
    },
  };
  return { stream, state };
}

describe('whileAllowed', () => {
  it('should send events while allowed, end with the refusal, and send the last event when told', async () => {
    const { stream, state } = source([event('a'), event('b'), event('c')]);
    const verdicts: (typeof LAST_EVENT | null)[] = [null, LAST_EVENT];
    const wrapped = whileAllowed(stream, async () => verdicts.shift() ?? null);
    expect((await wrapped.next()).value?.ref).toBe('a');
    expect((await wrapped.next()).value?.ref).toBe('b');
    expect(await wrapped.next()).toEqual({ value: undefined, done: true });
    expect(state.ended).toBe(true);

    const refused = source([event('a')]);
    const closed = whileAllowed(refused.stream, async () => ({
      message: 'The API token is revoked.',
      code: 'UNAUTHENTICATED',
    }));
    await expect(closed.next()).rejects.toMatchObject({
      message: 'The API token is revoked.',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    expect(refused.state.ended).toBe(true);
  });

  it('should end the stream as SERVICE_UNAVAILABLE when the check itself fails', async () => {
    const { stream, state } = source([event('a'), event('b')]);
    const wrapped = whileAllowed(stream, async () => {
      throw new Error('Connection terminated unexpectedly');
    });
    const error = await wrapped.next().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(state.ended).toBe(true);
    expect(await wrapped.next()).toEqual({ value: undefined, done: true });
  });

  it('should send nothing more once returned while a check is pending', async () => {
    const { stream, state } = source([event('a'), event('b')]);
    let release = () => {};
    const wrapped = whileAllowed(stream, () => new Promise((resolve) => (release = () => resolve(null))));
    const pending = wrapped.next();
    await new Promise((resolve) => setImmediate(resolve));
    await wrapped.return!();
    release();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(state.ended).toBe(true);
  });
});

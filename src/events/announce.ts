import type { Queryable } from '../db/pool.ts';
import { EVENTS_CHANNEL } from './bus.ts';

/** PostgreSQL refuses a notification payload of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7900;

/**
 * Events (each one notification payload's JSON object) as JSON arrays of several, each under the payload
 * limit. An event too long on its own cannot be sent at all and is left out.
 */
export function batchEvents(events: readonly string[]): string[] {
  const batches: string[] = [];
  let batch: string[] = [];
  let bytes = 2;
  for (const event of events) {
    const size = Buffer.byteLength(event) + 1;
    if (size + 2 > MAX_PAYLOAD_BYTES) continue;
    if (bytes + size > MAX_PAYLOAD_BYTES) {
      batches.push(`[${batch.join(',')}]`);
      batch = [];
      bytes = 2;
    }
    batch.push(event);
    bytes += size;
  }
  if (batch.length > 0) batches.push(`[${batch.join(',')}]`);
  return batches;
}

/**
 * Sends events after the transaction that made them has committed, in a statement of its own: the
 * notify lock a notifying commit holds is then held for this short commit, not for a bulk delete's.
 */
export async function announce(db: Queryable, events: readonly string[]): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `/* announceEvents */ SELECT pg_notify('${EVENTS_CHANNEL}', payload) FROM unnest($1::text[]) AS payload`,
    [batchEvents(events)],
  );
}

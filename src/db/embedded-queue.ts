import type { PGlite } from '@electric-sql/pglite';

/**
 * The order in which the embedded database's connections reach its one backend. pglite-socket's own queue
 * (0.2.x) hands the backend one wire message at a time, from any connection, and keeps a connection's turn
 * only while a transaction is open. An extended-protocol query (Parse, Bind, Execute, Sync) is no
 * transaction, so two connections' queries interleaved, and one bound the other's unnamed statement: under
 * concurrent requests the demo answered with errors or another query's rows, and a queue that threw once
 * stopped for good (electric-sql/pglite#1046). Here a connection keeps its turn until the backend says it is
 * ready for a new query outside a transaction (ReadyForQuery, status idle), and a failure never stops the queue.
 */

interface Queued {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
}

const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'
const TERMINATE = 0x58; // 'X'
const SYNC = Uint8Array.of(0x53, 0, 0, 0, 4);
/** A simple Query message: sent as raw protocol, as the backend's lock is held (`exec` would wait on it). */
const ROLLBACK = Uint8Array.of(0x51, 0, 0, 0, 13, ...new TextEncoder().encode('ROLLBACK'), 0);

/** Follows the backend's messages in one answer to learn whether it ended ready and idle. */
class AnswerEnd {
  private header: number[] = [];
  private type = 0;
  private remaining = 0;
  private lastType = 0;
  private status = 0;

  push(data: Uint8Array) {
    let offset = 0;
    while (offset < data.length) {
      if (this.header.length < 5) {
        this.header.push(data[offset]!);
        offset += 1;
        if (this.header.length === 5) {
          const [type, a, b, c, d] = this.header as [number, number, number, number, number];
          this.type = type;
          this.remaining = ((a << 24) | (b << 16) | (c << 8) | d) - 4;
          if (this.remaining <= 0) this.complete();
        }
        continue;
      }
      if (this.type === READY_FOR_QUERY) this.status = data[offset]!;
      const taken = Math.min(this.remaining, data.length - offset);
      offset += taken;
      this.remaining -= taken;
      if (this.remaining === 0) this.complete();
    }
  }

  private complete() {
    this.lastType = this.type;
    this.header = [];
  }

  /** Whether the answer ended with ReadyForQuery outside a transaction. */
  get idle() {
    return this.header.length === 0 && this.lastType === READY_FOR_QUERY && this.status === IDLE;
  }
}

/** pglite-socket's queue, in the shape its connection handlers call it. */
export class BatchQueue {
  private queue: Queued[] = [];
  private processing = false;
  /** The connection whose query or transaction is under way on the backend, if any. */
  private owner: number | null = null;
  /**
   * Connections that have left (ids are never reused): what they still had on its way is not run. The
   * latest thousand are kept: a message does not arrive that late.
   */
  private readonly gone = new Set<number>();

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.process();
    });
  }

  getQueueLength() {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number) {
    this.gone.add(handlerId);
    if (this.gone.size > 1000) this.gone.delete(this.gone.values().next().value!);
    this.queue = this.queue.filter((item) => {
      if (item.handlerId !== handlerId) return true;
      item.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  /** A connection gone in the middle of its turn: its query ended, its transaction rolled back. */
  async clearTransactionIfNeeded(handlerId: number) {
    // Under the backend's lock, as `process` hands the turn on: a message of this connection in flight
    // when it left has finished and said whether the turn is still its own.
    const cleared = await this.db
      .runExclusive(async () => {
        if (this.owner !== handlerId) return false;
        await this.release();
        return true;
      })
      .catch(() => false);
    if (cleared) await this.process();
  }

  /**
   * Ends the owner's turn, under the backend's lock: whatever it left open is closed, so the next connection
   * starts on an idle backend. Never throws: the turn is handed on whatever the backend says.
   */
  private async release() {
    try {
      // First a ROLLBACK: a Sync would commit what the connection executed and never synced, where a real
      // backend whose client left aborts it. A backend that saw an error skips every message until a Sync
      // (this ROLLBACK too), so then the Sync, and a ROLLBACK for an explicit transaction still open.
      await this.discard(ROLLBACK);
      await this.discard(SYNC);
      if (this.db.isInTransaction()) await this.discard(ROLLBACK);
    } catch {
      // A backend that cannot take a Sync or a ROLLBACK has nothing more to give the next connection.
    } finally {
      this.owner = null;
    }
  }

  /** Sends `message` to the backend, its answer for no one. */
  private discard(message: Uint8Array) {
    return this.db.execProtocolRawStream(message, { onRawData: () => {} });
  }

  private async process() {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const index = this.owner === null ? 0 : this.queue.findIndex((item) => item.handlerId === this.owner);
        // The owner's next message has not come yet: the others wait for it.
        if (index === -1) break;
        const item = this.queue.splice(index, 1)[0]!;
        const end = new AnswerEnd();
        let bytes = 0;
        try {
          await this.db.runExclusive(async () => {
            if (this.gone.has(item.handlerId)) throw new Error('Handler disconnected');
            if (item.message[0] === TERMINATE) {
              // PGlite ignores a Terminate: a connection leaving in its transaction would leave it open.
              if (this.owner === item.handlerId) await this.release();
              return;
            }
            await this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                end.push(data);
                item.onData(data);
              },
            });
            this.owner = end.idle ? null : item.handlerId;
          });
          item.resolve(bytes);
        } catch (error) {
          item.reject(error);
        }
      }
    } finally {
      this.processing = false;
    }
  }
}

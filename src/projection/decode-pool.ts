import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DecodeBudgets } from '../codecs/budgets.ts';
import type { FieldConfig } from '../config-parts.ts';
import type { Logger } from '../log.ts';
import type { BlobRow } from '../stores/blob.sql.ts';
import type { DecoderSource } from '../stores/blob-store.ts';
import type { DecodeJob, DecodeReply, WorkerReady, WorkerSetup } from './decode-worker.ts';
import type { RowSummary } from './rows.ts';

/**
 * Worker threads that decode framework rows into projection rows (decode-worker.ts), for bulk work only:
 * the backfill, `sync --verify` and large sync batches. Requests never come here.
 *
 * Each worker runs under a heap cap (`resourceLimits`), so a row that blows up beyond what the budgets
 * foresaw costs a worker, not the process. A worker that dies (out of memory, a crash, a row it decodes for
 * longer than STALL_MS) costs only its job: the row it was decoding (it says which, through shared memory)
 * is tried once more alone in a fresh worker and projected INVALID if that worker dies too; the job's other
 * rows are decoded in-process by the caller. The pool starts another worker, counts the loss
 * (`sessiongraph_decode_workers_lost_total`) and logs it. Workers start when there is work and stop after
 * IDLE_MS without any, giving their memory back.
 */

/** Jobs a worker holds at once: the next is there when it answers one, so it never waits for us. */
const JOBS_PER_WORKER = 2;
/** A worker with nothing to do this long stops. */
const IDLE_MS = 10_000;
/** A row still decoding after this long (the budgets keep real ones far below) stops its worker. */
const STALL_MS = 60_000;
/**
 * Characters of row texts one job returns at most (at least one row): the rest comes as another job. Small
 * beside a worker's heap, which holds them until they are sent.
 */
const JOB_CHARS = 4 * 1024 * 1024;
/** Workers that die without having started a row, in a row: the pool stops and decoding stays in-process. */
const MAX_BARREN_DEATHS = 3;

/** What the pool made of a job's rows, index by index. */
export interface PoolResult {
  /** Rows the result covers, from the first (all of them unless a worker's texts reached JOB_CHARS). */
  done: number;
  /**
   * Each row's projection as `rowJson` text; null where the caller decodes the row in-process (its worker
   * died on another row, or the pool is closed), or where `lost` names it.
   */
  jsons: (string | null)[];
  /** What verify compares, when asked for; null where `jsons` is. */
  summaries: (RowSummary | null)[] | null;
  /** Rows that stopped a worker: the problem to project them INVALID with. */
  lost: Map<number, string>;
}

export interface PoolStore {
  name: string;
  decoder: DecoderSource;
}

export interface DecodePoolOptions {
  threads: number;
  budgets: DecodeBudgets;
  fields: readonly FieldConfig[];
  keyPgType: string;
  /** Each worker's heap cap, in MB: enough for a job of ordinary rows. */
  heapMb: number;
  /**
   * The heap cap of the one-off worker a row that stopped a worker is tried again in, alone: what the process
   * itself may use, so a row that would decode in-process decodes there too.
   */
  retryHeapMb: number;
  logger: Logger;
  onRowError: (store: string, ref: string, error: unknown) => void;
}

type Death = { reason: LossReason; culprit: number | null };
type Outcome = { reply: DecodeReply } | { death: Death } | { off: true };

interface Task {
  id: number;
  store: PoolStore;
  rows: BlobRow[];
  now: number;
  summaries: boolean;
  settle(outcome: Outcome): void;
}

interface Slot {
  worker: Worker;
  tasks: Task[];
  seen: Set<string>;
  progress: Int32Array;
  /** The progress last seen, and since when, for the stall watch. */
  watched: { job: number; index: number; since: number };
  error: (Error & { code?: string }) | null;
  ending: 'idle' | 'stalled' | 'closed' | null;
  idle: NodeJS.Timeout | null;
  /** Whether it ever started a row (a worker that cannot even start says nothing of any row). */
  started: boolean;
  /** Whether it has loaded (said so). */
  ready: boolean;
}

export type LossReason = 'out-of-memory' | 'crashed' | 'stalled';

/** Workers lost, by reason, in this process (the metric reads it; any pool counts). */
const losses = new Map<LossReason, number>();
export const decodeWorkersLost = (): ReadonlyMap<LossReason, number> => losses;

export class DecodePool {
  private readonly slots = new Set<Slot>();
  private readonly queue: Task[] = [];
  private nextId = 1;
  private barrenDeaths = 0;
  private disabled = false;
  private watch: NodeJS.Timeout | null = null;

  constructor(private readonly options: DecodePoolOptions) {}

  /** Whether jobs go to workers (false once closed, or after workers kept dying at start). */
  get active(): boolean {
    return !this.disabled;
  }

  /**
   * The rows' projections, in order, from one worker job: all of them, or the first `done` when their texts
   * reached a job's worth (the caller sends the rest again). Never rejects: rows whose worker died come back
   * for the caller to decode in-process, or as `lost`.
   */
  async run(store: PoolStore, rows: readonly BlobRow[], now: Date, summaries: boolean): Promise<PoolResult> {
    const result: PoolResult = {
      done: rows.length,
      jsons: new Array<string | null>(rows.length).fill(null),
      summaries: summaries ? new Array<RowSummary | null>(rows.length).fill(null) : null,
      lost: new Map(),
    };
    const outcome = await this.submit(store, [...rows], now.getTime(), summaries);
    if ('reply' in outcome) {
      this.take(store, outcome.reply, 0, result);
      result.done = outcome.reply.done;
    } else if ('death' in outcome && outcome.death.culprit !== null) {
      const { culprit, reason } = outcome.death;
      // Once more alone, in a worker with the process's own heap cap: it may have died of what its job held,
      // or of a heap the process would have had. Never in-process: what stopped it might stop the server.
      const again = reason === 'stalled' ? outcome : await this.alone(store, rows[culprit]!, now, summaries);
      if ('reply' in again) this.take(store, again.reply, culprit, result);
      else result.lost.set(culprit, lostProblem('death' in again ? again.death.reason : reason));
    }
    return result;
  }

  /** One row in a one-off worker of its own (`retryHeapMb`), stopped once it answers or after STALL_MS. */
  private alone(store: PoolStore, row: BlobRow, now: Date, summaries: boolean): Promise<Outcome> {
    if (this.disabled) return Promise.resolve({ off: true });
    const progress = new SharedArrayBuffer(8);
    const worker = startWorker(this.setup(progress), this.options.retryHeapMb);
    const job: DecodeJob = {
      id: this.nextId++,
      store: store.name,
      spec: store.decoder.spec,
      now: now.getTime(),
      rows: [row],
      summaries,
      maxChars: JOB_CHARS,
    };
    return new Promise<Outcome>((settle) => {
      let error: (Error & { code?: string }) | null = null;
      let stalled = false;
      let answered = false;
      const timer = setTimeout(() => {
        stalled = true;
        void worker.terminate();
      }, STALL_MS);
      worker.on('message', (reply: DecodeReply | WorkerReady) => {
        if ('ready' in reply) return;
        answered = true;
        clearTimeout(timer);
        settle({ reply });
        void worker.terminate();
      });
      worker.on('error', (thrown: Error) => {
        error = thrown;
      });
      worker.on('exit', () => {
        clearTimeout(timer);
        if (answered) return;
        const reason = stalled ? 'stalled' : lossOf(error);
        this.lose(
          reason,
          store.name,
          row.ref,
          1,
          error,
          'a row stopped a decode worker twice: it is INVALID',
        );
        settle({ death: { reason, culprit: 0 } });
      });
      worker.postMessage(job);
    });
  }

  /** Stops every worker; jobs in hand come back for in-process decoding. */
  async close(): Promise<void> {
    this.disabled = true;
    for (const task of this.queue.splice(0)) task.settle({ off: true });
    await Promise.all(
      [...this.slots].map((slot) => {
        slot.ending = 'closed';
        return slot.worker.terminate();
      }),
    );
  }

  private take(store: PoolStore, reply: DecodeReply, offset: number, result: PoolResult) {
    for (let index = 0; index < reply.done; index += 1) {
      result.jsons[offset + index] = reply.jsons[index]!;
      if (result.summaries && reply.summaries) result.summaries[offset + index] = reply.summaries[index]!;
    }
    for (const problem of reply.failures) store.decoder.decodeFailed(problem);
    for (const told of reply.errors) {
      const error = Object.assign(new Error(told.message), { name: told.name, stack: told.stack });
      this.options.onRowError(store.name, told.ref, error);
    }
  }

  private submit(store: PoolStore, rows: BlobRow[], now: number, summaries: boolean): Promise<Outcome> {
    if (this.disabled) return Promise.resolve({ off: true });
    return new Promise<Outcome>((settle) => {
      this.queue.push({ id: this.nextId++, store, rows, now, summaries, settle });
      this.pump();
    });
  }

  /** Hands queued jobs to workers with room, starting workers up to `threads`. */
  private pump(): void {
    while (this.queue.length > 0 && !this.disabled) {
      let slot: Slot | null = null;
      for (const candidate of this.slots) {
        if (candidate.ending || candidate.tasks.length >= JOBS_PER_WORKER) continue;
        if (!slot || candidate.tasks.length < slot.tasks.length) slot = candidate;
      }
      // An idle worker takes the job before another starts; a busy one only when no more may start.
      if ((!slot || slot.tasks.length > 0) && this.slots.size < this.options.threads) slot = this.spawn();
      if (!slot) return;
      this.send(slot, this.queue.shift()!);
    }
  }

  private send(slot: Slot, task: Task): void {
    if (slot.idle) clearTimeout(slot.idle);
    slot.idle = null;
    if (slot.tasks.length === 0) {
      slot.worker.ref();
      slot.watched = { job: -1, index: -1, since: Date.now() };
    }
    slot.tasks.push(task);
    const job: DecodeJob = {
      id: task.id,
      store: task.store.name,
      now: task.now,
      rows: task.rows,
      summaries: task.summaries,
      maxChars: JOB_CHARS,
    };
    if (!slot.seen.has(task.store.name)) {
      job.spec = task.store.decoder.spec;
      slot.seen.add(task.store.name);
    }
    slot.worker.postMessage(job);
    this.watchStalls();
  }

  private setup(progress: SharedArrayBuffer): WorkerSetup {
    const view = new Int32Array(progress);
    view[0] = -1;
    view[1] = -1;
    return {
      budgets: this.options.budgets,
      fields: [...this.options.fields],
      keyPgType: this.options.keyPgType,
      progress,
    };
  }

  /** Counts and logs a worker lost (never what it held: the rows' data, the stores' secrets). */
  private lose(
    reason: LossReason,
    store: string | undefined,
    ref: string | undefined,
    rows: number,
    error: unknown,
    message = 'a decode worker died: the row it was on is tried again alone in a worker, the rest of its job in-process; the worker is replaced',
  ) {
    losses.set(reason, (losses.get(reason) ?? 0) + 1);
    this.options.logger.error({ reason, store, ref, rows, err: error ?? undefined }, message);
  }

  private spawn(): Slot {
    const progress = new SharedArrayBuffer(8);
    const slot: Slot = {
      worker: startWorker(this.setup(progress), this.options.heapMb),
      tasks: [],
      seen: new Set(),
      progress: new Int32Array(progress),
      watched: { job: -1, index: -1, since: Date.now() },
      error: null,
      ending: null,
      idle: null,
      started: false,
      ready: false,
    };
    slot.worker.on('message', (message: DecodeReply | WorkerReady) => {
      if ('ready' in message) {
        slot.ready = true;
        if (slot.tasks.length === 0) this.idleSoon(slot);
      } else this.answered(slot, message);
    });
    slot.worker.on('error', (error: Error) => {
      slot.error = error;
    });
    slot.worker.on('exit', () => this.exited(slot));
    this.slots.add(slot);
    return slot;
  }

  private answered(slot: Slot, reply: DecodeReply): void {
    const task = slot.tasks.shift();
    if (!task || task.id !== reply.id) return; // cannot happen: a worker answers in order
    slot.started = true;
    this.barrenDeaths = 0;
    task.settle({ reply });
    if (slot.tasks.length === 0) this.idleSoon(slot);
    else slot.watched = { job: -1, index: -1, since: Date.now() };
    this.pump();
  }

  /** A worker without jobs keeps the process alive no longer, and stops after IDLE_MS unless one comes. */
  private idleSoon(slot: Slot): void {
    slot.worker.unref();
    if (slot.idle) clearTimeout(slot.idle);
    slot.idle = setTimeout(() => {
      slot.ending = 'idle';
      void slot.worker.terminate();
    }, IDLE_MS);
    slot.idle.unref();
  }

  /**
   * Whether a worker has loaded and can take jobs at once; if none has, starts them (for the next caller).
   * Latency-bound work (a sync batch) asks this, and decodes in-process meanwhile.
   */
  warm(): boolean {
    if (this.disabled) return false;
    for (const slot of this.slots) if (slot.ready && !slot.ending) return true;
    while (this.slots.size < this.options.threads) this.idleSoon(this.spawn());
    return false;
  }

  private exited(slot: Slot): void {
    this.slots.delete(slot);
    if (slot.idle) clearTimeout(slot.idle);
    const tasks = slot.tasks.splice(0);
    if (slot.ending === 'idle' || slot.ending === 'closed') {
      for (const task of tasks) task.settle({ off: true });
      this.pump();
      return;
    }
    const reason: LossReason = slot.ending === 'stalled' ? 'stalled' : lossOf(slot.error);
    const job = Atomics.load(slot.progress, 0);
    const index = Atomics.load(slot.progress, 1);
    const current = tasks.find((task) => task.id === job);
    const culprit = current && index >= 0 ? index : null;
    if (culprit !== null) slot.started = true;
    this.lose(
      reason,
      current?.store.name ?? tasks[0]?.store.name,
      culprit === null ? undefined : current?.rows[culprit]?.ref,
      current?.rows.length ?? 0,
      slot.error,
    );
    for (const task of tasks) {
      // The jobs behind the one it died in were never started: another worker takes them.
      if (task === current || (!current && task === tasks[0])) task.settle({ death: { reason, culprit } });
      else this.queue.unshift(task);
    }
    if (!slot.started) this.barrenDeaths += 1;
    if (this.barrenDeaths >= MAX_BARREN_DEATHS && !this.disabled) {
      this.disabled = true;
      this.options.logger.error(
        { deaths: this.barrenDeaths },
        'decode workers keep dying before decoding anything; decoding stays in-process',
      );
      for (const task of this.queue.splice(0)) task.settle({ off: true });
    }
    this.pump();
  }

  /** While jobs are out, checks each second that every busy worker moves on from its row. */
  private watchStalls(): void {
    if (this.watch) return;
    this.watch = setInterval(() => {
      const now = Date.now();
      let busy = false;
      for (const slot of this.slots) {
        if (slot.tasks.length === 0 || slot.ending) continue;
        busy = true;
        const job = Atomics.load(slot.progress, 0);
        const index = Atomics.load(slot.progress, 1);
        if (job !== slot.watched.job || index !== slot.watched.index) {
          slot.watched = { job, index, since: now };
        } else if (index >= 0 && now - slot.watched.since > STALL_MS) {
          slot.ending = 'stalled';
          void slot.worker.terminate();
        }
      }
      if (!busy && this.watch) {
        clearInterval(this.watch);
        this.watch = null;
      }
    }, 1000);
    this.watch.unref();
  }
}

const lossOf = (error: (Error & { code?: string }) | null): LossReason =>
  error?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out-of-memory' : 'crashed';

const lostProblem = (reason: LossReason) =>
  reason === 'stalled'
    ? `internal: decoding this row took over ${STALL_MS / 1000} s and was stopped (see the server log)`
    : `internal: decoding this row stopped its decode worker (${reason}; see the server log)`;

/**
 * Bundled (npm start), the worker is dist/decode-worker.js beside dist/main.js and dist/cli.js. From the
 * TypeScript sources (tests, `npm run sync`, bin/sessiongraph.js), it is decode-worker.ts, and a worker does
 * not inherit tsx's loader (nor, on Node 20, take `--import` in its execArgv): it registers tsx's hooks first.
 */
function startWorker(setup: WorkerSetup, heapMb: number): Worker {
  const options = {
    workerData: setup,
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  };
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./decode-worker.js', import.meta.url), options);
  }
  const tsx = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = new URL('dist/esm/api/index.mjs', pathToFileURL(tsx)).href;
  const entry = new URL('./decode-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

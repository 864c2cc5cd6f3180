import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { DecodeBudgets } from '../codecs/budgets.ts';
import type { FieldConfig } from '../config-parts.ts';
import type { BlobRow } from '../stores/blob.sql.ts';
import type { FrameworkTraits } from '../stores/kind.ts';
import { createRowDecoder, type DecoderSpec, type RowDecoder } from '../stores/row-decoder.ts';
import { createProjectionQueries } from './projection.sql.ts';
import { projectRow, type RowSummary, summaryOf } from './rows.ts';

/**
 * A decode worker (a thread of src/projection/decode-pool.ts): turns framework rows into projection rows as
 * `rowJson` text, with the code the in-process path runs (each kind's `framework.decoder`, createRowDecoder,
 * projectRow, rowJson), so both give the same text. It holds nothing between jobs but the decoders.
 * Bundled as dist/decode-worker.js (package.json's build); under tsx the pool loads this file.
 *
 * A kind's decoder comes from its folder's decoding.ts, the module its `framework.decoder` is (a test holds
 * them to it), not from the registry: that would load every kind's settings schemas and store, which cost a
 * worker memory and start-up time it never uses.
 */

/** What the pool gives a worker at its start. */
export interface WorkerSetup {
  budgets: DecodeBudgets;
  fields: FieldConfig[];
  keyPgType: string;
  /** [job id, index of the row being decoded or -1]: after a crash, the pool knows which row it was. */
  progress: SharedArrayBuffer;
}

export interface DecodeJob {
  id: number;
  store: string;
  /** The store's decoder spec, on the first job of that store this worker gets. */
  spec?: DecoderSpec;
  now: number;
  rows: BlobRow[];
  /** Also return what verify compares. */
  summaries: boolean;
  /** Stop after the row that brings the texts to this many characters: the rest comes as another job. */
  maxChars: number;
}

export interface WorkerRowError {
  ref: string;
  name: string;
  message: string;
  stack?: string;
}

export interface DecodeReply {
  id: number;
  /** Rows done, from the first: fewer than sent when `maxChars` was reached. */
  done: number;
  jsons: string[];
  summaries: RowSummary[] | null;
  /** Problems of rows that did not decode, for the store's metric. */
  failures: string[];
  /** Errors no decoder should raise (each row is INVALID "internal"), for the log and metric. */
  errors: WorkerRowError[];
}

/** What a worker sends when it has loaded, before any job: the pool may count on it from then on. */
export interface WorkerReady {
  ready: true;
}

type Decoder = NonNullable<FrameworkTraits<{ kind: string; name: string }>['decoder']>;

/** A kind's decoder, from `src/stores/<kind>/decoding.ts` (bundled: every such module, loaded when first used). */
async function kindDecoder(kind: string): Promise<Decoder> {
  const module = (await import(`../stores/${kind}/decoding.ts`)) as { decoder?: Decoder };
  if (!module.decoder) throw new Error(`the ${kind} kind has no decoder`);
  return module.decoder;
}

export function createJobRunner(setup: WorkerSetup) {
  const progress = new Int32Array(setup.progress);
  const sql = createProjectionQueries(setup.fields, setup.keyPgType);
  const catalog = { keyPgType: setup.keyPgType };
  const decoders = new Map<string, RowDecoder>();
  let failures: string[] = [];
  let errors: WorkerRowError[] = [];
  const told = (ref: string, error: unknown) => {
    const { name, message, stack } =
      error instanceof Error ? error : { name: 'Error', message: String(error), stack: undefined };
    errors.push({ ref, name, message, stack });
  };

  const decoderOf = async (job: DecodeJob): Promise<RowDecoder> => {
    const known = decoders.get(job.store);
    if (known) return known;
    if (!job.spec) throw new Error(`no decoder spec for the store "${job.store}"`);
    const { settings, facts } = job.spec;
    const build = await kindDecoder(settings.kind);
    const decoder = createRowDecoder({
      name: settings.name,
      ...build(settings, facts, setup.budgets),
      budgets: setup.budgets,
      onDecodeFailure: (_store, problem) => failures.push(problem),
      onRowError: (_store, ref, error) => told(ref, error),
    });
    decoders.set(job.store, decoder);
    return decoder;
  };

  return async (job: DecodeJob): Promise<DecodeReply> => {
    const { decodeRow } = await decoderOf(job);
    failures = [];
    errors = [];
    Atomics.store(progress, 0, job.id);
    Atomics.store(progress, 1, -1);
    const now = new Date(job.now);
    const jsons: string[] = [];
    const summaries: RowSummary[] | null = job.summaries ? [] : null;
    let chars = 0;
    for (let index = 0; index < job.rows.length; index += 1) {
      Atomics.store(progress, 1, index);
      const row = job.rows[index]!;
      const projected = projectRow(decodeRow, row, now, setup.fields, catalog, (error) =>
        told(row.ref, error),
      );
      const json = sql.rowJson(projected);
      jsons.push(json);
      summaries?.push(summaryOf(projected));
      chars += json.length;
      if (chars >= job.maxChars) break;
    }
    Atomics.store(progress, 1, -1);
    return { id: job.id, done: jsons.length, jsons, summaries, failures, errors };
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const run = createJobRunner(workerData as WorkerSetup);
  // One job at a time, in order (a job may wait for its kind's module to load). A rejection (a decoder that
  // cannot be built) is unhandled and ends the worker: the pool decodes that job in-process.
  let chain = Promise.resolve();
  port.on('message', (job: DecodeJob) => {
    chain = chain.then(async () => port.postMessage(await run(job)));
  });
  port.postMessage({ ready: true } satisfies WorkerReady);
}

import type { App } from '../app.ts';
import { actorOf } from '../auth/caller.ts';
import {
  authenticate,
  clientUserKey,
  mayReadSessions,
  mayReadUsers,
  mayWriteSessions,
} from '../auth/rules.ts';
import type { JsonObject } from '../codecs/result.ts';
import { isForeignKeyViolation, LastStatement, type Queryable, type TransactionRunner } from '../db/pool.ts';
import { isDataError } from '../db/faults.ts';
import { isUnboundedTime } from '../db/timestamps.ts';
import { type IdempotencyScope, nextStep, parseIdempotencyKey, sealResult } from '../sessions/idempotency.ts';
import { saveStepResultStatement } from '../sessions/idempotency.sql.ts';
import { assertStorable, validatePatch } from '../sessions/data.ts';
import { parseExpiryChange, resolveExpiry } from '../sessions/expiry.ts';
import { isIpAddress } from '../sessions/facts.ts';
import { decodeSessionId } from '../sessions/ids.ts';
import { generateSessionKey, hashSessionKey } from '../sessions/keys.ts';
import { NATIVE_COLUMNS, type NativeRow } from '../stores/native/native.sql.ts';
import { isNativeRef, nativeRecord } from '../stores/native/store.ts';
import type { SessionRecord, SessionStore } from '../stores/types.ts';
import type { ProjectableStore } from '../projection/projector.ts';
import { createUserJoin, type UserRow } from '../users/users.sql.ts';
import { build, Declined, type JsonText } from './json-text.ts';
import type { MutationPlan } from './mutation-plan.ts';
import * as statements from './native-mutations.sql.ts';
import { API_ORIGIN, END_PARAMS, keptIn } from './native-mutations.sql.ts';
import { KEY_MARK, printedPayload } from './mutation-json.sql.ts';
import { printSession } from './run.ts';

/**
 * The compiled path's mutations: `updateSession` (set and unset) and `createSession` on the native store, and
 * `endUserSessions` on the native store and every framework store whose projection is complete, each answered
 * by one statement that also writes the audit row (src/fastpath/native-mutations.sql.ts) and, where it can,
 * has PostgreSQL print the payload (src/fastpath/mutation-json.sql.ts). It answers only what it can check
 * before writing — a token with `sessions:write` (and `sessions:read` for the payload's session, `users:read`
 * for a user), input the service would take, a new step of an Idempotency-Key when one is sent — and returns
 * null otherwise, having written nothing, so
 * the request goes to Yoga. A statement that writes nothing returns null too. After a write it always
 * answers: a request it declined must never run twice.
 */

type Headers = { get(name: string): string | null };
type Row = NativeRow & Record<string, unknown>;

/** Whether an object has only these keys (null values count as absent, as GraphQL's input does). */
const onlyKeys = (input: Record<string, unknown>, allowed: readonly string[]) =>
  Object.entries(input).every(
    ([key, value]) => allowed.includes(key) || value === null || value === undefined,
  );

/** Validation the service would do: a refusal goes the general way, which words it. */
function checks(run: () => void): boolean {
  try {
    run();
    return true;
  } catch {
    return false;
  }
}

export interface MutationPath {
  answer(
    plan: MutationPlan,
    args: Record<string, unknown>,
    headers: Headers,
    db: Queryable & TransactionRunner,
    now: Date,
  ): Promise<JsonText | null>;
}

export function createMutationPath(app: App): MutationPath | null {
  const native: SessionStore | undefined = app.stores.get(app.defaultStore.name);
  if (native?.kind !== 'native') return null;
  // Fields that reference another table are checked by the general way (src/sessions/references.ts).
  if (app.config.fields.some((field) => field.references)) return null;
  const userJoin = createUserJoin(app.catalog);
  const keyType = app.catalog.keyPgType;
  const userColumns = new Map(app.catalog.columns.map((column) => [column.field, column.column]));
  const limits = { maxBytes: app.config.maxDataBytes, maxDepth: 32 };
  // Stored data the statement may patch: readable (within the read budget) and storable (a value nests at
  // most 32 levels below the root, levels 0 to 32): deeper goes the general way, which refuses it.
  // Statement texts built from the stores they cover (a few per deployment).
  const texts = new Map<string, string>();
  const cached = (key: string, build: () => string) => {
    let text = texts.get(key);
    if (text === undefined) {
      text = build();
      texts.set(key, text);
    }
    return text;
  };
  /** A session row as the statements return it (`changed`), by id. */
  const readBack = `/* compiledReadBack */ SELECT s.*, ${userJoin.select}
    FROM (SELECT ${NATIVE_COLUMNS} FROM sessiongraph.sessions WHERE id = $1::uuid) AS s ${userJoin.join('s.user_id')}`;
  /**
   * Per plan, its statement with the payload printed by PostgreSQL (`now` one parameter more, `$8`), or null;
   * under an Idempotency-Key the kept update's (`now` is its `$11`).
   */
  const printedTexts = { plain: new WeakMap<MutationPlan, string | null>(), kept: new WeakMap() };
  const printedFor = (
    plan: MutationPlan,
    statement: (select: string) => string,
    kind: keyof typeof printedTexts = 'plain',
  ) => {
    let text = printedTexts[kind].get(plan);
    if (text === undefined) {
      const select = printedPayload(
        plan,
        native.name,
        app.catalog,
        userJoin,
        app.config.budgets.maxDepth,
        kind === 'plain' ? '$8' : statements.UPDATE_KEPT_NOW,
      );
      text = select === null ? null : statement(select);
      printedTexts[kind].set(plan, text);
    }
    return text;
  };
  /** `updateSession`'s `set`/`unset` as the service would take them, or null (the general way words why). */
  const patchOf = (input: Record<string, unknown>) => {
    if (!onlyKeys(input, ['id', 'set', 'unset', 'expectedVersion'])) return null;
    const set = (input['set'] as JsonObject | null | undefined) ?? null;
    const unset = (input['unset'] as string[] | null | undefined) ?? null;
    if (!checks(() => validatePatch({ set, unset }))) return null;
    if (set && !checks(() => assertStorable(set, limits, 'set'))) return null;
    return { set, unset };
  };
  const patchableDepth = Math.min(app.config.budgets.maxDepth, limits.maxDepth + 1);

  /** The payload's text around a session read back from `row`. */
  function payload(plan: MutationPlan, record: SessionRecord, row: Row, extra: Record<string, unknown> = {}) {
    const users = new Map<string, UserRow | null>();
    if (plan.readsUser && record.userId !== null) users.set(record.userId, userJoin.take(row));
    return build(
      plan.fields,
      (field) => extra[field],
      (nested) => printSession(record, nested.fields, users, userColumns),
    );
  }

  /**
   * The statement for `plan` with its parameters, and how its rows become the payload and the result a
   * retry with the same Idempotency-Key gets back (the general way's, src/sessions/service.ts); null when
   * the general way must answer.
   */
  function work(plan: MutationPlan, input: Record<string, unknown>, actor: string, now: Date): Work | null {
    const users = plan.readsUser ? userJoin : null;

    if (plan.root === 'updateSession') {
      const patch = patchOf(input);
      if (!patch) return null;
      const { set, unset } = patch;
      const id = String(input['id']);
      const address = decodeSessionId(id);
      if (!address || address.store !== native!.name || !isNativeRef(address.ref)) return null;
      return {
        serviceInput: { ...input, id },
        statement: () => statements.updateData(users, patchableDepth),
        printed: printedFor(plan, (select) => statements.updateData(users, patchableDepth, false, select)),
        kept: {
          statement: cached(`updateKept|${plan.readsUser}`, () =>
            statements.updateData(users, patchableDepth, true),
          ),
          printed: printedFor(
            plan,
            (select) => statements.updateData(users, patchableDepth, true, select),
            'kept',
          ),
        },
        params: [
          address.ref,
          JSON.stringify(set ?? {}),
          unset ?? [],
          app.config.maxDataBytes,
          (input['expectedVersion'] as number | null | undefined) ?? null,
          actor,
          id,
        ],
        finish: (rows) => {
          const row = rows[0] as Row | undefined;
          if (!row) return null;
          const record = nativeRecord(native!.name, row, now);
          return { body: payload(plan, record, row), result: { kind: 'updated', record } };
        },
      };
    }

    if (plan.root === 'createSession') {
      if (!onlyKeys(input, ['store', 'userId', 'data', 'ttlSeconds', 'expiresAt', 'ip', 'userAgent'])) {
        return null;
      }
      const store = (input['store'] as string | null | undefined) ?? native!.name;
      if (store !== native!.name) return null;
      const data = (input['data'] as JsonObject | null | undefined) ?? {};
      const ip = (input['ip'] as string | null | undefined) ?? null;
      const userAgent = (input['userAgent'] as string | null | undefined) ?? null;
      let expiresAt: Date | null = null;
      const valid = checks(() => {
        const change = parseExpiryChange(input) ?? { kind: 'ttl', seconds: native!.defaultTtlSeconds };
        expiresAt = resolveExpiry(change, now, null, app.config.maxTtlSeconds);
        assertStorable(data, limits);
      });
      if (!valid || expiresAt === null) return null;
      if (ip && !isIpAddress(ip)) return null;
      if (userAgent && userAgent.length > 1024) return null;
      const rawUser = input['userId'];
      const userId =
        rawUser === null || rawUser === undefined ? null : clientUserKey(app.catalog, String(rawUser));
      if (rawUser !== null && rawUser !== undefined && userId === null) return null;
      const key = generateSessionKey();
      return {
        serviceInput: {
          ...input,
          userId: rawUser === null || rawUser === undefined ? null : String(rawUser),
        },
        statement: (claimed) => statements.createSession(native!.name, keyType, users, claimed),
        printed: printedFor(plan, (select) =>
          statements.createSession(native!.name, keyType, users, false, select),
        ),
        key,
        params: [hashSessionKey(key), userId, JSON.stringify(data), expiresAt, ip, userAgent, actor],
        // No such user fails the foreign key: nothing was written, and the general way says so.
        refused: isForeignKeyViolation,
        finish: (rows) => {
          const row = rows[0] as Row | undefined;
          if (!row) return null;
          const record = nativeRecord(native!.name, row, now);
          return { body: payload(plan, record, row, { sessionKey: key }), result: { record, key } };
        },
      };
    }

    // endUserSessions: every store, or the one named; framework stores through their projections.
    if (!onlyKeys(input, ['userId', 'store', 'keepSessionId'])) return null;
    const named = (input['store'] as string | null | undefined) ?? null;
    const stores = named === null ? [...app.stores.values()] : [app.stores.get(named)];
    const userId = clientUserKey(app.catalog, String(input['userId']));
    if (userId === null) return null;
    let keep: { store: string; ref: string } | null = null;
    if (input['keepSessionId'] !== null && input['keepSessionId'] !== undefined) {
      const address = decodeSessionId(String(input['keepSessionId']));
      if (!address || !app.stores.has(address.store)) return null;
      keep = address;
    }
    let nativeName: string | null = null;
    const frameworks: ProjectableStore[] = [];
    for (const store of stores) {
      if (store === undefined) return null;
      if (store === native) nativeName = store.name;
      else {
        // A store not yet projected finds a user's rows by decoding every blob: the general way does that.
        const framework = app.frameworkStores.get(store.name);
        if (!framework || !app.projector.isReady(store.name)) return null;
        frameworks.push(framework);
      }
    }
    const only = (claimed: boolean) =>
      claimed ? `${API_ORIGIN} AND EXISTS (SELECT 1 FROM claim)` : API_ORIGIN;
    return {
      serviceInput: {
        userId: String(input['userId']),
        store: input['store'],
        keepSessionId: keep === null ? null : String(input['keepSessionId']),
      },
      statement: (claimed) =>
        cached(`${claimed}|${nativeName}|${frameworks.map((store) => store.name).join('|')}`, () =>
          statements.endUserSessions(
            keyType,
            nativeName,
            frameworks.map((store, index) => ({
              name: `s${index}`,
              ctes: store.sql.userDeletionCtes(
                store.name,
                `s${index}`,
                { user: END_PARAMS.user, keep: keptIn(store.name) },
                keyType,
                store.tombstoneSeconds,
                only(claimed),
              ),
            })),
            claimed,
          ),
        ),
      params: [userId, keep?.ref ?? null, keep?.store ?? null, actor, String(input['userId'])],
      finish: (rows) => {
        const row = rows[0] as { count: number; claimed?: number } | undefined;
        if (!row || row.claimed === 0) return null;
        const body = build(
          plan.fields,
          (field) => ({ userId: String(input['userId']), count: row.count })[field],
        );
        return { body, result: row.count };
      },
    };
  }

  /**
   * `updateSession` on a framework store whose projection is complete: the row read (no lock), patched and
   * encoded here by the store's own rules (src/stores/blob-store.ts), then written with its projection row and
   * audit row by one statement that writes only if the row is still the one read. Whatever it cannot answer
   * that way (a changed row, a refusal, a row not as predicted) it leaves unwritten to the general way.
   */
  async function frameworkUpdate(
    plan: MutationPlan,
    input: Record<string, unknown>,
    actor: string,
    db: Queryable,
    now: Date,
  ): Promise<JsonText | null> {
    const patch = patchOf(input);
    if (plan.readsUser || !patch) return null;
    const id = String(input['id']);
    const address = decodeSessionId(id);
    const store = address && app.frameworkStores.get(address.store);
    if (!address || !store?.planUpdate || !app.projector.isReady(store.name)) return null;
    // A row changed between the read and the write (a concurrent update of the same session) is read again:
    // two statements more, where the general way would take ten.
    for (let attempt = 0; attempt < RACED_ATTEMPTS; attempt += 1) {
      const outcome = await frameworkUpdateOnce(plan, input, patch, store, address.ref, id, actor, db, now);
      if (outcome !== RACED) return outcome;
    }
    return null;
  }

  /** One read and one conditional write of `frameworkUpdate`; RACED when the row changed in between. */
  async function frameworkUpdateOnce(
    plan: MutationPlan,
    input: Record<string, unknown>,
    patch: NonNullable<ReturnType<typeof patchOf>>,
    store: NonNullable<ReturnType<App['frameworkStores']['get']>>,
    ref: string,
    id: string,
    actor: string,
    db: Queryable,
    now: Date,
  ): Promise<JsonText | null | typeof RACED> {
    if (!store.planUpdate) return null;
    let planned: Awaited<ReturnType<NonNullable<typeof store.planUpdate>>>;
    try {
      planned = await store.planUpdate(
        db,
        ref,
        {
          patch,
          expiry: null,
          expectedVersion: (input['expectedVersion'] as number | null | undefined) ?? null,
        },
        now,
        { maxTtlSeconds: app.config.maxTtlSeconds, maxDataBytes: app.config.maxDataBytes },
      );
    } catch {
      return null;
    }
    if (planned.kind !== 'write') return null;
    const { row, blob, expiresAt } = planned;
    const readExpiry = row.expires_at;
    if (
      row.blob === null ||
      row.row_problem !== null ||
      !readExpiry ||
      !Number.isFinite(readExpiry.getTime()) ||
      // Read as the latest or earliest date JavaScript holds, it never equals the stored time in the write.
      isUnboundedTime(readExpiry)
    ) {
      return null;
    }
    const predicted = store.sql.predictUpdated(row, blob, expiresAt);
    const { document, record } = await app.projector.document(db, store, predicted, now);
    const text = cached(`update|${store.name}`, () =>
      store.sql.compiledUpdate((condition) => app.projector.upsertText('$6', '$7', condition)),
    );
    try {
      const { rows } = await db.query(text, [
        row.key,
        blob,
        expiresAt,
        row.blob,
        row.expires_at,
        store.name,
        document,
        actor,
        id,
        record.userId,
        predicted.sort_at,
        predicted.created_at,
        predicted.last_seen_at,
      ]);
      if (rows.length === 0) return RACED;
    } catch (error) {
      // Refused for its data (a data exception, a constraint): the one statement wrote nothing, and the
      // general way says why.
      if (isDataError(error)) return null;
      throw error;
    }
    return build(
      plan.fields,
      () => undefined,
      (nested) => printSession(record, nested.fields, new Map(), userColumns),
    );
  }

  return {
    async answer(plan, args, headers, db, now) {
      const key = parseIdempotencyKey(headers.get('idempotency-key'));
      if (key instanceof Error) return null;
      const caller = await authenticate(db, headers.get('authorization'), now, app.tokenCache);
      if (caller.kind !== 'token') return null;
      // The payload's session is a Session like any other: without sessions:read the general way refuses it.
      if (!mayWriteSessions(caller) || (plan.readsSession && !mayReadSessions(caller))) return null;
      if (plan.readsUser && !mayReadUsers(caller)) return null;
      const input = args['input'] as Record<string, unknown>;
      const respond = (body: JsonText) => `{"data":{${JSON.stringify(plan.key)}:${body}}}`;
      if (plan.root === 'updateSession' && decodeSessionId(String(input['id']))?.store !== native!.name) {
        if (key !== null) return null;
        const body = await frameworkUpdate(plan, input, actorOf(caller, null), db, now);
        return body && respond(body);
      }
      const job = work(plan, input, actorOf(caller, null), now);
      if (!job) return null;
      /** The answer from the rows of a statement that printed its payload (null: nothing written). */
      const printed = async (rows: readonly Printed[]) => {
        const row = rows[0];
        if (!row) return null;
        if (!row.ok) {
          // Written, but a value PostgreSQL would print differently: printed here from the row read back.
          const back = await db.query(readBack, [row.id]);
          const done = job.finish(back.rows);
          if (done) return respond(done.body);
        }
        return respond(job.key ? row.body.replaceAll(KEY_MARK, job.key) : row.body);
      };
      try {
        if (key === null && job.printed) {
          return await printed((await db.query<Printed>(job.printed, [...job.params, now])).rows);
        }
        if (key === null) {
          const { rows } = await db.query(job.statement(false), job.params);
          const done = job.finish(rows);
          return done && respond(done.body);
        }
        const scope: IdempotencyScope = { key, caller: `token:${caller.tokenId}`, steps: 0 };
        const claim = nextStep(scope, plan.root, job.serviceInput);
        if (job.kept) {
          // One statement: the step and the row it wrote kept with the work, or (a step taken before, any
          // refusal) nothing written and the general way answers.
          const params = [...job.params, claim.keyHash, claim.step, claim.requestHash, now];
          let rows: Record<string, unknown>[];
          try {
            ({ rows } = await db.query(job.kept.printed ?? job.kept.statement, params));
          } catch (error) {
            if (isDataError(error)) return null;
            throw error;
          }
          if (job.kept.printed) return await printed(rows as Printed[]);
          const done = job.finish(rows);
          return done && respond(done.body);
        }
        // The claim, the work and the sealed result commit together, as the general way's do; a step it
        // declines (a retry, a refusal) rolls back and goes there.
        const body = await db.transaction(async (tx) => {
          const { rows } = await tx.query(job.statement(true), [
            ...job.params,
            claim.keyHash,
            claim.step,
            claim.requestHash,
          ]);
          const done = job.finish(rows);
          if (!done) throw new Declined();
          // Sent with the COMMIT behind it (on a pipelined connection): one round trip for both.
          const save = saveStepResultStatement(claim.keyHash, claim.step, sealResult(scope, done.result));
          return new LastStatement(done.body, save.text, save.params);
        });
        return respond(body);
      } catch (error) {
        if (error instanceof Declined || job.refused?.(error)) return null;
        throw error;
      }
    },
  };
}

const RACED = Symbol('raced');
const RACED_ATTEMPTS = 3;

/** A payload PostgreSQL printed (src/fastpath/mutation-json.sql.ts). */
type Printed = { body: string; ok: boolean; id: string };

/** A compiled mutation's statement, its parameters and what its rows mean. */
interface Work {
  /**
   * Without an Idempotency-Key, the statement that also prints the payload (its `now` after `params`), when
   * the plan's fields print in SQL; `key` goes where the body holds KEY_MARK.
   */
  printed?: string | null;
  key?: string;
  /**
   * The input as the resolver hands it to the service (src/schema/session/mutations.ts), whose hash an
   * Idempotency-Key's step keeps: a retry on either path must hash the same.
   */
  serviceInput: Record<string, unknown>;
  /** Its text, claiming an idempotency step (three more parameters) when `claimed`. */
  statement(claimed: boolean): string;
  /**
   * Under an Idempotency-Key, the statement that keeps the step with the row it wrote instead of a claim (its
   * key hash, step, request hash and `now` after `params`), and its variant that prints the payload.
   */
  kept?: { statement: string; printed: string | null };
  params: unknown[];
  /** An error that means "nothing written, the general way words it". */
  refused?: (error: unknown) => boolean;
  /** The payload's text and the service's result, or null: nothing was changed. */
  finish(rows: readonly Record<string, unknown>[]): { body: JsonText; result: unknown } | null;
}

import type { App } from '../app.ts';
import { actorOf } from '../auth/caller.ts';
import { authenticate, clientUserKey, mayReadUsers, mayWriteSessions } from '../auth/rules.ts';
import type { JsonObject } from '../codecs/result.ts';
import type { Queryable } from '../db/pool.ts';
import { assertStorable, validatePatch } from '../sessions/data.ts';
import { parseExpiryChange, resolveExpiry } from '../sessions/expiry.ts';
import { decodeSessionId } from '../sessions/ids.ts';
import { generateSessionKey, hashSessionKey } from '../sessions/keys.ts';
import type { NativeRow } from '../stores/native/native.sql.ts';
import { isNativeRef, nativeRecord } from '../stores/native/store.ts';
import type { SessionStore } from '../stores/types.ts';
import { createUserJoin, type UserRow } from '../users/users.sql.ts';
import { build, type JsonText } from './json-text.ts';
import type { MutationPlan } from './mutation-plan.ts';
import * as statements from './native-mutations.sql.ts';
import { printSession } from './run.ts';

/**
 * The compiled path's mutations: `updateSession` (set and unset), `createSession` and `endUserSessions` on the
 * native store, each answered by one statement that also writes the audit row (src/fastpath/native-mutations
 * .sql.ts), then printed as the resolvers print the payload. It answers only what it can check before writing
 * — a token with `sessions:write` (and `users:read` for a user), no Idempotency-Key, input the service would
 * take, the native store — and returns null otherwise, having written nothing, so the request goes to Yoga.
 * A statement that writes nothing returns null too. After a write it always answers: a request it declined
 * must never run twice.
 */

type Headers = { get(name: string): string | null };
type Row = NativeRow & Record<string, unknown>;

const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;

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
    db: Queryable,
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

  /** The payload's text around a session read back from `row`. */
  function payload(plan: MutationPlan, row: Row, now: Date, extra: Record<string, unknown> = {}) {
    const record = nativeRecord(native!.name, row, now);
    const users = new Map<string, UserRow | null>();
    if (plan.readsUser && record.userId !== null) users.set(record.userId, userJoin.take(row));
    return build(
      plan.fields,
      (field) => extra[field],
      (nested) => printSession(record, nested.fields, users, userColumns),
    );
  }

  const respond = (plan: MutationPlan, body: JsonText) => `{"data":{${JSON.stringify(plan.key)}:${body}}}`;

  return {
    async answer(plan, args, headers, db, now) {
      if (headers.get('idempotency-key') !== null) return null;
      const caller = await authenticate(db, headers.get('authorization'), now, app.tokenCache);
      if (!mayWriteSessions(caller) || (plan.readsUser && !mayReadUsers(caller))) return null;
      const actor = actorOf(caller, null);
      const input = args['input'] as Record<string, unknown>;
      const users = plan.readsUser ? userJoin : null;

      if (plan.root === 'updateSession') {
        if (!onlyKeys(input, ['id', 'set', 'unset', 'expectedVersion'])) return null;
        const set = (input['set'] as JsonObject | null | undefined) ?? null;
        const unset = (input['unset'] as string[] | null | undefined) ?? null;
        if (!checks(() => validatePatch({ set, unset }))) return null;
        if (set && !checks(() => assertStorable(set, limits, 'set'))) return null;
        const id = String(input['id']);
        const address = decodeSessionId(id);
        if (!address || address.store !== native.name || !isNativeRef(address.ref)) return null;
        const { rows } = await db.query<Row>(statements.updateData(users), [
          address.ref,
          JSON.stringify(set ?? {}),
          unset ?? [],
          app.config.maxDataBytes,
          (input['expectedVersion'] as number | null | undefined) ?? null,
          actor,
          id,
        ]);
        const row = rows[0];
        return row ? respond(plan, payload(plan, row, now)) : null;
      }

      if (plan.root === 'createSession') {
        if (!onlyKeys(input, ['store', 'userId', 'data', 'ttlSeconds', 'expiresAt', 'ip', 'userAgent'])) {
          return null;
        }
        const store = (input['store'] as string | null | undefined) ?? native.name;
        if (store !== native.name) return null;
        const data = (input['data'] as JsonObject | null | undefined) ?? {};
        const ip = (input['ip'] as string | null | undefined) ?? null;
        const userAgent = (input['userAgent'] as string | null | undefined) ?? null;
        let expiresAt: Date | null = null;
        const valid = checks(() => {
          const change = parseExpiryChange(input) ?? { kind: 'ttl', seconds: native.defaultTtlSeconds };
          expiresAt = resolveExpiry(change, now, null, app.config.maxTtlSeconds);
          assertStorable(data, limits);
        });
        if (!valid || expiresAt === null) return null;
        if (ip && !(IPV4.test(ip) || (IPV6.test(ip) && ip.includes(':')))) return null;
        if (userAgent && userAgent.length > 1024) return null;
        const rawUser = input['userId'];
        const userId =
          rawUser === null || rawUser === undefined ? null : clientUserKey(app.catalog, String(rawUser));
        if (rawUser !== null && rawUser !== undefined && userId === null) return null;
        const key = generateSessionKey();
        let rows: Row[];
        try {
          ({ rows } = await db.query<Row>(statements.createSession(native.name, keyType, users), [
            hashSessionKey(key),
            userId,
            JSON.stringify(data),
            expiresAt,
            ip,
            userAgent,
            actor,
          ]));
        } catch {
          // No such user (the foreign key): nothing was written, and the general way says so.
          return null;
        }
        const row = rows[0];
        return row ? respond(plan, payload(plan, row, now, { sessionKey: key })) : null;
      }

      // endUserSessions
      if (!onlyKeys(input, ['userId', 'store', 'keepSessionId'])) return null;
      if (input['store'] !== native.name) return null;
      const userId = clientUserKey(app.catalog, String(input['userId']));
      if (userId === null) return null;
      let keep: string | null = null;
      if (input['keepSessionId'] !== null && input['keepSessionId'] !== undefined) {
        const address = decodeSessionId(String(input['keepSessionId']));
        if (!address || address.store !== native.name || !isNativeRef(address.ref)) return null;
        keep = address.ref;
      }
      const { rows } = await db.query<{ count: number }>(statements.endUserSessions(keyType), [
        userId,
        keep,
        actor,
        String(input['userId']),
      ]);
      const count = rows[0]?.count ?? 0;
      return respond(
        plan,
        build(plan.fields, (field) => ({ userId: String(input['userId']), count })[field]),
      );
    },
  };
}

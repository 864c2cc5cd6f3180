import type { UsersCatalog } from '../users/catalog.ts';
import type { UserJoin } from '../users/users.sql.ts';
import { createPrinter, json, literal, NotCovered, object } from './json-sql.ts';
import type { MutationPlan } from './mutation-plan.ts';
import { nativeSessionJson } from './native.sql.ts';

/**
 * A compiled mutation's payload printed by PostgreSQL from the row it wrote (`changed AS s`, its owner `u`), as
 * the reads print theirs (src/fastpath/json-sql.ts): the server passes the text on instead of parsing the row
 * and printing it again. The statement's last SELECT gives `body`, `ok` (false: a value would not print as the
 * resolvers print it; the row was written all the same, and the caller prints it from a read-back) and `id`.
 *
 * A created session's key never goes to PostgreSQL (a statement's parameters can end up in its logs): the body
 * holds KEY_MARK where it goes, which PostgreSQL never prints raw (it escapes control characters).
 */

export const KEY_MARK = '\u0001';

export function printedPayload(
  plan: MutationPlan,
  store: string,
  catalog: UsersCatalog,
  users: UserJoin,
  maxDepth: number,
  now: string,
): string | null {
  const printer = createPrinter(catalog);
  const session = nativeSessionJson(printer, store, maxDepth, new Set());
  try {
    const body = object(plan.fields, (field) => {
      if (field.kind === 'leaf' && field.field === '__typename') return json.constant(field.typename);
      if (field.kind === 'leaf' && field.field === 'sessionKey') return literal(`"${KEY_MARK}"`);
      if (field.kind === 'object' && field.field === 'session') return session(field.fields, now);
      throw new NotCovered();
    });
    const join = plan.readsUser ? users.join('s.user_id') : '';
    return `SELECT ${body} AS body, ${printer.ok(now)} AS ok, s.id::text AS id FROM changed AS s ${join}`;
  } catch (error) {
    if (error instanceof NotCovered) return null;
    throw error;
  }
}

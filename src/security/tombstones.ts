import type { StoreConfig } from '../config.ts';
import { kindOf } from '../stores/registry.ts';
import { quoteIdent } from '../users/catalog.ts';

/**
 * Revocation that sticks on stores whose framework re-inserts a session it still holds in memory
 * (FORMATS.md §0 fact 2, §2.3, §3.4). Ending a session through the API deletes the row *and* records a
 * tombstone, `sessiongraph.revoked_keys(store, key_hash, revoked_until)`, in the same transaction (see
 * `recordTombstones`); a `BEFORE INSERT` trigger on the framework table then refuses that key until
 * `revoked_until`. Only the SHA-256 of the key is kept (the same hash as the session's `ref`), never the
 * key, which is a bearer credential.
 *
 * What the trigger does with a refused insert is decided per framework, by what the framework does when
 * its save fails versus when its save silently writes nothing:
 *
 * - express + connect-pg-simple: `set` is `INSERT … ON CONFLICT (sid) DO UPDATE`, issued by
 *   express-session at the end of the response (it holds back the last chunk of the body until the store
 *   answers). An error there goes to `next(err)` after the handler has already answered: the app's error
 *   handler runs on a half-sent response, and an explicit `req.session.save(cb)` (login, then redirect)
 *   turns into a 500. A discarded row instead leaves the query succeeding with no row written: the request
 *   finishes as the app wrote it, and the browser's next request finds no row, so express-session gives it
 *   a fresh session with a new random sid. **Discard.**
 * - web.py `DBStore`: `Session._save` runs in the `finally` of every request as `UPDATE` when
 *   `SELECT` finds the row, else `INSERT` (0.62). An exception there replaces whatever the handler
 *   returned with web.py's 500 page, even for a request whose work (a form post) already committed. A
 *   discarded `INSERT` is ignored by web.py (it never looks at the row count), and the next request's
 *   `_check_expiry` finds no row and, with the default `ignore_expiry`, starts a new random session id.
 *   **Discard.**
 *
 * Neither framework ever reuses the refused key for a new session (both draw new random ids when the row
 * is missing), and sessiongraph's own `createSession` draws 20 or 24 random bytes, so a tombstone never
 * blocks a legitimate session; it only stops the resurrection of the revoked one. Django (its save is an
 * `UPDATE` that fails loudly when the row is gone) and json-cache (keys are written only by their own
 * application or by sessiongraph) get no trigger.
 */
export function storeRevokesStick(store: StoreConfig): boolean {
  const tombstones = kindOf(store.kind).framework?.tombstones;
  return (typeof tombstones === 'function' ? tombstones(store) : tombstones) === 'discard';
}

const TRIGGER = 'sessiongraph_tombstone';
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
export const tombstoneFunction = (storeName: string) =>
  `sessiongraph.${quoteIdent(`tombstone_${storeName}`)}`;

/**
 * The trigger of one framework store (`table` already quoted), safe to repeat. For a store kind that
 * does not need one, only drops a trigger an earlier configuration may have left.
 *
 * The race it closes besides the plain late write: a framework `INSERT` arriving while a revoke has
 * deleted the row but not yet committed. Its tombstone is not visible yet, so the insert would pass the
 * check, then wait on the unique index for the revoke to commit and go in after it. So when no tombstone
 * is visible, the trigger first takes a `KEY SHARE` lock on the key's row: that waits for an uncommitted
 * delete, and if the row turns out gone, the tombstone check is repeated with a fresh snapshot (each
 * statement of a volatile function sees what committed before it began, under READ COMMITTED). A row
 * that is there and lockable means no revoke of it has committed, and the upsert proceeds (a revoke
 * starting now waits for this transaction and deletes what it wrote).
 */
export function tombstoneStatements(
  store: StoreConfig & { columns: { key: string } },
  table: string,
): string[] {
  if (!storeRevokesStick(store)) return [dropTombstoneTriggerIfAny(table)];
  const key = quoteIdent(store.columns.key);
  const revoked = `EXISTS (SELECT 1 FROM sessiongraph.revoked_keys
                   WHERE store = ${literal(store.name)} AND key_hash = hashed AND revoked_until > now())`;
  return [
    `CREATE OR REPLACE FUNCTION ${tombstoneFunction(store.name)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
     DECLARE
       hashed bytea;
     BEGIN
       IF NEW.${key} IS NULL THEN RETURN NEW; END IF;
       hashed := sha256(convert_to(NEW.${key}::text, 'UTF8'));
       IF NOT ${revoked} THEN
         PERFORM 1 FROM ${table} WHERE ${key} = NEW.${key} FOR KEY SHARE;
         IF FOUND OR NOT ${revoked} THEN RETURN NEW; END IF;
       END IF;
       -- Revoked: discard the row (see src/security/tombstones.ts for why not raise).
       RETURN NULL;
     END
     $fn$`,
    `CREATE OR REPLACE TRIGGER ${TRIGGER} BEFORE INSERT ON ${table}
       FOR EACH ROW EXECUTE FUNCTION ${tombstoneFunction(store.name)}()`,
  ];
}

export const dropTombstoneTrigger = (table: string) => `DROP TRIGGER IF EXISTS ${TRIGGER} ON ${table}`;

/** Dropping needs to own the table, so a least-privilege role only tries when there is one to drop. */
const dropTombstoneTriggerIfAny = (table: string) => `DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = ${literal(table)}::regclass AND tgname = ${literal(TRIGGER)}) THEN
      ${dropTombstoneTrigger(table)};
    END IF;
  END $$`;
export const TOMBSTONE_TRIGGER = TRIGGER;

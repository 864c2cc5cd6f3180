import type { z } from 'zod';
import type { DecodeBudgets } from '../codecs/budgets.ts';
import type { SecretResolver } from '../config-parts.ts';
import type { Queryable } from '../db/pool.ts';
import type { FrameworkStoreDeps } from './blob-store.ts';
import type { RowDecoding } from './row-decoder.ts';
import type { TouchWriter } from './native/touches.ts';
import type { SessionRecord, SessionStore } from './types.ts';

/**
 * What one kind of store is, in one place: each folder `src/stores/<kind>/` exports one `StoreKind`, and the
 * registry (registry.ts) lists them. Configuration, start-up, the projection, tombstones and the GraphQL
 * `Session` type iterate over the registry; nothing else in the program switches on a kind.
 */
export interface StoreKind<Config extends { kind: string; name: string } = { kind: string; name: string }> {
  readonly kind: string;
  /** The store's settings (with `kind: z.literal(kind)` and `name`), strict: unknown keys are errors. */
  readonly config: z.ZodType<Config>;
  /** The settings with their secrets resolved to strings (each failure names the setting). */
  resolveSecrets?(config: Config, resolve: SecretResolver): Config;
  /** Builds the store, checking its table against the catalog (a mismatch stops start-up, by name). */
  create(db: Queryable, config: Config, deps: StoreDeps): Promise<SessionStore>;
  /** Set for stores over a framework's own table, which the projection mirrors. */
  readonly framework?: FrameworkTraits<Config>;
  /** The browser credential: the cookie a browser presents the key in by default, and its format. */
  readonly credential: { cookieName: string; format: string };
  /** Fields this kind adds to `Session` (null on sessions of other kinds). */
  readonly sessionFields?: readonly SessionFieldSpec[];
  /** How `sessiongraph init` recognises this kind's tables (none for the native store, which is ours). */
  readonly detect?: readonly TableShape[];
}

/**
 * A table layout of a kind, as `sessiongraph init` finds it in a database: a table with all these columns
 * (names as the framework creates them) is proposed as a store of this kind with these settings.
 */
export interface TableShape {
  /** What the framework calls it, for people: "Django (django.contrib.sessions)". */
  readonly title: string;
  readonly columns: readonly string[];
  /** Settings beside `kind`, `name` and `table`. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Secret settings the written config references by environment variable, with what to put there. */
  readonly secrets?: readonly { setting: string; env: string; about: string }[];
  /** Comment lines for the written config: the settings worth checking, with where the framework keeps them. */
  readonly advice: readonly string[];
}

/**
 * What a store over a framework's own table adds. Its settings carry `table`, `columns.key` and `timeZone`
 * (`frameworkCommon` in src/config-parts.ts): the capture and tombstone triggers go on that table and key.
 */
export interface FrameworkTraits<Config> {
  /**
   * The settings that change what a row decodes to, for the projection's fingerprint (src/projection/
   * fingerprint.ts): secrets only through `secretTag`, never as themselves.
   */
  decodingSettings(config: Config, secretTag: (secret: string) => string): unknown;
  /**
   * What a revoked key needs (src/security/tombstones.ts): `discard` when the framework upserts its session at
   * the end of a request that still holds it, and shrugs off a discarded insert (express, web.py), so a trigger
   * drops that re-insert; `none` when its save of a deleted row fails by itself (Django), when nothing
   * re-inserts, or when a discarded insert would fail the framework's request (Flask's ORM: see its index.ts).
   */
  readonly tombstones: TombstonePolicy | ((config: Config) => TombstonePolicy);
  /**
   * The store's row decoding built without a database, from its settings and the catalog facts its `create`
   * handed createBlobStore as `decoder` (`DecoderSpec`, src/stores/row-decoder.ts): decode workers
   * (src/projection/decode-worker.ts) cannot share the objects `create` built. `create` builds its own
   * format on the same function, so both decode alike. A kind without one decodes in-process only.
   */
  decoder?(config: Config, facts: unknown, budgets: DecodeBudgets): RowDecoding;
}

export type TombstonePolicy = 'discard' | 'none';

/** What every store is built with (src/app.ts makes one set and hands it to each). */
export interface StoreDeps extends FrameworkStoreDeps {
  touches: TouchWriter;
}

/**
 * A field a store kind adds to `Session`, independent of GraphQL: the schema layer turns each into a field
 * of its own (see src/schema/session/type.ts).
 */
export interface SessionFieldSpec {
  name: string;
  type: 'Boolean' | 'String' | 'Int' | 'ID';
  description: string;
  resolve(session: SessionRecord, scope: SessionFieldScope): Promise<unknown> | unknown;
}

/** What a kind's field resolver may use: the session's own store, the request's database and batching. */
export interface SessionFieldScope {
  store: SessionStore;
  db: Queryable;
  /** A per-request batch loader named `name` (one statement per request for a page of sessions). */
  batch<V>(
    name: string,
    load: (keys: readonly string[]) => Promise<(V | null)[]>,
  ): { load(key: string): Promise<V | null> };
}

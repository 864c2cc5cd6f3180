import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { BatchQueue } from './embedded-queue.ts';

/**
 * An in-process PostgreSQL (PGlite) served over the wire protocol on a loopback port, so the server
 * talks to it through `pg` exactly as it talks to a real PostgreSQL: one code path.
 */
/**
 * Settings any server on the embedded database needs. PGlite serves every socket from one backend, so its
 * connections share prepared statements' names: two pool connections preparing the same statement at once
 * collide ("already exists"), and so would pipelined connections. Statements go unnamed, through the pool.
 */
export const EMBEDDED_CONNECTION_SETTINGS = { preparedStatements: false, readPipelines: 0 } as const;

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedDatabase(options: { dataDir?: string; maxConnections?: number } = {}) {
  const db = await PGlite.create(options.dataDir);
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: 0,
    maxConnections: options.maxConnections ?? 20,
  });
  // Its connections take turns by query and by transaction, not by wire message (src/db/embedded-queue.ts).
  const internal = server as unknown as { queryQueue?: unknown };
  if (!internal.queryQueue) {
    throw new Error('this pglite-socket has no queryQueue for src/db/embedded-queue.ts to replace');
  }
  internal.queryQueue = new BatchQueue(db);
  await server.start();
  const address = server.getServerConn();
  const embedded: EmbeddedDatabase = {
    url: `postgres://postgres@${address}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
  return embedded;
}

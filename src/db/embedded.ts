import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * An in-process PostgreSQL (PGlite) served over the wire protocol on a loopback port, so the server
 * talks to it through `pg` exactly as it talks to a real PostgreSQL: one code path.
 */
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

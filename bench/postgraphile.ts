/**
 * PostGraphile v5 (Amber preset) over the native tables, for `npm run bench`: W1 through the function
 * `public.active_sessions()` the bench creates (active sessions, newest first), W2 through `sessionById`;
 * users through `userByUserId` (the foreign key).
 *
 * Env: DATABASE_URL, PORT, HOST (127.0.0.1). Needs Promise.withResolvers (bench/preload.ts on Node 20).
 */
import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env['DATABASE_URL']!,
      schemas: ['sessiongraph', 'public'],
      poolConfig: { max: 10 },
    }),
  ],
  grafserv: { graphqlPath: '/graphql', watch: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on('error', (error) => process.stderr.write(`postgraphile: ${error.message}\n`));
await serv.addTo(server);
server.listen(Number(process.env['PORT'] ?? 4200), process.env['HOST'] ?? '127.0.0.1');
const stop = () => {
  server.close();
  void Promise.resolve(pgl.release()).then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

/**
 * The sessions console: one HTML page and its two bundled assets, built by `npm run build` into
 * dist/console/ (src/console/ui/ is the source). Nothing is fetched from anywhere but this server, and the
 * page may talk to nothing else either (the Content-Security-Policy below).
 */

const ASSETS: Record<string, string> = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sessiongraph console</title>
<link rel="stylesheet" href="/console/console.css">
<script type="module" src="/console/console.js"></script>
</head>
<body><div id="app"><p>Loading the sessions console…</p></div></body>
</html>
`;

const OFF_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sessiongraph</title></head><body>
<h1>sessiongraph: the console is off</h1>
<p>The sessions console is off on this server. To turn it on, start the server with <code>CONSOLE=true</code>
or set <code>"console": true</code> in the configuration file (<code>SESSIONGRAPH_CONFIG</code>).</p>
</body></html>
`;

let foundDirectory: string | null = null;

/**
 * dist/console/ from the built server (dist/main.js) or from the sources run by tsx (src/console/http.ts);
 * looked for until found (a build may come after the server started), then remembered.
 */
function assetsDirectory(): string | null {
  for (const candidate of ['./console/', '../../dist/console/']) {
    if (foundDirectory) break;
    const directory = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${directory}console.js`)) foundDirectory = directory;
  }
  return foundDirectory;
}

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/** Answers /console and its assets (returns false for any other path). */
export function createConsoleHandler(enabled: boolean): ConsoleHandler {
  const cache = new Map<string, Buffer>();
  const asset = (name: string): Buffer | null => {
    const cached = cache.get(name);
    if (cached) return cached;
    const directory = assetsDirectory();
    if (!directory) return null;
    const content = readFileSync(`${directory}${name}`);
    cache.set(name, content);
    return content;
  };
  return (req, res, path) => {
    if (path !== '/console' && !path.startsWith('/console/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end('the console is read with GET\n');
      return true;
    }
    if (!enabled) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS });
      res.end(OFF_PAGE);
      return true;
    }
    const name = path.slice('/console/'.length);
    if (path === '/console' || name === '') {
      if (!assetsDirectory()) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('The console is not built: run `npm run build` (npm start does).\n');
        return true;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : PAGE);
      return true;
    }
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    const content = type ? asset(name) : null;
    if (!type || !content) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return true;
    }
    res.writeHead(200, { 'content-type': type, ...SECURITY_HEADERS });
    res.end(req.method === 'HEAD' ? undefined : content);
    return true;
  };
}

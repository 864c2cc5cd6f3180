import { get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstQuery } from '../src/yoga.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { graphqlUrl, listen } from './helpers/servers.ts';

/**
 * GraphiQL in a browser: served from the package (no script, style or font from anywhere but this server),
 * opening on the banner's query and the headers it was given; when off, a page that says how to turn it on.
 */

const page = async (server: Server) => {
  const response = await fetch(graphqlUrl(server), {
    headers: { accept: 'text/html,application/xhtml+xml' },
  });
  return { status: response.status, type: response.headers.get('content-type'), html: await response.text() };
};

/** Every URL the page would load from elsewhere: src/href attributes, CSS url(), module imports. */
const externalUrls = (html: string) =>
  [
    ...html.matchAll(/\b(?:src|href)\s*=\s*["']?(https?:)?\/\/[^"'\s>]+/gi),
    ...html.matchAll(/url\(\s*["']?(?:https?:)?\/\/[^)]+\)/gi),
    ...html.matchAll(/\bimport\s*(?:[^"'()]*from\s*)?["'](?:https?:)?\/\/[^"']+["']/gi),
  ].map((match) => match[0]);

describe('GraphiQL', () => {
  let on: TestApp;
  let off: TestApp;
  const servers: Server[] = [];
  const serve = async (t: TestApp, headers?: Record<string, string>) => {
    const server = await listen(t, headers ? { graphiqlHeaders: headers } : {});
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    on = await startTestApp({ config: { graphiql: true } });
    off = await startTestApp({ config: { graphiql: false } });
  });
  afterAll(async () => {
    for (const server of servers) server.close();
    await on?.close();
    await off?.close();
  });

  it('should serve GraphiQL from the package, on the first query, with the headers given', async () => {
    const server = await serve(on, { Authorization: 'Bearer sg_demo_token' });
    const { status, type, html } = await page(server);
    expect(status).toBe(200);
    expect(type).toContain('text/html');
    expect(externalUrls(html)).toEqual([]);
    expect(html).not.toContain('unpkg.com');
    expect(html).not.toContain('__TITLE__');
    // The editor's code is in the page itself.
    expect(html.length).toBeGreaterThan(100_000);
    expect(html).toContain(JSON.stringify(firstQuery).slice(1, 40));
    expect(html).toContain('sg_demo_token');
  });

  it('should give its headers (the demo token) only to a page loaded by a loopback name, not after DNS rebinding', async () => {
    const server = await serve(on, { Authorization: 'Bearer sg_demo_token' });
    const { port } = server.address() as AddressInfo;
    // A hostile site whose name now resolves to 127.0.0.1 reads the page as its own origin: its Host is its name.
    const load = (host: string) =>
      new Promise<string>((resolve, reject) => {
        httpGet(
          { host: '127.0.0.1', port, path: '/graphql', headers: { host, accept: 'text/html' } },
          (response) => {
            let html = '';
            response.on('data', (chunk: Buffer) => {
              html += chunk.toString();
            });
            response.on('end', () => resolve(html));
          },
        ).on('error', reject);
      });
    for (const host of [
      `rebound.attacker.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      'localhost.example',
    ]) {
      const html = await load(host);
      expect(html.includes('graphiql')).toBe(true);
      expect(html.includes('sg_demo_token')).toBe(false);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST']) {
      expect((await load(host)).includes('sg_demo_token')).toBe(true);
    }
  });

  it('should say how to turn it on when it is off, not answer an empty 406', async () => {
    const server = await serve(off);
    const { status, type, html } = await page(server);
    expect(status).toBe(200);
    expect(type).toContain('text/html');
    expect(html).toContain('GraphiQL is off');
    expect(html).toContain('GRAPHIQL=true');
    expect(externalUrls(html)).toEqual([]);
  });

  it('should say how to turn the console on while it is off, and serve nothing else under /console', async () => {
    const server = await serve(off);
    const base = graphqlUrl(server).replace(/\/graphql$/, '');
    const console = await fetch(`${base}/console`);
    expect(console.status).toBe(404);
    const html = await console.text();
    expect(html).toContain('the console is off');
    expect(html).toContain('CONSOLE=true');
    expect(console.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await fetch(`${base}/console/console.js`)).status).toBe(404);
    expect((await fetch(`${base}/console`, { method: 'POST' })).status).toBe(405);
  });
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.ts';
import { djangoEnvironment, runDjango } from './frameworks/django-harness.ts';
import { prepareWebpyDatabase, py, TIME_ZONE, writeWebpy } from './frameworks/webpy-harness.ts';
import { graphql } from './gql/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { listen } from './helpers/servers.ts';

/**
 * The sessions console in a real browser (Debian's chromium, driven by playwright-core) against a real
 * server on a real PostgreSQL holding sessions written by Django 3.2, by web.py and by the API: sign in with a
 * token, find a user by username, open a session, end it (and see Django itself no longer load it), watch a
 * session made by another client appear, and what a token without write or user scopes is shown.
 *
 * Screenshots go to SCREENSHOTS_DIR (the README's come from `SCREENSHOTS_DIR=docs/screenshots`), else a
 * temporary directory.
 */

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SECRET = 'console-test-django-secret-key-0123456789';
const screenshots = process.env['SCREENSHOTS_DIR'] ?? join(tmpdir(), `sessiongraph-console-${process.pid}`);
const run = promisify(execFile);

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's WCAG 2.1 A and AA rules (labels, names, roles, contrast, keyboard reachability) on what the
 * page shows now; its source is evaluated by the test, not served, so the console's CSP stays as it is.
 */
async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<unknown> } }
    ).axe;
    const result = (await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    })) as { passes: unknown[]; violations: { id: string; help: string; nodes: { target: string[] }[] }[] };
    // No rule passing would mean no audit ran.
    if (result.passes.length < 10) return [`only ${result.passes.length} rules ran`];
    return result.violations.map(
      (violation) =>
        `${violation.id} (${violation.help}): ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
  });
  return violations;
}

const CreateSession = graphql(`
  mutation ConsoleCreateSession($input: CreateSessionInput!) { createSession(input: $input) { __typename } }
`);

describe.skipIf(!process.env['DATABASE_URL'])('the sessions console, in chromium', () => {
  let t: TestApp;
  let server: Server;
  let base: string;
  let browser: Browser;
  let djangoEnv: NodeJS.ProcessEnv;
  let users: Record<string, string>;
  let djangoKeys: Record<string, string>;
  let writer: string;
  let reader: string;
  const audited = new Set<string>();
  /** Every URL the browser asked for: none may leave this server. */
  const requested: string[] = [];

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    await run('npm', ['run', 'build:console'], { cwd: join(import.meta.dirname, '..') });
    t = await startTestApp({
      notifications: true,
      config: {
        console: true,
        graphiql: true,
        introspection: true,
        users: { table: 'public.auth_user', key: 'id', columns: ['username', 'email', 'is_staff'] },
        stores: [
          { kind: 'native', name: 'native' },
          { kind: 'django', name: 'django', secretKey: SECRET, table: 'django_session' },
          { kind: 'webpy', name: 'webpy', table: 'sessions', timeoutSeconds: 86_400, timeZone: TIME_ZONE },
        ],
      },
      setup: async (pool) => {
        djangoEnv = djangoEnvironment(pool.options.connectionString!, SECRET);
        await runDjango(djangoEnv, 'migrate', {});
        await prepareWebpyDatabase(pool);
      },
    });
    users = await runDjango<Record<string, string>>(djangoEnv, 'create-users', ['alice', 'bob']);
    djangoKeys = await runDjango<Record<string, string>>(djangoEnv, 'write', [
      {
        name: 'aliceLaptop',
        user: 'alice',
        data: { cart: [{ sku: 'SKU-1', qty: 2 }], theme: 'dark', beta: true },
      },
      { name: 'bobPhone', user: 'bob', data: { page: 'checkout' } },
    ]);
    await writeWebpy([
      {
        id: randomBytes(20).toString('hex'),
        data: {
          uid: Number(users['alice']),
          lang: 'de',
          seen: py.datetime('2026-01-02T03:04:05'),
          pair: py.tuple(1, 'a'),
        },
      },
    ]);
    // A native session of alice's, as the application's own login would make through the API.
    await t.graphql(CreateSession, {
      input: { userId: users['alice']!, data: { device: 'tablet' }, userAgent: 'Tablet/1.0', ip: '10.0.0.7' },
    });
    // The framework stores' projections, as the server's sync worker builds them (for counts and stats).
    await t.sync();
    writer = (
      await createToken(
        t.pool,
        'support',
        ['sessions:read', 'sessions:write', 'users:read', 'audit:read'],
        null,
      )
    ).token;
    reader = (await createToken(t.pool, 'readonly', ['sessions:read'], null)).token;
    // GraphiQL opens with the token in its headers, as the demo's does.
    server = await listen(t, { graphiqlHeaders: { Authorization: `Bearer ${writer}` } });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    await t?.close();
    if (!process.env['SCREENSHOTS_DIR']) rmSync(screenshots, { recursive: true, force: true });
  });

  const open = async (token: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${base}/console`);
    if (!audited.has('login')) {
      audited.add('login');
      expect(await accessibilityProblems(page)).toEqual([]);
    }
    await page.getByLabel('API token').fill(token);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sessions', exact: true }).waitFor();
    return page;
  };

  it('searches by IP, user agent and time where stores keep them, and shows Python types', async () => {
    const page = await open(writer);
    const native = page.getByRole('region', { name: 'Store native' });
    await page.getByLabel('IP address').fill('10.0.0.7');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Not searched: django (keeps no IP address).').waitFor();
    await expect.poll(() => native.getByRole('cell', { name: 'Tablet/1.0' }).count()).toBe(1);
    // Each store's region fills in when its own answer arrives: webpy's may come after native's.
    await expect
      .poll(() =>
        page.getByRole('region', { name: 'Store webpy' }).getByText('No sessions here match.').count(),
      )
      .toBe(1);
    expect(page.url()).toContain('ip=10.0.0.7');
    expect(await accessibilityProblems(page)).toEqual([]);
    // By keyboard alone: Tab from the address field reaches the user-agent field, then (through each part
    // of the two date-and-time fields) the search button.
    await page.getByLabel('IP address').focus();
    const focused = () =>
      page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('search-ua');
    for (let tabs = 0; tabs < 40 && (await focused()) !== 'Search'; tabs += 1)
      await page.keyboard.press('Tab');
    expect(await focused()).toBe('Search');
    await page.keyboard.press('Tab');
    // Past the form, the first result's link: every control is reachable in reading order.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('A');

    await page.getByLabel('IP address').fill('');
    await page.getByLabel('User agent contains').fill('TABLET');
    await page.getByRole('button', { name: 'Search' }).click();
    await page
      .getByText('Not searched: django (keeps no user agent), webpy (keeps no user agent).')
      .waitFor();
    await expect.poll(() => native.getByRole('row').count()).toBe(2);

    // Created from tomorrow on: nothing yet.
    await page.getByLabel('User agent contains').fill('');
    await page.getByLabel('Time', { exact: true }).selectOption('createdAt');
    const tomorrow = new Date(Date.now() + 86_400_000);
    const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60_000)
      .toISOString()
      .slice(0, 16);
    await page.getByLabel('From (your time)').fill(local);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText(/Not searched: django \(keeps no creation time\)/).waitFor();
    await expect.poll(() => native.getByText('No sessions here match.').count()).toBe(1);

    // web.py's pickle holds a datetime and a tuple: the tree says so, though JSON shows a string and a list.
    await page.goto(`${base}/console#/?store=webpy&user=alice`);
    const webpy = page.getByRole('region', { name: 'Store webpy' });
    await expect.poll(() => webpy.getByRole('row').count()).toBe(2);
    await webpy.getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Data' }).waitFor();
    await expect.poll(() => page.getByText('datetime.datetime').count()).toBe(1);
    expect(await page.getByText('tuple of 2').count()).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.context().close();
  }, 90_000);

  it('finds a user by username across every store, opens a Django session and ends it', async () => {
    const page = await open(writer);
    // The token stays in the tab's sessionStorage, never in the address.
    expect(page.url()).not.toContain(writer);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(writer);
    await page.getByRole('table', { name: 'Sessions by store and status' }).waitFor();

    await page.getByLabel('User (id, username or email)').fill('alice');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('every session below is theirs').waitFor();
    const django = page.getByRole('region', { name: 'Store django' });
    const webpy = page.getByRole('region', { name: 'Store webpy' });
    const native = page.getByRole('region', { name: 'Store native' });
    await expect.poll(() => django.getByRole('row').count()).toBe(2);
    expect(await webpy.getByRole('row').count()).toBe(2);
    expect(await native.getByRole('row').count()).toBe(2);
    await expect.poll(() => native.getByRole('cell', { name: 'Tablet/1.0' }).count()).toBe(1);
    expect(await page.getByRole('cell', { name: 'alice' }).count()).toBe(3);
    await page.screenshot({ path: join(screenshots, 'console-search.png'), fullPage: true });

    await django.getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Data' }).waitFor();
    await expect.poll(() => page.getByText('"SKU-1"').count()).toBe(1);
    // Django's data is a Python value: True, not true.
    expect(await page.getByText('True', { exact: true }).count()).toBe(1);
    await page.screenshot({ path: join(screenshots, 'console-session.png'), fullPage: true });

    // Escape leaves the confirmation without ending anything; the button ends it.
    await page.getByRole('button', { name: 'End this session' }).click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await page.getByRole('button', { name: 'End this session' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'End session' }).click();
    await page.getByText('Session ended.').waitFor();

    const key = djangoKeys['aliceLaptop']!;
    const rows = await t.pool.query('SELECT 1 FROM django_session WHERE session_key = $1', [key]);
    expect(rows.rowCount).toBe(0);
    const loaded = await runDjango<Record<string, { exists: boolean; loaded: unknown }>>(djangoEnv, 'load', [
      key,
    ]);
    expect(loaded[key]).toMatchObject({ exists: false, loaded: {} });
    await page.goBack();
    await page.getByText('every session below is theirs').waitFor();
    await expect
      .poll(() =>
        page.getByRole('region', { name: 'Store django' }).getByText('No sessions here match.').count(),
      )
      .toBe(1);
    await page.context().close();
  }, 90_000);

  it("shows a user's sessions on every store, one made elsewhere appearing live, and ends all but one", async () => {
    const page = await open(writer);
    await page.goto(`${base}/console#/user/${users['alice']}`);
    await page.getByRole('heading', { name: 'alice' }).waitFor();
    await page.locator('.live.on').waitFor();
    const before = await page.locator('tr[data-session]').count();
    expect(before).toBe(2);

    // Another client logs alice in on a phone: the page shows it without a reload.
    await t.graphql(CreateSession, {
      input: { userId: users['alice']!, data: { device: 'phone' }, userAgent: 'Phone/2.0' },
    });
    await page.getByRole('cell', { name: 'Phone/2.0' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('tr[data-session]').count()).toBe(3);
    await page.screenshot({ path: join(screenshots, 'console-user.png'), fullPage: true });

    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'End all but one' }).click();
    await page.getByRole('dialog').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('dialog').getByRole('button', { name: 'End all but one' }).click();
    await page.getByText('2 sessions ended.').waitFor();
    await expect.poll(() => page.locator('tr[data-session]').count()).toBe(1);
    const left = await t.pool.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM sessiongraph.sessions WHERE user_id = $1)::int
            + (SELECT count(*) FROM sessions WHERE convert_from(decode(data, 'base64'), 'latin1') LIKE '%lang%')::int AS n`,
      [users['alice']],
    );
    expect(left.rows[0]!.n).toBe(1);
    await page.context().close();
  }, 90_000);

  it('shows a token without sessions:write no end buttons, and without users:read no user columns', async () => {
    const page = await open(reader);
    await page.getByLabel('User id').fill(users['bob']!);
    await page.getByRole('button', { name: 'Search' }).click();
    const django = page.getByRole('region', { name: 'Store django' });
    await expect.poll(() => django.getByRole('row').count()).toBe(2);
    // The user column shows the id, not a name read from the users table.
    expect(await django.getByRole('link', { name: users['bob']!, exact: true }).count()).toBe(1);
    expect(await page.getByText('bob', { exact: true }).count()).toBe(0);
    await django.getByRole('link', { name: users['bob']!, exact: true }).click();
    await page.getByRole('heading', { name: `user ${users['bob']}` }).waitFor();
    await expect.poll(() => page.locator('tr[data-session]').count()).toBe(1);
    expect(await page.getByRole('button', { name: /^End/ }).count()).toBe(0);
    await page.locator('tr[data-session] a').first().click();
    await page.getByRole('heading', { name: 'Data' }).waitFor();
    expect(await page.getByRole('button', { name: 'End this session' }).count()).toBe(0);
    expect(await page.getByText('The audit history needs a token with audit:read.').count()).toBe(1);
    await page.context().close();
  }, 60_000);

  it('serves GraphiQL from the package, and nothing the browser loaded came from elsewhere', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 800 } });
    const page = await context.newPage();
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${base}/graphql`);
    await page.locator('.graphiql-container').first().waitFor({ timeout: 20_000 });
    await page.locator('.graphiql-execute-button').click();
    await page.getByText('"sessions"').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(screenshots, 'graphiql.png') });
    await context.close();
    expect(requested.length).toBeGreaterThan(5);
    // Same-origin blob: URLs are GraphiQL's own workers, made in the page.
    const local = (url: string) =>
      url.startsWith(base) || url.startsWith(`blob:${base}/`) || url.startsWith('data:');
    expect(requested.filter((url) => !local(url))).toEqual([]);
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';

/** `corsOrigins`: which pages may call the API cross-origin, with the browser's credentials. */
describe('CORS', () => {
  let listed: TestApp;
  let unlisted: TestApp;
  beforeAll(async () => {
    listed = await startTestApp({ config: { corsOrigins: ['https://app.example'] } });
    unlisted = await startTestApp();
  });
  afterAll(async () => {
    await listed.close();
    await unlisted.close();
  });
  const query = { query: '{ sessions(first: 1) { totalCount } }' };

  it('should let a listed origin read the answer with credentials, and never name any other origin', async () => {
    const allowed = await listed.fetch(query, { origin: 'https://app.example' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    // A browser lets a page read the answer only where the header names the page's own origin.
    const other = await listed.fetch(query, { origin: 'https://elsewhere.example' });
    expect(other.headers.get('access-control-allow-origin')).not.toBe('https://elsewhere.example');
    const none = await unlisted.fetch(query, { origin: 'https://app.example' });
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
    expect(none.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

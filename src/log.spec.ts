import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('info', destination), lines };
}

describe('logs', () => {
  it("should not print a session key that a database error's detail names", () => {
    const { logger, lines } = capture();
    const refused = Object.assign(
      new Error('duplicate key value violates unique constraint "django_session_pkey"'),
      {
        code: '23505',
        detail: 'Key (session_key)=(k3yth4tmustn0tl34k) already exists.',
      },
    );
    logger.error({ err: refused }, 'write failed');
    const text = lines.join('');
    expect(text).not.toContain('k3yth4tmustn0tl34k');
    expect(text).toContain('23505');
    expect(text).toContain('django_session_pkey');
  });
});

import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { projectionFingerprint } from './fingerprint.ts';
import { type FrameworkStoreConfig, isFrameworkStore } from './schema.ts';

const fingerprint = (store: Record<string, unknown>, fields: unknown[] = []) => {
  const config = loadConfig({}, { stores: [{ kind: 'django', name: 'django', ...store }], fields });
  const framework = config.stores.filter(isFrameworkStore)[0] as FrameworkStoreConfig;
  return projectionFingerprint(framework, config.fields, 'integer');
};

describe('projection fingerprint', () => {
  const base = { secretKey: 's1', fallbackKeys: ['f1', 'f2'] };

  it('should change with what decides how rows decode', () => {
    const reference = fingerprint(base);
    expect(fingerprint({ ...base, secretKey: 's2' })).not.toBe(reference);
    expect(fingerprint({ ...base, fallbackKeys: ['f1'] })).not.toBe(reference);
    expect(fingerprint({ ...base, salt: 'another.salt' })).not.toBe(reference);
    expect(fingerprint({ ...base, table: 'other_session' })).not.toBe(reference);
    expect(fingerprint(base, [{ name: 'role', path: 'role', type: 'String' }])).not.toBe(reference);
  });

  it('should not change with what only writes or cookies use, nor with the order of fallbacks', () => {
    const reference = fingerprint(base);
    expect(fingerprint({ ...base, fallbackKeys: ['f2', 'f1'] })).toBe(reference);
    expect(fingerprint({ ...base, cookieName: 'sid', cookieAgeSeconds: 60, writeLegacy: true })).toBe(
      reference,
    );
  });

  it('should hold no secret', () => {
    expect(fingerprint({ secretKey: 'a-very-recognisable-secret' })).not.toContain('recognisable');
    expect(fingerprint(base)).toMatch(/^[0-9a-f]{32}$/);
  });
});

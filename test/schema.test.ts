import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { demoUsersDatabase } from './helpers/db.ts';
import { demoSchemaText } from './helpers/schema.ts';

const schemaFile = new URL('../schema/schema.graphql', import.meta.url);

describe('schema/schema.graphql', () => {
  const db = demoUsersDatabase();

  it('should be the schema the code prints (run `npm run schema` after changing it)', async () => {
    const printed = await demoSchemaText(db.pool);
    const checkedIn = readFileSync(schemaFile, 'utf8');
    if (printed !== checkedIn && process.env['UPDATE_SCHEMA'] === '1' && !process.env['CI']) {
      writeFileSync(schemaFile, printed);
      return;
    }
    expect(checkedIn).toBe(printed);
  });

  it('should never expose the password hash column of the users table', async () => {
    const printed = await demoSchemaText(db.pool);
    expect(printed).not.toMatch(/^\s+password\w*[:(]/im);
    expect(printed).toContain('type User implements Node');
  });
});

describe('test/gql', () => {
  it('should hold the typed documents codegen makes from the tests’ operations (`npm run codegen`)', async () => {
    const check = await promisify(execFile)('npx', [
      'graphql-codegen',
      '--config',
      'codegen.yml',
      '--check',
    ]).catch((error: { stdout: string; stderr: string }) => error);
    expect('code' in check ? `${check.stdout}${check.stderr}` : 'up to date').toBe('up to date');
  });
});

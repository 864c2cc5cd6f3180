import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** test/frameworks/django_app.py, a Django 3.2 project in one file, run by Debian's python3. */
const PYTHON = '/usr/bin/python3';
const DJANGO_APP = fileURLToPath(new URL('./django_app.py', import.meta.url));

/** The environment django_app.py runs in: the test's database and the project's SECRET_KEY. */
export const djangoEnvironment = (databaseUrl: string, secretKey: string): NodeJS.ProcessEnv => ({
  PATH: process.env['PATH'],
  LANG: 'C.UTF-8',
  DATABASE_URL: databaseUrl,
  DJANGO_SECRET_KEY: secretKey,
});

/** Runs one django_app.py command: JSON in on stdin, JSON out on stdout. */
export function runDjango<T>(env: NodeJS.ProcessEnv, command: string, input: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      PYTHON,
      [DJANGO_APP, command],
      { env, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`django_app.py ${command} failed: ${error.message}\n${stderr}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout) as T);
        } catch {
          reject(new Error(`django_app.py ${command} printed no JSON: ${stdout}\n${stderr}`));
        }
      },
    );
    child.stdin!.end(JSON.stringify(input));
  });
}

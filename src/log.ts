import pino from 'pino';

/**
 * Structured JSON logs. Session keys are bearer credentials: cookies, session-key headers and
 * authorization headers are redacted wherever they appear in a logged object.
 */
export const redactPaths = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-session-key"]',
  'headers.cookie',
  'headers.authorization',
  'headers["x-session-key"]',
  'sessionKey',
  '*.sessionKey',
  'key',
  '*.key',
  // PostgreSQL's detail names the values of the row it refused ("Key (session_key)=(…) already exists.",
  // "Failing row contains (…)"): a framework table's row holds its session key.
  'err.detail',
];

export function createLogger(level: string, destination?: pino.DestinationStream) {
  // Lines written while serving a request come from the request's child logger (`ctx.log`), which adds
  // its `reqId`.
  const options: pino.LoggerOptions = {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type Logger = pino.Logger;

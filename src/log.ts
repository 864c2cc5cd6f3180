import pino from 'pino';
import { currentRequestScope } from './ops/request-scope.ts';

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
];

export function createLogger(level: string, destination?: pino.DestinationStream) {
  const options: pino.LoggerOptions = {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    // Every line logged while serving a request carries its id, wherever in the code it is written.
    mixin: () => {
      const scope = currentRequestScope();
      return scope ? { reqId: scope.requestId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type Logger = pino.Logger;

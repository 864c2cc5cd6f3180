/**
 * The one catalogue of error codes. Typed GraphQL errors and `extensions.code` both take their code from
 * here, so clients switch on the code and humans read the message.
 */
export const errorCodes = {
  SESSION_NOT_FOUND: 'No session has this id.',
  USER_NOT_FOUND: 'No user has this id.',
  VERSION_CONFLICT: 'The session changed since the version you expected.',
  INVALID_INPUT: 'The input is not valid.',
  INVALID_SESSION_DATA: 'The session data cannot be stored.',
  REFERENCE_NOT_FOUND: 'A field that references another table names a row that does not exist.',
  STORE_NOT_FOUND: 'No store has this name.',
  UNSUPPORTED_OPERATION: 'This store does not support the operation.',
  FORBIDDEN: 'The caller may not do this.',
  UNAUTHENTICATED: 'No valid credentials were presented.',
  BAD_USER_INPUT: 'An argument is not valid.',
  IDEMPOTENCY_KEY_REUSED: 'This Idempotency-Key was used for another request.',
  CONFLICT: 'Another request holds this; retry shortly.',
  SERVICE_UNAVAILABLE: 'The database is temporarily unavailable. Retry shortly.',
  INTERNAL_SERVER_ERROR: 'Unexpected error.',
  // Refusals of abusive requests (src/security/limits.ts).
  RATE_LIMITED: 'Too many requests; retry later.',
  CSRF: 'A cookie-authenticated request needs a same-origin browser or an X-GraphQL-CSRF header.',
  PAYLOAD_TOO_LARGE: 'The request body is too large.',
  BATCH_LIMIT: 'Too many operations in one batch.',
  TOKEN_LIMIT: 'The query has too many tokens.',
  DEPTH_LIMIT: 'The query nests too deep.',
  ALIAS_LIMIT: 'The query has too many aliases.',
  COST_LIMIT: 'The query costs too much.',
  INTROSPECTION_DISABLED: 'Introspection is turned off.',
} as const;

export type ErrorCode = keyof typeof errorCodes;

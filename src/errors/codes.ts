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
  INTERNAL_SERVER_ERROR: 'Unexpected error.',
} as const;

export type ErrorCode = keyof typeof errorCodes;

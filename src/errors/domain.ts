import { type ErrorCode, errorCodes } from './codes.ts';

/** Failures a caller can act on. Resolvers throw these; the errors plugin turns them into payload types. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = errorCodes[code],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class SessionNotFoundError extends DomainError {
  constructor(readonly sessionId: string) {
    super('SESSION_NOT_FOUND');
  }
}

export class UserNotFoundError extends DomainError {
  constructor(readonly userId: string) {
    super('USER_NOT_FOUND');
  }
}

export class StoreNotFoundError extends DomainError {
  constructor(readonly store: string) {
    super('STORE_NOT_FOUND', `No store is named "${store}".`);
  }
}

export class VersionConflictError extends DomainError {
  constructor(
    readonly sessionId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super('VERSION_CONFLICT', `The session is at version ${actualVersion}, not ${expectedVersion}.`);
  }
}

/**
 * An argument of a query that cannot hold (a page size out of bounds, a cursor of another list): not a typed
 * payload error, an error of the request, with `extensions.argument` naming the argument.
 */
export class BadArgumentError extends DomainError {
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super('BAD_USER_INPUT', message);
  }
}

/** A request's Idempotency-Key already stands for different work. */
export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used for a different request; use a new key for new work.',
    );
  }
}

/** The first request with this Idempotency-Key has not finished: answered 409, for the client to retry. */
export class IdempotencyInProgressError extends DomainError {
  readonly httpStatus = 409;
  constructor() {
    super('CONFLICT', 'A request with this Idempotency-Key is still in progress; retry shortly.');
  }
}

/** A malformed request header (not a GraphQL argument). */
export class BadHeaderError extends DomainError {
  constructor(
    readonly header: string,
    message: string,
  ) {
    super('BAD_USER_INPUT', message);
  }
}

export class InvalidInputError extends DomainError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('INVALID_INPUT', message);
  }
}

export class InvalidSessionDataError extends DomainError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super('INVALID_SESSION_DATA', message);
  }
}

export class UnsupportedOperationError extends DomainError {
  constructor(
    readonly store: string,
    message: string,
  ) {
    super('UNSUPPORTED_OPERATION', message);
  }
}

export class ReferenceNotFoundError extends DomainError {
  constructor(
    readonly field: string,
    readonly value: string,
    readonly references: string,
  ) {
    super('REFERENCE_NOT_FOUND', `${field} = ${value} does not exist in ${references}.`);
  }
}

export class ForbiddenError extends DomainError {
  constructor(readonly operation: string) {
    super('FORBIDDEN', `Not allowed: ${operation} needs a caller with the right to it.`);
  }
}

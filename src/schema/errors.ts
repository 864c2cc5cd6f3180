import {
  type DomainError,
  InvalidInputError,
  ForbiddenError,
  InvalidSessionDataError,
  ReferenceNotFoundError,
  SessionNotFoundError,
  StoreNotFoundError,
  UnsupportedOperationError,
  UserNotFoundError,
  VersionConflictError,
} from '../errors/domain.ts';
import type { Builder } from './builder.ts';

/**
 * The typed failures a mutation can return in its payload, all behind one `Error` interface. Only these
 * classes are caught by the errors plugin; anything else stays a masked GraphQL error.
 */
export function addErrorTypes(builder: Builder) {
  const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
    description: 'A failure the caller can act on. `code` comes from one catalogue of error codes.',
    fields: (t) => ({
      message: t.exposeString('message'),
      code: t.exposeString('code'),
    }),
  });
  const interfaces = [ErrorInterface];

  builder.objectType(SessionNotFoundError, {
    name: 'SessionNotFoundError',
    description: 'No session has this id (or it has ended).',
    interfaces,
    fields: (t) => ({ sessionId: t.exposeID('sessionId') }),
  });
  builder.objectType(UserNotFoundError, {
    name: 'UserNotFoundError',
    description: 'No user has this id.',
    interfaces,
    fields: (t) => ({ userId: t.exposeID('userId') }),
  });
  builder.objectType(StoreNotFoundError, {
    name: 'StoreNotFoundError',
    description: 'No configured store has this name.',
    interfaces,
    fields: (t) => ({ store: t.exposeString('store') }),
  });
  builder.objectType(VersionConflictError, {
    name: 'VersionConflictError',
    description: 'The session changed since `expectedVersion`; read it again and retry.',
    interfaces,
    fields: (t) => ({
      sessionId: t.exposeID('sessionId'),
      expectedVersion: t.exposeInt('expectedVersion'),
      actualVersion: t.exposeInt('actualVersion'),
    }),
  });
  builder.objectType(InvalidInputError, {
    name: 'InvalidInputError',
    description: 'An input field is not valid.',
    interfaces,
    fields: (t) => ({ field: t.exposeString('field') }),
  });
  builder.objectType(InvalidSessionDataError, {
    name: 'InvalidSessionDataError',
    description: 'The session data cannot be stored (NUL characters, too deep, too large).',
    interfaces,
    fields: (t) => ({ path: t.exposeString('path') }),
  });
  builder.objectType(ReferenceNotFoundError, {
    name: 'ReferenceNotFoundError',
    description: 'A field declared to reference a table names a row that does not exist there.',
    interfaces,
    fields: (t) => ({
      field: t.exposeString('field'),
      value: t.exposeString('value', { description: 'The value as JSON.' }),
      references: t.exposeString('references', { description: '`table.column` it must exist in.' }),
    }),
  });
  builder.objectType(ForbiddenError, {
    name: 'ForbiddenError',
    description: 'The caller may not do this (a missing scope, or another browser’s session).',
    interfaces,
    fields: (t) => ({ operation: t.exposeString('operation') }),
  });
  builder.objectType(UnsupportedOperationError, {
    name: 'UnsupportedOperationError',
    description: 'The store cannot do this (for example, write a format it only reads).',
    interfaces,
    fields: (t) => ({ store: t.exposeString('store') }),
  });
}

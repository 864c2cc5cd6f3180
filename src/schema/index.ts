import { lexicographicSortSchema, printSchema } from 'graphql';
import type { App } from '../app.ts';
import { addAuditTypes } from './audit.ts';
import { createBuilder } from './builder.ts';
import { addErrorTypes } from './errors.ts';
import { addSessionEvents } from './events.ts';
import { addSessionTypes } from './session.ts';
import { addUserSessions, addUserType } from './user.ts';

/** Builds the schema for one deployment: its users table and its stores. */
export function buildSchema(app: App) {
  const builder = createBuilder();
  addErrorTypes(builder);
  const User = addUserType(builder, app);
  const sessionTypes = addSessionTypes(builder, app, User);
  addUserSessions(builder, app, User, sessionTypes);
  addAuditTypes(builder, app);
  addSessionEvents(builder, app, sessionTypes);
  return builder.toSchema();
}

/** The SDL checked in as schema/schema.graphql: sorted, so diffs are stable. */
export const printSortedSchema = (app: App) => `${printSchema(lexicographicSortSchema(buildSchema(app)))}\n`;

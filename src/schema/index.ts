import { lexicographicSortSchema, printSchema } from 'graphql';
import type { App } from '../app.ts';
import { addAuditTypes } from './audit.ts';
import { createBuilder } from './builder.ts';
import { addDeploymentInfo } from './deployment.ts';
import { addErrorTypes } from './errors.ts';
import { addSessionEvents } from './events.ts';
import { addSessionMutations } from './session/mutations.ts';
import { addSessionQueries } from './session/queries.ts';
import { addSessionStats } from './session/stats.ts';
import { addSessionType } from './session/type.ts';
import { addUserSessions } from './session/user-sessions.ts';
import { addUserType } from './user.ts';

/** Builds the schema for one deployment: its users table and its stores. */
export function buildSchema(app: App) {
  const builder = createBuilder();
  addErrorTypes(builder);
  const User = addUserType(builder, app);
  const sessionTypes = addSessionType(builder, app, User);
  addSessionQueries(builder, app, sessionTypes);
  addSessionStats(builder, app, sessionTypes);
  addSessionMutations(builder, app, sessionTypes);
  addUserSessions(builder, app, User, sessionTypes);
  addAuditTypes(builder, app);
  addSessionEvents(builder, app, sessionTypes);
  addDeploymentInfo(builder, app);
  return builder.toSchema();
}

/** The SDL checked in as schema/schema.graphql: sorted, so diffs are stable. */
export const printSortedSchema = (app: App) => `${printSchema(lexicographicSortSchema(buildSchema(app)))}\n`;

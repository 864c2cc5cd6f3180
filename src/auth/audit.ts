import type { Context } from '../context.ts';
import { DomainError } from '../errors/domain.ts';
import { actorOf } from './caller.ts';
import { recordAudit } from './audit.sql.ts';

/**
 * Every mutation, and every refusal, leaves a row in the append-only audit log: who (token name or
 * session, never a key), what, which session and user, when, and the outcome. The row is written after
 * the mutation's own transaction, so a failed mutation is recorded too.
 */
export interface AuditTarget {
  sessionId?: string | null;
  userId?: string | null;
}

async function write(ctx: Context, action: string, target: AuditTarget, outcome: string) {
  const viewer = ctx.caller.kind === 'token' ? null : await ctx.viewerSession().catch(() => null);
  await recordAudit(ctx.db, {
    actor: actorOf(ctx.caller, viewer),
    action,
    sessionId: target.sessionId ?? null,
    userId: target.userId ?? null,
    outcome,
  }).catch((error: unknown) => ctx.log.error({ err: error, action }, 'audit write failed'));
}

export async function audited<T>(
  ctx: Context,
  action: string,
  target: AuditTarget,
  run: () => Promise<T>,
  after: (result: T) => AuditTarget = () => ({}),
): Promise<T> {
  try {
    const result = await run();
    await write(ctx, action, { ...target, ...after(result) }, 'ok');
    return result;
  } catch (error) {
    await write(ctx, action, target, `error:${error instanceof DomainError ? error.code : 'INTERNAL'}`);
    throw error;
  }
}

/** A refusal decided before any resolver ran (scope-auth): recorded, never awaited by the response. */
export function auditRefusal(ctx: Context, action: string): void {
  void write(
    ctx,
    action,
    {},
    ctx.caller.kind === 'anonymous' && ctx.caller.failedToken
      ? 'refused:unauthenticated'
      : 'refused:forbidden',
  );
}

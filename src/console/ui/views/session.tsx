import { useEffect, useState } from 'preact/hooks';
import { failureOf, request } from '../api.ts';
import { canReadAudit, canReadUsers, canWrite, formatTime, PYTHON_KINDS, useConsole } from '../context.ts';
import { AuditQuery, EndSessionMutation, SessionQuery } from '../documents.ts';
import type { ConsoleAuditQuery, ConsoleSessionQuery } from '../gql/graphql.ts';
import { userHref } from '../route.ts';
import { Confirm } from './confirm.tsx';
import { DataTree } from './data-tree.tsx';
import { Notices } from './notices.tsx';

type Session = NonNullable<ConsoleSessionQuery['session']>;
type AuditEvent = ConsoleAuditQuery['auditEvents']['edges'][number]['node'];

export function SessionPage(props: { id: string }) {
  const state = useConsole();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [audit, setAudit] = useState<AuditEvent[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [asking, setAsking] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const [answer, history] = await Promise.all([
          request(SessionQuery, { id: props.id, withUsers: canReadUsers(state) }),
          canReadAudit(state) ? request(AuditQuery, { sessionId: props.id, userId: null }) : null,
        ]);
        if (cancelled) return;
        setProblem(failureOf(answer, 'session')?.message ?? null);
        setSession(answer.data?.session ?? null);
        setAudit(history?.data?.auditEvents.edges.map((edge) => edge.node) ?? null);
      } catch (error) {
        if (!cancelled) setProblem((error as Error).message);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [props.id, state.liveTick]);

  const end = async () => {
    setAsking(false);
    try {
      const answer = await request(EndSessionMutation, { id: props.id });
      const result = answer.data?.endSession;
      if (result?.__typename === 'EndSessionPayload') {
        setOutcome('Session ended.');
        setSession(null);
      } else {
        setOutcome(result && 'message' in result ? result.message : 'The session could not be ended.');
      }
    } catch (error) {
      setOutcome((error as Error).message);
    }
  };

  const kind = state.stores.find((store) => store.name === session?.store)?.kind ?? '';
  return (
    <>
      <h1>Session</h1>
      <p class="muted">
        <code>{props.id}</code>
      </p>
      <Notices problem={problem} outcome={outcome} />
      {session === undefined && <p role="status">Loading…</p>}
      {session === null && !outcome && <p>No such session: it ended, or never existed.</p>}
      {session && (
        <>
          <dl class="facts">
            <dt>Store</dt>
            <dd>
              {session.store} ({kind})
            </dd>
            <dt>Status</dt>
            <dd>
              <span class={`status ${session.status.toLowerCase()}`}>{session.status}</span>
            </dd>
            {session.problem && (
              <>
                <dt>Problem</dt>
                <dd class="error">{session.problem}</dd>
              </>
            )}
            {session.decodeNote && (
              <>
                <dt>Note</dt>
                <dd>{session.decodeNote}</dd>
              </>
            )}
            <dt>User</dt>
            <dd>
              {session.userId === null ? (
                'anonymous'
              ) : (
                <a href={userHref(session.userId)}>
                  {session.user ? `${session.user.label} (id ${session.userId})` : session.userId}
                </a>
              )}
            </dd>
            <dt>Created</dt>
            <dd>{formatTime(session.createdAt)}</dd>
            <dt>Last seen</dt>
            <dd>{formatTime(session.lastSeenAt)}</dd>
            <dt>Expires</dt>
            <dd>{formatTime(session.expiresAt)}</dd>
            <dt>IP</dt>
            <dd>{session.ip ?? '—'}</dd>
            <dt>User agent</dt>
            <dd>{session.userAgent ?? '—'}</dd>
            <dt>Version</dt>
            <dd>{session.version}</dd>
          </dl>
          {canWrite(state) && (
            <p>
              <button type="button" class="danger" onClick={() => setAsking(true)}>
                End this session
              </button>
            </p>
          )}
          <h2>Data</h2>
          <DataTree
            data={session.data as never}
            python={PYTHON_KINDS.has(kind)}
            types={(session.dataTypes as Record<string, string> | null) ?? {}}
          />
        </>
      )}
      <h2>History</h2>
      {!canReadAudit(state) ? (
        <p class="muted">The audit history needs a token with audit:read.</p>
      ) : audit === null || audit.length === 0 ? (
        <p class="muted">Nothing recorded for this session.</p>
      ) : (
        <table>
          <caption>What was done to this session, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">By</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {audit.map((event) => (
              <tr key={event.id}>
                <td>{formatTime(event.at)}</td>
                <td>{event.action}</td>
                <td>{event.actor}</td>
                <td>{event.outcome}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {asking && (
        <Confirm
          question="End this session? Its browser is signed out at once."
          confirmLabel="End session"
          onConfirm={end}
          onCancel={() => setAsking(false)}
        />
      )}
    </>
  );
}

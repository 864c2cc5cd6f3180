import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { failureOf, request } from '../api.ts';
import { canReadUsers, canWrite, useConsole } from '../context.ts';
import { EndSessionMutation, EndUserSessionsMutation, SessionsQuery, UserQuery } from '../documents.ts';
import type { ConsoleUserQuery } from '../gql/graphql.ts';
import { Confirm } from './confirm.tsx';
import { Notices } from './notices.tsx';
import { type SessionRow, SessionsTable, shortId } from './sessions-table.tsx';

type User = NonNullable<ConsoleUserQuery['user']>;

/** Enough for any one person's devices; more is shown as a count. */
const PER_STORE = 100;

interface Question {
  text: string;
  label: string;
  run: () => Promise<string>;
}

export function UserPage(props: { id: string }) {
  const state = useConsole();
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [sessions, setSessions] = useState<{ store: string; total: number; rows: SessionRow[] }[] | null>(
    null,
  );
  const [problem, setProblem] = useState<string | null>(null);
  const [question, setQuestion] = useState<Question | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [keep, setKeep] = useState<string>('');
  /** Bumped after each action, so the page reads afresh even when two outcomes read alike. */
  const [actions, setActions] = useState(0);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const [userAnswer, ...pages] = await Promise.all([
          canReadUsers(state) ? request(UserQuery, { id: props.id }) : null,
          ...state.stores.map((store) =>
            request(SessionsQuery, {
              store: store.name,
              status: null,
              userId: props.id,
              after: null,
              first: PER_STORE,
              withUsers: canReadUsers(state),
            }),
          ),
        ]);
        if (cancelled) return;
        setUser(userAnswer?.data?.user ?? null);
        const failed = pages.map((page) => page && failureOf(page, 'sessions')).find(Boolean);
        setProblem(failed ? failed.message : null);
        setSessions(
          state.stores.map((store, index) => ({
            store: store.name,
            total: pages[index]?.data?.sessions.totalCount ?? 0,
            rows: pages[index]?.data?.sessions.edges.map((edge) => edge.node) ?? [],
          })),
        );
      } catch (error) {
        if (!cancelled) setProblem((error as Error).message);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [props.id, state.liveTick, actions]);

  const all = sessions?.flatMap((group) => group.rows) ?? [];
  const total = sessions?.reduce((sum, group) => sum + group.total, 0) ?? 0;
  // Unless chosen, the one kept is the live session seen last (a stale or INVALID one would end every live one).
  const kept = all.find((row) => row.id === keep) ?? newestActive(all) ?? all[0];
  const name = user ? user.label : `user ${props.id}`;

  const endAll = (keepId: string | null) => async () => {
    const answer = await request(EndUserSessionsMutation, { userId: props.id, keep: keepId });
    const result = answer.data?.endUserSessions;
    if (result?.__typename === 'EndUserSessionsPayload') {
      return `${result.count} ${result.count === 1 ? 'session' : 'sessions'} ended.`;
    }
    return result && 'message' in result ? result.message : 'Nothing was ended.';
  };
  const endOne = (row: SessionRow) => async () => {
    const answer = await request(EndSessionMutation, { id: row.id });
    const result = answer.data?.endSession;
    if (result?.__typename === 'EndSessionPayload') return '1 session ended.';
    return result && 'message' in result ? result.message : 'Nothing was ended.';
  };
  const ask = (text: string, label: string, run: () => Promise<string>) => setQuestion({ text, label, run });

  return (
    <>
      <h1>{name}</h1>
      {user && (
        <dl class="facts">
          <dt>Id</dt>
          <dd>{user.rowId}</dd>
          {Object.entries(user.columns).map(([column, value]) => (
            <Fragment key={column}>
              <dt>{column}</dt>
              <dd>
                {value === null ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value)}
              </dd>
            </Fragment>
          ))}
        </dl>
      )}
      {user === null && canReadUsers(state) && <p class="muted">No row in the users table has this id.</p>}
      <Notices problem={problem} outcome={outcome} />
      <h2>
        Sessions on every store <span class="count">{total.toLocaleString('en')}</span>
      </h2>
      {canWrite(state) && all.length > 0 && (
        <div class="actions">
          <label for="keep">Keep</label>
          <select
            id="keep"
            value={kept?.id ?? ''}
            onChange={(event) => setKeep((event.target as HTMLSelectElement).value)}
          >
            {all.map((row) => (
              <option key={row.id} value={row.id}>
                {row.store} · {row.userAgent ?? shortId(row.id)} · {row.status.toLowerCase()}
              </option>
            ))}
          </select>
          <button
            type="button"
            class="danger"
            onClick={() =>
              ask(
                `End every session of ${name} on every store except the one chosen to keep?`,
                'End all but one',
                endAll(kept?.id ?? null),
              )
            }
          >
            End all but one
          </button>
          <button
            type="button"
            class="danger"
            onClick={() =>
              ask(`End all ${total} sessions of ${name} on every store?`, 'End all', endAll(null))
            }
          >
            End all
          </button>
        </div>
      )}
      {sessions === null && <p role="status">Loading…</p>}
      {sessions?.map((group) =>
        group.rows.length === 0 ? null : (
          <section key={group.store} aria-label={`Store ${group.store}`}>
            <h3>
              {group.store} <span class="count">{group.total.toLocaleString('en')}</span>
            </h3>
            <SessionsTable
              caption={`Sessions of ${name} in ${group.store}`}
              rows={group.rows}
              actions={
                canWrite(state)
                  ? (row) => (
                      <button
                        type="button"
                        class="danger"
                        aria-label={`End session ${shortId(row.id)}`}
                        onClick={() =>
                          ask(
                            'End this session? Its browser is signed out at once.',
                            'End session',
                            endOne(row),
                          )
                        }
                      >
                        End
                      </button>
                    )
                  : undefined
              }
            />
            {group.total > group.rows.length && (
              <p class="muted">
                Showing {group.rows.length} of {group.total}.
              </p>
            )}
          </section>
        ),
      )}
      {sessions && total === 0 && <p class="muted">This user has no sessions.</p>}
      {question && (
        <Confirm
          question={question.text}
          confirmLabel={question.label}
          onCancel={() => setQuestion(null)}
          onConfirm={async () => {
            const run = question.run;
            setQuestion(null);
            try {
              setOutcome(await run());
            } catch (error) {
              setOutcome((error as Error).message);
            }
            setActions((count) => count + 1);
          }}
        />
      )}
    </>
  );
}

const seenAt = (row: SessionRow) => Date.parse(row.lastSeenAt ?? row.createdAt ?? '') || 0;

function newestActive(rows: readonly SessionRow[]): SessionRow | undefined {
  return rows
    .filter((row) => row.status === 'ACTIVE')
    .reduce<SessionRow | undefined>(
      (best, row) => (!best || seenAt(row) > seenAt(best) ? row : best),
      undefined,
    );
}

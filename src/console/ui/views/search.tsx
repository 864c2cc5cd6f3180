import { useEffect, useState } from 'preact/hooks';
import { request } from '../api.ts';
import { canReadUsers, type FieldInfo, useConsole } from '../context.ts';
import { FindUsersQuery, SessionsQuery, SessionsWhereQuery, StatsQuery } from '../documents.ts';
import type { ConsoleSessionsQueryVariables, ConsoleStatsQuery, SessionStatus } from '../gql/graphql.ts';
import { searchHref, userHref } from '../route.ts';
import { Notices } from './notices.tsx';
import { type SessionRow, SessionsTable } from './sessions-table.tsx';
import { StatsChart } from './stats.tsx';

const PAGE_SIZE = 25;
const STATUSES: SessionStatus[] = ['ACTIVE', 'EXPIRED', 'INVALID'];
const TIMES = [
  ['lastSeenAt', 'Last seen'],
  ['createdAt', 'Created'],
  ['expiresAt', 'Expires'],
] as const;
type TimeFact = (typeof TIMES)[number][0];
const FACT_WORDS: Record<string, string> = {
  ip: 'IP address',
  userAgent: 'user agent',
  createdAt: 'creation time',
  lastSeenAt: 'last-seen time',
  expiresAt: 'expiry time',
};

interface StoreResult {
  store: string;
  totalCount: number;
  rows: SessionRow[];
  endCursor: string | null;
  hasNextPage: boolean;
  problem: string | null;
}

interface Skipped {
  store: string;
  missing: string[];
}

interface UserMatch {
  text: string;
  users: { id: string; rowId: string; label: string }[];
}

/** The form's state is the page's URL (`#/?store=…&status=…&user=…&field.<name>=…`): it survives a reload. */
export function SearchPage(props: { params: URLSearchParams }) {
  const state = useConsole();
  const query = props.params.toString();
  const [form, setForm] = useState(() => new URLSearchParams(query));
  const [stats, setStats] = useState<ConsoleStatsQuery['sessionStats'] | null>(null);
  const [results, setResults] = useState<StoreResult[] | null>(null);
  const [skipped, setSkipped] = useState<Skipped[]>([]);
  const [match, setMatch] = useState<UserMatch | null>(null);
  const [cursors, setCursors] = useState<Record<string, string[]>>({});
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    setForm(new URLSearchParams(query));
    setCursors((current) => (Object.keys(current).length > 0 ? {} : current));
  }, [query]);

  useEffect(() => {
    let cancelled = false;
    const params = new URLSearchParams(query);
    (async () => {
      try {
        const [statsAnswer, found] = await Promise.all([
          request(StatsQuery, {}),
          resolveUser(params.get('user')?.trim() ?? '', canReadUsers(state)),
        ]);
        if (cancelled) return;
        setStats(statsAnswer.data?.sessionStats ?? null);
        setMatch(found.match);
        if (found.userId === undefined) {
          setResults([]);
          return;
        }
        const chosen = params.get('store');
        const facts = factsOf(params);
        const needs = Object.keys(facts);
        // A store that keeps no IP (say) cannot answer an IP search: it is named, not searched.
        const named = state.stores.filter((store) => !chosen || store.name === chosen);
        const stores = named.filter((store) => needs.every((need) => store.filters.includes(need)));
        setSkipped(
          named
            .filter((store) => !stores.includes(store))
            .map((store) => ({
              store: store.name,
              missing: needs.filter((need) => !store.filters.includes(need)),
            })),
        );
        const where = whereOf(params, state.fields);
        const status = STATUSES.find((candidate) => candidate === params.get('status')) ?? null;
        const answers = await Promise.all(
          stores.map(async (store): Promise<StoreResult> => {
            const after = cursors[store.name]?.at(-1) ?? null;
            const variables = {
              store: store.name,
              status,
              userId: found.userId ?? null,
              ...facts,
              after,
              first: PAGE_SIZE,
              withUsers: canReadUsers(state),
            };
            try {
              const answer = where
                ? await request(SessionsWhereQuery, { ...variables, where })
                : await request(SessionsQuery, variables);
              const page = answer.data?.sessions;
              if (!page) throw new Error(answer.errors[0]?.message ?? 'no answer');
              return {
                store: store.name,
                totalCount: page.totalCount,
                rows: page.edges.map((edge) => edge.node),
                endCursor: page.pageInfo.endCursor ?? null,
                hasNextPage: page.pageInfo.hasNextPage,
                problem: null,
              };
            } catch (error) {
              return {
                store: store.name,
                totalCount: 0,
                rows: [],
                endCursor: null,
                hasNextPage: false,
                problem: (error as Error).message,
              };
            }
          }),
        );
        if (!cancelled) {
          setResults(answers);
          setProblem(null);
        }
      } catch (error) {
        if (!cancelled) setProblem((error as Error).message);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [query, state.liveTick, cursors]);

  const set = (name: string, value: string) => {
    const next = new URLSearchParams(form);
    if (value) next.set(name, value);
    else next.delete(name);
    setForm(next);
  };

  return (
    <>
      <h1>Sessions</h1>
      {stats && <StatsChart groups={stats} />}
      <form
        class="search"
        aria-label="Search sessions"
        onSubmit={(event) => {
          event.preventDefault();
          location.hash = searchHref(form);
        }}
      >
        <SelectField
          label="Store"
          param="store"
          choices={[
            ['', 'Every store'],
            ...state.stores.map((store): [string, string] => [store.name, `${store.name} (${store.kind})`]),
          ]}
          form={form}
          set={set}
        />
        <SelectField
          label="Status"
          param="status"
          choices={[
            ['', 'Any'],
            ...STATUSES.map((status): [string, string] => [status, status.toLowerCase()]),
          ]}
          form={form}
          set={set}
        />
        <TextField
          label={canReadUsers(state) ? 'User (id, username or email)' : 'User id'}
          param="user"
          type="search"
          form={form}
          set={set}
        />
        <TextField label="IP address" param="ip" form={form} set={set} />
        <TextField label="User agent contains" param="ua" form={form} set={set} />
        <SelectField label="Time" param="time" choices={TIMES} form={form} set={set} />
        <TextField label="From (your time)" param="since" type="datetime-local" form={form} set={set} />
        <TextField label="Before (your time)" param="before" type="datetime-local" form={form} set={set} />
        {state.fields.map((field) => (
          <TextField
            key={field.name}
            label={field.name}
            param={`field.${field.name}`}
            form={form}
            set={set}
          />
        ))}
        <div class="submit">
          <button type="submit">Search</button>
        </div>
      </form>
      <Notices problem={problem} />
      {match && <UserMatchNote match={match} />}
      {skipped.length > 0 && (
        <p class="muted">
          Not searched:{' '}
          {skipped
            .map(
              (skip) =>
                `${skip.store} (keeps no ${skip.missing.map((name) => FACT_WORDS[name]).join(' or ')})`,
            )
            .join(', ')}
          .
        </p>
      )}
      {results?.map((result) => (
        <section key={result.store} aria-label={`Store ${result.store}`}>
          <h2>
            {result.store}{' '}
            <span class="count">
              {result.totalCount.toLocaleString('en')} {result.totalCount === 1 ? 'session' : 'sessions'}
            </span>
          </h2>
          {result.problem ? (
            <p class="error">{result.problem}</p>
          ) : result.rows.length === 0 ? (
            <p class="muted">No sessions here match.</p>
          ) : (
            <SessionsTable caption={`Sessions in ${result.store}`} rows={result.rows} />
          )}
          <div class="paging">
            {(cursors[result.store]?.length ?? 0) > 0 && (
              <button type="button" onClick={() => setCursors({ ...cursors, [result.store]: [] })}>
                First page
              </button>
            )}
            {result.hasNextPage && result.endCursor && (
              <button
                type="button"
                onClick={() =>
                  setCursors({
                    ...cursors,
                    [result.store]: [...(cursors[result.store] ?? []), result.endCursor!],
                  })
                }
              >
                Next page in {result.store}
              </button>
            )}
          </div>
        </section>
      ))}
    </>
  );
}

/** What binds a field of the form to one parameter of the search's URL. */
interface FieldProps {
  label: string;
  param: string;
  form: URLSearchParams;
  set: (name: string, value: string) => void;
}

const fieldId = (param: string) => `search-${param.replace(/[^A-Za-z0-9-]/g, '-')}`;

/** A labelled input. */
function TextField(props: FieldProps & { type?: 'text' | 'search' | 'datetime-local' }) {
  const id = fieldId(props.param);
  const common = {
    id,
    value: props.form.get(props.param) ?? '',
    onInput: (event: Event) => props.set(props.param, (event.target as HTMLInputElement).value),
  };
  return (
    <div>
      <label for={id}>{props.label}</label>
      {props.type === 'datetime-local' ? (
        <input type="datetime-local" {...common} />
      ) : props.type === 'search' ? (
        <input type="search" {...common} />
      ) : (
        <input {...common} />
      )}
    </div>
  );
}

/** A labelled choice among `choices` ([value, text]); the first is chosen when the URL names none. */
function SelectField(props: FieldProps & { choices: readonly (readonly [string, string])[] }) {
  const id = fieldId(props.param);
  return (
    <div>
      <label for={id}>{props.label}</label>
      <select
        id={id}
        value={props.form.get(props.param) ?? props.choices[0]?.[0] ?? ''}
        onChange={(event) => props.set(props.param, (event.target as HTMLSelectElement).value)}
      >
        {props.choices.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

function UserMatchNote(props: { match: UserMatch }) {
  const { users, text } = props.match;
  if (users.length === 1) {
    return (
      <p>
        User <a href={userHref(users[0]!.rowId)}>{users[0]!.label}</a> (id {users[0]!.rowId}): every session
        below is theirs.
      </p>
    );
  }
  if (users.length === 0) {
    return (
      <p class="muted">
        No user's id, username or email is “{text}”; sessions whose user id is “{text}”:
      </p>
    );
  }
  return (
    <div>
      <p>
        {users.length} users match “{text}”; open one:
      </p>
      <ul>
        {users.map((user) => (
          <li key={user.id}>
            <a href={userHref(user.rowId)}>{user.label}</a> (id {user.rowId})
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * The user filter: with users:read, a user whose key, username or email is the text (several: none is
 * picked, `userId` undefined lists nothing; none: the text as a user id); without, the text is the user id.
 */
async function resolveUser(
  text: string,
  mayReadUsers: boolean,
): Promise<{ userId: string | null | undefined; match: UserMatch | null }> {
  if (!text) return { userId: null, match: null };
  if (!mayReadUsers) return { userId: text, match: null };
  const answer = await request(FindUsersQuery, { search: text });
  const users = answer.data?.users.edges.map((edge) => edge.node) ?? [];
  if (users.length === 1) return { userId: users[0]!.rowId, match: { text, users } };
  // No row: still a user id sessions may carry (a deleted user, a store keyed otherwise).
  if (users.length === 0) return { userId: text, match: { text, users } };
  return { userId: undefined, match: { text, users } };
}

/**
 * The IP, user-agent and time filters filled in, as `sessions` arguments. Times come from the browser's
 * `datetime-local` inputs, in the browser's time zone.
 */
function factsOf(
  params: URLSearchParams,
): Pick<ConsoleSessionsQueryVariables, 'ip' | 'userAgent' | 'createdAt' | 'lastSeenAt' | 'expiresAt'> {
  const ip = params.get('ip')?.trim();
  const userAgent = params.get('ua')?.trim();
  const instant = (name: string) => {
    const raw = params.get(name);
    const date = raw ? new Date(raw) : null;
    return date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
  };
  const since = instant('since');
  const before = instant('before');
  const time = TIMES.find(([value]) => value === params.get('time'))?.[0] ?? ('lastSeenAt' as TimeFact);
  return {
    ...(ip ? { ip } : {}),
    ...(userAgent ? { userAgent } : {}),
    ...(since || before ? { [time]: { ...(since && { since }), ...(before && { before }) } } : {}),
  };
}

/** The declared fields filled in, typed as the field is (equality only, as `SessionWhere` offers). */
function whereOf(params: URLSearchParams, fields: readonly FieldInfo[]): Record<string, unknown> | null {
  const where: Record<string, unknown> = {};
  for (const field of fields) {
    const raw = params.get(`field.${field.name}`)?.trim();
    if (!raw) continue;
    where[field.name] =
      field.type === 'Int' || field.type === 'Float'
        ? Number(raw)
        : field.type === 'Boolean'
          ? raw === 'true'
          : raw;
  }
  return Object.keys(where).length > 0 ? where : null;
}

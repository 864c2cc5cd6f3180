import { canReadUsers, formatTime, useConsole } from '../context.ts';
import type { SessionRowFragment } from '../gql/graphql.ts';
import { sessionHref, userHref } from '../route.ts';

export type SessionRow = SessionRowFragment;

/** Ids are base64 of "Session:<store>:<ref>" and share their start: the end tells them apart. */
export const shortId = (id: string) => `…${id.slice(-10)}`;

/** A list of sessions; `actions` adds a last column (the user page's "End" buttons). */
export function SessionsTable(props: {
  caption: string;
  rows: readonly SessionRow[];
  actions?: (row: SessionRow) => preact.ComponentChildren;
}) {
  const state = useConsole();
  const users = canReadUsers(state);
  return (
    <table class="sessions">
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Session</th>
          <th scope="col">Store</th>
          <th scope="col">Status</th>
          <th scope="col">User</th>
          <th scope="col">Created</th>
          <th scope="col">Last seen</th>
          <th scope="col">Expires</th>
          <th scope="col">IP</th>
          <th scope="col">User agent</th>
          {props.actions && <th scope="col">Actions</th>}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={row.id} data-session={row.id}>
            <td>
              <a href={sessionHref(row.id)} title={row.id}>
                {shortId(row.id)}
              </a>
            </td>
            <td>{row.store}</td>
            <td>
              <span class={`status ${row.status.toLowerCase()}`} title={row.problem ?? undefined}>
                {row.status}
              </span>
            </td>
            <td>
              {row.userId === null ? (
                <span class="muted">anonymous</span>
              ) : (
                <a href={userHref(row.userId)}>{users && row.user ? row.user.label : row.userId}</a>
              )}
            </td>
            <td>{formatTime(row.createdAt)}</td>
            <td>{formatTime(row.lastSeenAt)}</td>
            <td>{formatTime(row.expiresAt)}</td>
            <td>{row.ip ?? '—'}</td>
            <td class="agent" title={row.userAgent ?? undefined}>
              {row.userAgent ?? '—'}
            </td>
            {props.actions && <td>{props.actions(row)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

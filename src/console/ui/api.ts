import type { TypedDocumentString } from './gql/graphql.ts';

/**
 * The console's only way out: POST /graphql on this server with the API token. The token lives in this
 * tab's sessionStorage (gone when the tab closes), never in a URL, a cookie or a log.
 */

const TOKEN_KEY = 'sessiongraph.console.token';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export interface GraphQLFailure {
  message: string;
  code: string | null;
  path: readonly (string | number)[] | null;
}

export class RequestFailed extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

/** The data, with per-field failures beside it (a field the token's scopes do not cover fails alone). */
export interface Answer<T> {
  data: T | null;
  errors: GraphQLFailure[];
}

export async function request<T, V>(document: TypedDocumentString<T, V>, variables: V): Promise<Answer<T>> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      authorization: `Bearer ${token.get() ?? ''}`,
    },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await response.json().catch(() => null)) as {
    data?: T | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
  } | null;
  if (!body) throw new RequestFailed(`The server answered ${response.status} without GraphQL.`, null);
  const errors = (body.errors ?? []).map((error) => ({
    message: error.message,
    code: error.extensions?.code ?? null,
    path: error.path ?? null,
  }));
  if (!body.data && errors.length > 0) throw new RequestFailed(errors[0]!.message, errors[0]!.code);
  return { data: body.data ?? null, errors };
}

/** A field's failure, if it failed (by its top-level name). */
export const failureOf = (answer: Answer<unknown>, field: string) =>
  answer.errors.find((error) => error.path?.[0] === field) ?? null;

/**
 * A subscription over server-sent events, read from a fetch body (EventSource cannot send the token). Calls
 * `onEvent` per result and `onState` when it connects or drops; reconnects after a drop until stopped.
 */
export function subscribe<T, V>(
  document: TypedDocumentString<T, V>,
  variables: V,
  onEvent: (data: T) => void,
  onState: (live: boolean) => void,
): () => void {
  let stopped = false;
  let controller: AbortController | null = null;
  const connect = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const response = await fetch('/graphql', {
          method: 'POST',
          signal: controller.signal,
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            authorization: `Bearer ${token.get() ?? ''}`,
          },
          body: JSON.stringify({ query: document.toString(), variables }),
        });
        if (!response.ok || !response.body) throw new Error(`status ${response.status}`);
        onState(true);
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const message = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = message
              .split('\n')
              .filter((line) => line.startsWith('data:'))
              .map((line) => line.slice(5).trim())
              .join('');
            if (!message.startsWith('event: next') || !data) continue;
            const payload = JSON.parse(data) as { data?: T };
            if (payload.data) onEvent(payload.data);
          }
        }
      } catch {
        // Dropped or refused: said by onState, tried again below.
      }
      onState(false);
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  };
  void connect();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

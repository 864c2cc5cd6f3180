import { useEffect, useState } from 'preact/hooks';

/**
 * Pages live in the URL's fragment (#/, #/session/<id>, #/user/<id>), so the back button and a bookmark
 * work and nothing about a page reaches a server log. Ids are not secrets; the token never goes here.
 */
export type Route =
  | { page: 'search'; params: URLSearchParams }
  | { page: 'session'; id: string }
  | { page: 'user'; id: string };

/** A hand-edited fragment may hold a lone `%`: it is then taken as typed. */
const decoded = (part: string) => {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
};

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decoded);
  if (parts[0] === 'session' && parts[1]) return { page: 'session', id: parts[1] };
  if (parts[0] === 'user' && parts[1]) return { page: 'user', id: parts[1] };
  return { page: 'search', params: new URLSearchParams(query) };
}

export const sessionHref = (id: string) => `#/session/${encodeURIComponent(id)}`;
export const userHref = (id: string) => `#/user/${encodeURIComponent(id)}`;
export const searchHref = (params: URLSearchParams) => {
  const query = params.toString();
  return query ? `#/?${query}` : '#/';
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

import { encodeGlobalID } from '@pothos/plugin-relay';

/**
 * Opaque, non-secret ids. A `Session.id` names the store and the store's row reference (a row id, or a
 * hash of a framework's key), never the key itself. Cursors carry the store and a keyset position.
 */

export interface SessionAddress {
  store: string;
  ref: string;
}

export const sessionNodeId = (address: SessionAddress) => `${address.store}:${address.ref}`;

export function parseSessionNodeId(nodeId: string): SessionAddress | null {
  const colon = nodeId.indexOf(':');
  if (colon <= 0 || colon === nodeId.length - 1) return null;
  return { store: nodeId.slice(0, colon), ref: nodeId.slice(colon + 1) };
}

const BASE64 = /^(?:[\d+/A-Za-z]{4})*(?:[\d+/A-Za-z]{2}==|[\d+/A-Za-z]{3}=)?$/;
const TYPENAME = /^[A-Z_a-z]\w*$/;

/**
 * A global id's type name and id, or null for anything that is not one: what Pothos's `decodeGlobalID`
 * accepts, without the exception it throws otherwise. Every request that names a user by its plain key
 * would pay for that exception's stack (see the README's Performance section).
 */
export function parseGlobalId(raw: string): { typename: string; id: string } | null {
  if (!BASE64.test(raw)) return null;
  const text = Buffer.from(raw, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  // Pothos wants something between the first colon and the next one (or the end).
  const next = text.indexOf(':', colon + 1);
  if ((next === -1 ? text.length : next) === colon + 1) return null;
  const typename = text.slice(0, colon);
  return TYPENAME.test(typename) ? { typename, id: text.slice(colon + 1) } : null;
}

/** The address behind a client's `Session.id`, or null for anything that is not one. */
export function decodeSessionId(globalId: string): SessionAddress | null {
  const parsed = parseGlobalId(globalId);
  return parsed?.typename === 'Session' ? parseSessionNodeId(parsed.id) : null;
}

export const encodeSessionId = (address: SessionAddress) => encodeGlobalID('Session', sessionNodeId(address));

export interface Cursor {
  store: string;
  position: unknown[];
}

export const encodeCursor = (store: string, position: readonly string[]) =>
  Buffer.from(JSON.stringify([store, ...position]), 'utf8').toString('base64url');

export function decodeCursor(cursor: string): Cursor | null {
  if (cursor.length > 1024 || !/^[A-Za-z0-9_-]*$/.test(cursor)) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'string') return null;
    return { store: parsed[0], position: parsed.slice(1) };
  } catch {
    return null;
  }
}

/** A user's id as a client may give it: the database key, or the `User` node id. */
export function userKeyFromInput(raw: string): string {
  const parsed = parseGlobalId(raw);
  return parsed?.typename === 'User' ? parsed.id : raw;
}

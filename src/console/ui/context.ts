import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export interface StoreInfo {
  name: string;
  kind: string;
  /** The `sessions` filters beside the data this store can answer (`Store.filters`). */
  filters: readonly string[];
}

export interface FieldInfo {
  name: string;
  type: string;
}

/** What every page knows: who the token is, what the deployment has, and the live-update counter. */
export interface ConsoleState {
  tokenName: string | null;
  scopes: ReadonlySet<string>;
  stores: readonly StoreInfo[];
  fields: readonly FieldInfo[];
  /** Bumped when live events arrive: pages read afresh when it changes. */
  liveTick: number;
}

export const ConsoleContext = createContext<ConsoleState | null>(null);

export function useConsole(): ConsoleState {
  const state = useContext(ConsoleContext);
  if (!state) throw new Error('outside the console');
  return state;
}

export const canWrite = (state: ConsoleState) => state.scopes.has('sessions:write');
export const canReadUsers = (state: ConsoleState) => state.scopes.has('users:read');
export const canReadAudit = (state: ConsoleState) => state.scopes.has('audit:read');

/** The kinds whose data is a Python value (shown with Python's names for None, True, False). */
export const PYTHON_KINDS = new Set(['django', 'webpy', 'flask']);

export function formatTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime())
    ? value
    : date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

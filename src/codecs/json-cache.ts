import { type DecodeBudgets, DEFAULT_BUDGETS } from './budgets.ts';
import { parseJsonObject } from './json.ts';

/**
 * A home-made cache table's user dict (shared/FORMATS.md §9): JSON text of an object.
 */

/** The user dict column: JSON text of an object, under the decode budgets. Never throws. */
export function parseUserDict(blob: string, budgets: DecodeBudgets = DEFAULT_BUDGETS) {
  return parseJsonObject(blob, budgets, 'the user dict');
}

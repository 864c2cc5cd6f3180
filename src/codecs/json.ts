import {
  checkJsonValue,
  type DecodeBudgets,
  jsonTextHasMoreValues,
  jsonTextNestsDeeper,
  overBudget,
} from './budgets.ts';
import { type DecodeFailure, failure, type JsonObject, type JsonValue } from './result.ts';

/**
 * JSON text parsed under the decode budgets (budgets.ts): the JSON stores' blobs (express's `sess`, a cache's
 * user dict), Django's payload and json/jsonb columns. Nesting and value counts over the budgets are found
 * in the text before it is parsed (JSON.parse would build all of it first); the parsed value is measured
 * after, when the text is long enough to be over the output or the values budget.
 */

/**
 * Upper bound of how much longer JSON.stringify's output can be than the JSON text it parsed: `9e20`
 * (4 characters) prints as 21. Texts short enough that even this cannot exceed the output budget skip the walk.
 */
const MAX_REPRINT_GROWTH = 6;

/**
 * A JSON text parsed under the budgets; `what` names the value in problems ("sess", "the payload"). Never
 * throws.
 */
export function parseJsonValue(
  text: string,
  budgets: DecodeBudgets,
  what: string,
): { ok: true; value: JsonValue } | DecodeFailure {
  if (text.length > budgets.maxInputBytes) return overBudget.input(budgets);
  // Before parsing: JSON.parse would build every value of a text far over the budgets first, and a small
  // compressed Django row can inflate to millions of them. Valid JSON nested past the budget opens that
  // many brackets; one with more members and items than the budget has that many commas. A text that is not
  // valid JSON may be refused here as over budget rather than as corrupt: INVALID either way.
  if (text.length > 2 * budgets.maxDepth + 1 && jsonTextNestsDeeper(text, budgets.maxDepth)) {
    return overBudget.depth(budgets);
  }
  if (jsonTextHasMoreValues(text, budgets.maxValues)) return overBudget.values(budgets);
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch {
    return failure('corrupt', `${what} is not valid JSON`);
  }
  if (text.length * MAX_REPRINT_GROWTH > budgets.maxOutputBytes || text.length > budgets.maxValues) {
    const over = checkJsonValue(value, budgets);
    if (over) return over;
  }
  return { ok: true, value };
}

/**
 * A JSON text that must hold an object (express's `sess`, a cache's user dict, Django's payload, the native
 * store's data), parsed under the budgets. Never throws.
 */
export function parseJsonObject(
  text: string,
  budgets: DecodeBudgets,
  what: string,
): { ok: true; value: JsonObject } | DecodeFailure {
  return objectOnly(parseJsonValue(text, budgets, what), what);
}

/** A parsed JSON value that must be an object. */
export function objectOnly(
  parsed: { ok: true; value: JsonValue } | DecodeFailure,
  what: string,
): { ok: true; value: JsonObject } | DecodeFailure {
  if (!parsed.ok) return parsed;
  const { value } = parsed;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return failure('corrupt', `${what} is not a JSON object`);
  }
  return { ok: true, value };
}

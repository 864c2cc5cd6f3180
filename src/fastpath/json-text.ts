import type { FieldPlan, Plan } from './compile.ts';

/**
 * The compiled path's printing: a plan's fields as JSON text, piece by piece in the order the document asks,
 * which is what JSON.stringify of GraphQL's result object prints. Both routes (rows, and SQL that returns
 * JSON) print through here.
 */

/** JSON text. */
export type JsonText = string;

/** A value the response cannot hold (null where the schema says non-null): the request goes to Yoga. */
export class Declined extends Error {}

/** A value that is already JSON text (a cached decoding's data, a row PostgreSQL printed). */
export class RawJson {
  constructor(readonly text: JsonText) {}
}

function leaf(plan: FieldPlan & { kind: 'leaf' }, raw: unknown): JsonText {
  if (plan.type === null) return JSON.stringify(plan.typename);
  if (raw === null || raw === undefined) {
    if (plan.nonNull) throw new Declined();
    return 'null';
  }
  if (raw instanceof RawJson) return raw.text;
  // What the DateTime scalar prints for a valid Date, without its checks: an ISO string needs no escapes.
  if (raw instanceof Date && plan.type.name === 'DateTime' && !Number.isNaN(raw.getTime())) {
    return `"${raw.toISOString()}"`;
  }
  return JSON.stringify(plan.type.serialize(raw));
}

const noObjects = (): JsonText => {
  throw new Declined();
};

/** An object of `fields`: leaves from `value`, objects from `nested` (none by default). */
export function build(
  fields: readonly FieldPlan[],
  value: (field: string) => unknown,
  nested: (plan: FieldPlan & { kind: 'object' }) => JsonText = noObjects,
): JsonText {
  let out = '{';
  for (let index = 0; index < fields.length; index += 1) {
    const plan = fields[index]!;
    if (index > 0) out += ',';
    out += plan.label;
    out += plan.kind === 'leaf' ? leaf(plan, value(plan.field)) : nested(plan);
  }
  return `${out}}`;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

/**
 * A `sessions` connection: its edges, each printed by `edges` from the edge's fields, and its page info
 * (asked for only when the document selects it).
 */
export function connection(
  fields: readonly FieldPlan[],
  edges: (edgeFields: readonly FieldPlan[]) => JsonText[],
  pageInfo: () => PageInfo,
): JsonText {
  return build(
    fields,
    () => undefined,
    (nested) => {
      if (nested.field === 'edges') return `[${edges(nested.fields).join(',')}]`;
      const info = pageInfo();
      return build(nested.fields, (field) => info[field as keyof PageInfo]);
    },
  );
}

/** The whole response to `plan`, or null when printing declined. */
export function response(plan: Plan, print: () => JsonText): JsonText | null {
  try {
    return `{"data":{${JSON.stringify(plan.key)}:${print()}}}`;
  } catch (error) {
    if (error instanceof Declined) return null;
    throw error;
  }
}

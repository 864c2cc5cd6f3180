import type { FoundTable, FoundUsers } from './detect.ts';

/** A proposed store: its settings, and what the comment above it says. */
export interface ProposedStore {
  found: FoundTable;
  settings: Record<string, unknown> & { kind: string; name: string };
  sample: string;
}

/** JSON on one line as a person would write it: `{ "env": "NAME" }`. */
const inline = (item: unknown): string =>
  item !== null && typeof item === 'object' && !Array.isArray(item)
    ? `{ ${Object.entries(item)
        .map(([key, inner]) => `${JSON.stringify(key)}: ${inline(inner)}`)
        .join(', ')} }`
    : JSON.stringify(item);

/** Short objects on one line, long ones a key per line. */
function pretty(value: unknown, spaces: number): string {
  const flat = inline(value);
  if (flat.length + spaces <= 100 || value === null || typeof value !== 'object' || Array.isArray(value)) {
    return ' '.repeat(spaces) + flat;
  }
  const entries = Object.entries(value).map(
    ([key, inner]) => `${' '.repeat(spaces + 2)}${JSON.stringify(key)}: ${inline(inner)}`,
  );
  return `${' '.repeat(spaces)}{\n${entries.join(',\n')}\n${' '.repeat(spaces)}}`;
}

/** Comment lines; a line break inside one (a table or database name may hold one) would end the comment. */
const comment = (lines: readonly string[], spaces: number) =>
  lines.map((line) => `${' '.repeat(spaces)}// ${line.replace(/[\r\n\u2028\u2029]+/g, ' ')}`).join('\n');

/**
 * The configuration file `sessiongraph init` writes: JSON with // comments (the server reads it as such),
 * each store introduced by what was found and what its sample showed, secrets only as {"env": NAME}.
 */
export function renderConfig(options: {
  database: string;
  users: FoundUsers | null;
  stores: readonly ProposedStore[];
  at: Date;
}): string {
  const head = [
    `sessiongraph configuration, written by \`sessiongraph init\` on ${options.at.toISOString().slice(0, 10)}`,
    `from database "${options.database}". Every setting: README, "Configuration".`,
    'Secrets are not in this file: each {"env": "NAME"} is read from that environment variable at start.',
  ];
  const entries: string[] = [];
  entries.push(
    [
      comment(['Sessions made through the API (sessiongraph.sessions).'], 4),
      pretty({ kind: 'native', name: 'native' }, 4),
    ].join('\n'),
  );
  for (const store of options.stores) {
    const lines = [
      `${store.found.shape.title}: ${store.found.table}, about ${store.found.rows.toLocaleString('en')} rows.`,
      `Sample: ${store.sample}.`,
      ...store.found.shape.advice.map((line) => `Check: ${line}`),
    ];
    entries.push([comment(lines, 4), pretty(store.settings, 4)].join('\n'));
  }
  const users = options.users
    ? [
        comment(
          [
            "The application's users table: Session.user is its row. Every column not looking secret is",
            'exposed; list them in "columns" to expose fewer.',
          ],
          2,
        ),
        `  "users": ${inline({ table: options.users.table, key: options.users.key })},`,
      ]
    : [
        comment(
          ['No users table was found (auth_user, users): set "users": {"table", "key"} to link users.'],
          2,
        ),
      ];
  return [
    comment(head, 0),
    '{',
    ...users,
    comment(['true serves the sessions console on /console (signed in with an API token).'], 2),
    '  "console": false,',
    '  "stores": [',
    entries.join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

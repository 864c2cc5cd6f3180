/**
 * What the embedded demo adds to the default configuration: typed fields over the demo sessions' data,
 * so a newcomer sees `userRole` and `currentPage` as real, filterable fields. The checked-in schema is
 * printed with these.
 */
export const demoConfigOverrides = {
  graphiql: true,
  introspection: true,
  console: true,
  fields: [
    {
      name: 'userRole',
      path: 'user_role',
      type: 'String',
      description: 'The application role kept in the session.',
    },
    {
      name: 'currentPage',
      path: 'current_page',
      type: 'String',
      description: 'The page the user was last on.',
    },
  ],
};

import { defineConfig } from 'vitest/config';

export default defineConfig({
  // graphql ships both .mjs and .js; Pothos and Yoga must see the same copy, or instanceof checks fail.
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.test.ts'],
    // Two cores: a couple of files at a time keeps PostgreSQL and the frameworks from starving each other.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

// Three projects (test/tiers.ts): `unit` (in process, no build: npm run test:unit), `slow` (in process,
// exhaustive) and `integration` (the built CLI, ssh, mounts; builds first when dist/ is stale).
// `npm test` runs them all; `npx vitest run test/foo.test.ts` runs one file in whichever project has it.
import { defineConfig } from 'vitest/config';
import { INTEGRATION_TESTS, SLOW_TESTS } from './test/tiers.js';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...INTEGRATION_TESTS, ...SLOW_TESTS] } },
      { extends: true, test: { name: 'slow', include: SLOW_TESTS } },
      { extends: true, test: { name: 'integration', include: INTEGRATION_TESTS, globalSetup: ['test/helpers/build-once.ts'] } },
    ],
  },
});

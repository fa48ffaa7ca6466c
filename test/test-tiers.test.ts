// The unit tier stays a unit tier: a test file not listed in test/tiers.ts runs nothing
// built (bin/run.js, dist/), no ssh server and no mount, so `npm run test:unit` needs no build and takes
// seconds. Every listed file exists.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './helpers/project-root.js';
import { INTEGRATION_TESTS, SLOW_TESTS } from './tiers.js';

const ALL = (readdirSync(join(PROJECT_ROOT, 'test'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `test/${f}`)
  .sort();
const UNIT = ALL.filter((f) => ![...INTEGRATION_TESTS, ...SLOW_TESTS].includes(f) && f !== 'test/test-tiers.test.ts');

const NOT_UNIT: [RegExp, string][] = [
  [/bin\/run\.js|['"`/]dist\//, 'runs the built CLI'],
  [/helpers\/sshd\.js|from 'ssh2'/, 'starts an ssh server'],
  [/['"]mount['"]/, 'mounts a filesystem'],
];

describe('test tiers', () => {
  it('every listed test file exists, in one tier only', () => {
    for (const f of [...INTEGRATION_TESTS, ...SLOW_TESTS]) expect(existsSync(join(PROJECT_ROOT, f)), f).toBe(true);
    expect(INTEGRATION_TESTS.filter((f) => SLOW_TESTS.includes(f))).toEqual([]);
  });

  it('unit test files run nothing built, no ssh, no mount', () => {
    expect(UNIT.length).toBeGreaterThan(30);
    for (const f of UNIT) {
      const text = readFileSync(join(PROJECT_ROOT, f), 'utf8');
      for (const [re, what] of NOT_UNIT) expect(re.test(text), `${f} ${what}: list it in test/tiers.ts`).toBe(false);
    }
  });
});

// Test hook for the kill -9 tests: RINGSHIFT_TEST_CRASH_AT=<point>[:<n>] makes the process SIGKILL
// itself the n-th time (default 1st) execution reaches that point. Points are named where apply
// calls crashPoint(); docs/apply.md lists them. Without the variable this costs one comparison.
const spec = process.env.RINGSHIFT_TEST_CRASH_AT;
const [target, nth] = spec === undefined || spec === '' ? [undefined, 0] : [spec.split(':')[0], Number(spec.split(':')[1] ?? '1')];
let hits = 0;

export function crashPoint(name: string): void {
  if (target !== name) return;
  if (++hits === nth) process.kill(process.pid, 'SIGKILL');
}

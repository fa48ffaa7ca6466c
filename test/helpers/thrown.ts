// What a call throws, for tests that go on to check the error's fields (file, line, code, message).
import { ConfigError } from '../../src/errors.js';

type ErrorClass<E> = abstract new (...args: never[]) => E;

/** Whatever `fn` throws; the test fails if it returns. */
export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

/** The `type` error `fn` throws; anything else thrown is rethrown, and the test fails if fn returns. */
export function thrownBy<E>(fn: () => unknown, type: ErrorClass<E>): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof type) return e;
    throw e;
  }
  throw new Error(`expected a ${type.name}`);
}

/** thrownBy for async functions: the `type` error the returned promise rejects with. */
export async function rejectedBy<E>(fn: () => Promise<unknown>, type: ErrorClass<E>): Promise<E> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof type) return e;
    throw e;
  }
  throw new Error(`expected a ${type.name}`);
}

/** What `p` rejects with, or null when it resolves (the test then checks the error's type and code). */
export function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e,
  );
}

/** The ConfigError `fn` throws (configuration tests check its file, line and expected text). */
export function expectConfigError(fn: () => unknown): ConfigError {
  return thrownBy(fn, ConfigError);
}

// The credential step, written once for forwarded requests and tunnels: which Authorization kubegate adds.

import type { Credentials } from '../auth/credentials.js';

/**
 * Asks the credential source for the Authorization value: synchronously when it is in hand (the hot
 * path, no promise per request), asynchronously when it must do I/O (an exec plugin run, a token
 * file being re-read). `needed` is false for http:// servers (client-go loads no credentials for
 * them, spec 3.3) and when the client brought its own Authorization. Calls `done` exactly once.
 */
export function authorize(credentials: Credentials, needed: boolean, done: (error: unknown, authorization: string | undefined) => void): void {
  if (!needed) {
    done(undefined, undefined);
    return;
  }
  let value: string | undefined | Promise<string | undefined>;
  try {
    value = credentials.authorization();
  } catch (error) {
    done(error, undefined);
    return;
  }
  if (typeof value === 'object' && value !== null) {
    value.then(
      (authorization) => done(undefined, authorization),
      (error: unknown) => done(error, undefined),
    );
  } else {
    done(undefined, value);
  }
}

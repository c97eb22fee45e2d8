// The credential file checks that are due, made right after an answer has gone out instead of in the
// next request.

import type { Credentials } from '../auth/credentials.js';
import type { Logger } from '../log.js';
import { reportBackgroundError } from '../observe/internal-error.js';

/** Credentials with a recheck already queued: one per turn of the event loop, however many answers ended in it. */
const queued = new WeakSet<Credentials>();

/**
 * A request makes the token, certificate and CA file checks once their interval ran out (three stats
 * with a certificate, key and CA file: some 60 µs on a cold CPU). Over a slow link every LIST outlasts
 * the interval, so every next request paid for them; made here, while the client reads the answer,
 * the next request finds them made. setImmediate: after the answer's last write.
 */
export function recheckAfterAnswer(credentials: Credentials, logger: Logger): void {
  if (queued.has(credentials)) return;
  queued.add(credentials);
  setImmediate(() => {
    queued.delete(credentials);
    try {
      credentials.recheck();
    } catch (error) {
      // The checks report file problems themselves: a throw here is kubegate's own bug.
      reportBackgroundError(logger, 'the credential file recheck after an answer', error);
    }
  });
}

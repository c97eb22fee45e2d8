// kubegate's answer to a bug that leaves a promise rejected with no handler: one log line, keep serving.

import type { Logger } from '../log.js';

/**
 * Node's default for an unhandled rejection is to exit. A proxy in a pod would then drop every client's
 * watches and exec sessions, and go into CrashLoopBackOff, for what touched one request: Go's net/http
 * (kubectl proxy) recovers a handler's panic the same way, logging it and serving on. Synchronous
 * uncaught exceptions keep Node's default (exit): they can leave state half-changed.
 */
export function reportUnhandledRejection(logger: Logger, onReport?: () => void): (reason: unknown) => void {
  return (reason) => {
    const stack = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    logger.error({ stack }, 'internal error in kubegate (please report it): a promise was rejected and nothing handled it; still serving');
    onReport?.();
  };
}

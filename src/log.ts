// The pino logger: kubectl-style verbosity mapped to levels, credentials redacted, human-readable on a terminal.

import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * Every place a credential could reach a log line. Header names are lower-case because Node
 * lower-cases incoming headers; the upstream request headers are built lower-case too.
 */
export const REDACTED_PATHS: readonly string[] = [
  '*.authorization',
  '*.proxy-authorization',
  '*.cookie',
  '*.set-cookie',
  'headers.authorization',
  'headers["proxy-authorization"]',
  'headers.cookie',
  'headers["set-cookie"]',
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'token',
  'password',
  'key',
];

/** kubectl's -v levels: 0 warnings and errors; 3 filter decisions; 6 one line per request; 8 headers; 9 bodies. */
export function levelForVerbosity(verbosity: number): pino.Level {
  if (verbosity >= 8) return 'trace';
  if (verbosity >= 6) return 'debug';
  if (verbosity >= 3) return 'info';
  return 'warn';
}

export interface LoggerOptions {
  readonly verbosity: number;
  /** Where lines go; defaults to stderr. */
  readonly destination?: DestinationStream;
  /** Human-readable lines (a terminal); JSON otherwise. */
  readonly pretty?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: levelForVerbosity(options.verbosity),
    base: undefined,
    redact: { paths: [...REDACTED_PATHS], censor: '[REDACTED]' },
  };
  const destination = options.destination ?? pino.destination({ fd: 2, sync: true });
  if (options.pretty) {
    // Synchronous pretty printing on the main thread: no worker thread to start, nothing lost at exit.
    // Loaded only for a terminal, so scripts and sidecars do not pay for it.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    return pino(base, pretty({ destination, sync: true, colorize: false, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }));
  }
  return pino(base, destination);
}

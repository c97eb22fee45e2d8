// The pino logger: kubectl-style verbosity mapped to levels, credentials redacted, human-readable on a terminal.

import { pino, type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { isKubegateError } from './errors.js';
import { redactSecretData } from './secret-data-redaction.js';

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

/** Headers whose whole value is a credential. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
/** A browser WebSocket's bearer token rides in a subprotocol: `base64url.bearer.authorization.k8s.io.<token>`. */
const BEARER_SUBPROTOCOL = /(base64url\.bearer\.authorization\.k8s\.io\.)[A-Za-z0-9_=-]+/g;
/** Query parameters that carry credentials in some clients (`?access_token=`, `?token=`). */
const SECRET_QUERY_PARAM = /([?&](?:access_token|id_token|token|password|secret)=)[^&#]*/gi;
/** JSON fields that hold credentials in API bodies (TokenRequest, kubeconfig-like payloads). */
const SECRET_JSON_FIELD = /("(?:token|password|client-key-data|clientKeyData|id-token|refresh-token)"\s*:\s*")[^"]*(")/g;

/** A copy of the headers safe to log: credentials replaced, everything else kept for tracing. */
export function redactHeaders(headers: Readonly<Record<string, string | string[] | number | undefined>>): Record<string, string | string[]> {
  const safe: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (SECRET_HEADERS.has(lower)) safe[name] = '[REDACTED]';
    else if (lower === 'sec-websocket-protocol') safe[name] = Array.isArray(value) ? value.map(redactSubprotocols) : redactSubprotocols(String(value));
    else safe[name] = Array.isArray(value) ? value : String(value);
  }
  return safe;
}

function redactSubprotocols(value: string): string {
  return value.replace(BEARER_SUBPROTOCOL, '$1[REDACTED]');
}

/** A request target safe to log: credential-looking query parameters replaced. */
export function redactUrl(url: string | undefined): string {
  return (url ?? '').replace(SECRET_QUERY_PARAM, '$1[REDACTED]');
}

/** A body excerpt safe to log: credential fields of JSON documents and every Secret value replaced (whole or cut short). */
export function redactBody(text: string): string {
  return redactSecretData(text).replace(SECRET_JSON_FIELD, '$1[REDACTED]$2');
}

/** `scheme://user:password@` at the start of a URL, valid or not (a start-up error may quote a broken one). */
const URL_USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#@]*)@/;

/**
 * A server URL safe to print, as Go's url.URL.Redacted() writes it: the password shown as `xxxxx`,
 * the user name kept. Anything that is not a URL with userinfo comes back unchanged.
 */
export function redactUrlUserinfo(url: string): string {
  return url.replace(URL_USERINFO, (_match, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon === -1 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}:xxxxx@`;
  });
}

export interface LoggerOptions {
  readonly verbosity: number;
  /** Where lines go; defaults to stderr. */
  readonly destination?: DestinationStream;
  /** Human-readable lines (a terminal) through this printer, from loadPrettyPrinter(); JSON lines otherwise. */
  readonly pretty?: PrettyPrinter;
}

export type PrettyPrinter = typeof PinoPretty.build;

/**
 * pino-pretty, loaded only for a terminal or --log-format=text, so scripts and sidecars never pay for it
 * (and the bundled build keeps it in a chunk of its own).
 */
export async function loadPrettyPrinter(): Promise<PrettyPrinter> {
  // pino-pretty is CommonJS: its module.exports (the factory) is the default export both under Node's
  // loader and in the bundle; named exports exist only under Node's (its types declare `export =`).
  const loaded = (await import('pino-pretty')) as unknown as { default: PrettyPrinter };
  return loaded.default;
}

/** An error as a log field: type, code, message and cause; the stack only when the error is a bug. */
export interface SerializedError {
  readonly type: string;
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
  readonly cause?: SerializedError | string;
}

function stringCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Failures kubegate expects (a user's mistake, an unreachable or misbehaving server): its own
 * KubegateErrors, and the system and network errors they wrap (ECONNREFUSED, UND_ERR_SOCKET,
 * certificate codes). Their stack frames say nothing to a user; Node's ERR_* codes (misuse of an API)
 * and errors with no code are bugs, and keep theirs.
 */
function isExpected(error: Error): boolean {
  if (isKubegateError(error)) return true;
  const code = stringCode(error);
  return code !== undefined && (!code.startsWith('ERR_') || /^ERR_(SSL|TLS)_/.test(code));
}

/** pino's `err` serializer, minus the stack trace of expected failures and of everything they wrap. */
export function serializeError(value: unknown, depth = 0, withinExpected = false): SerializedError | string {
  if (!(value instanceof Error)) return String(value);
  const expected = withinExpected || isExpected(value);
  const code = stringCode(value);
  const cause = depth < 4 && value.cause !== undefined ? serializeError(value.cause, depth + 1, expected) : undefined;
  return {
    type: value.name,
    message: value.message,
    ...(code !== undefined ? { code } : {}),
    ...(!expected && value.stack !== undefined ? { stack: value.stack } : {}),
    ...(cause !== undefined ? { cause } : {}),
  };
}

/**
 * The `err` field in text format, on the event's line: for an expected failure its message and the
 * codes of what it wraps; for a bug also its stack, JSON-quoted so that it stays on the line.
 */
function errorInText(error: SerializedError): string {
  const chain: string[] = [];
  for (let current: SerializedError | string | undefined = error; current !== undefined; current = typeof current === 'string' ? undefined : current.cause) {
    chain.push(typeof current === 'string' ? current : current.code ?? current.type);
  }
  const stack = error.stack !== undefined ? ` stack=${JSON.stringify(error.stack)}` : '';
  return `${error.message} (${chain.join(' <- ')})${stack}`;
}

function isSerializedError(value: unknown): value is SerializedError {
  return typeof value === 'object' && value !== null && typeof (value as SerializedError).message === 'string';
}

/** `message: what went wrong (codes)`: the cause on the same line as the event (pino-pretty would unfold `err` over many). */
function messageWithError(log: Record<string, unknown>, messageKey: string): string {
  const message = typeof log[messageKey] === 'string' ? (log[messageKey] as string) : '';
  const err = log.err;
  if (typeof err === 'string') return `${message}: ${err}`;
  return isSerializedError(err) ? `${message}: ${errorInText(err)}` : message;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: levelForVerbosity(options.verbosity),
    base: undefined,
    redact: { paths: [...REDACTED_PATHS], censor: '[REDACTED]' },
    serializers: { err: (value: unknown) => serializeError(value) },
  };
  const destination = options.destination ?? pino.destination({ fd: 2, sync: true });
  if (options.pretty) {
    // Synchronous pretty printing on the main thread: no worker thread to start, nothing lost at exit.
    // One event, one line: the error after the message, the other fields as JSON after it.
    const printer = options.pretty({
      destination,
      sync: true,
      colorize: false,
      ignore: 'pid,hostname,err',
      translateTime: 'HH:MM:ss.l',
      singleLine: true,
      messageFormat: messageWithError,
    });
    return pino(base, printer);
  }
  return pino(base, destination);
}

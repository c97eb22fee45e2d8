// kubectl proxy's defaults as named constants, and complete()/validate() turning parsed flags into frozen options.

import { isIP } from 'node:net';
import type { BrowserPolicyFlags } from '../server/browser-policy.js';
import { usageError } from '../errors.js';
import type { FilterFlags } from '../server/filter.js';
import type { KubeconfigFlags } from '../kubeconfig/rest-config.js';
import { normalizePrefix } from '../server/route.js';

export const DEFAULT_PORT = 8001;
export const DEFAULT_ADDRESS = '127.0.0.1';
export const DEFAULT_ACCEPT_HOSTS = '^localhost$,^127\\.0\\.0\\.1$,^\\[::1\\]$';
export const DEFAULT_ACCEPT_PATHS = '^.*';
export const DEFAULT_REJECT_PATHS = '^/api/.*/pods/.*/exec,^/api/.*/pods/.*/attach';
export const DEFAULT_REJECT_METHODS = '^$';
export const DEFAULT_API_PREFIX = '/';
export const DEFAULT_WWW_PREFIX = '/static/';
/** How long SIGTERM/SIGINT wait for in-flight ordinary requests before closing their sockets. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** The flags as parsed from the command line, before defaults and validation. */
export interface ProxyFlags {
  readonly port?: number;
  readonly address?: string;
  readonly acceptHosts?: string;
  readonly acceptPaths?: string;
  readonly rejectPaths?: string;
  readonly rejectMethods?: string;
  readonly apiPrefix?: string;
  readonly www?: string;
  readonly wwwPrefix?: string;
  readonly disableFilter?: boolean;
  readonly unixSocket?: string;
  /** Milliseconds; negative disables TCP keep-alive on tunnels (Go's net.Dialer rule). */
  readonly keepaliveMs?: number;
  readonly appendServerPath?: boolean;
  readonly requestTimeout?: string;
  readonly verbosity?: number;
  readonly logFormat?: string;
  readonly adminAddress?: string;
  readonly readyJson?: boolean;
  readonly demo?: boolean;
  readonly acceptOrigins?: string;
  readonly corsAllowOrigins?: string;
  readonly demoUser?: string;
  readonly execPluginTimeoutMs?: number;
  readonly serviceAccountDir?: string;
}

export type ListenTarget =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

export interface ResolvedOptions {
  readonly listen: ListenTarget;
  readonly filter: FilterFlags | undefined;
  /** --accept-origins and --cors-allow-origins (both opt-in). */
  readonly browser: BrowserPolicyFlags;
  readonly apiPrefix: string;
  readonly www: { readonly root: string; readonly prefix: string } | undefined;
  readonly keepaliveMs: number;
  readonly appendServerPath: boolean;
  readonly verbosity: number;
  readonly logFormat: 'json' | 'text' | 'auto';
  /** The admin listener (health, readiness, metrics), when --admin-address is given. */
  readonly adminAddress: ListenTarget | undefined;
  readonly readyJson: boolean;
  readonly kubeconfig: KubeconfigFlags;
  readonly demo: boolean;
  readonly demoUser: string | undefined;
  readonly execPluginTimeoutMs: number;
  /** Overrides the in-cluster service-account directory (else KUBEGATE_SERVICE_ACCOUNT_DIR, else the pod default). */
  readonly serviceAccountDir: string | undefined;
}

/**
 * Applies kubectl's defaults and validation rules. `cwd` resolves a relative --www directory
 * (kubectl passes it to http.Dir as given, which is relative to the working directory).
 */
export function completeOptions(flags: ProxyFlags, kubeconfig: KubeconfigFlags, cwd: string): ResolvedOptions {
  const port = flags.port ?? DEFAULT_PORT;
  if (flags.demoUser !== undefined && !flags.demo) {
    throw usageError('--demo-user only applies with --demo: add --demo, or drop --demo-user to use your kubeconfig');
  }
  // kubectl compares against the default value, not "was the flag set": `-u s --port 8001` is allowed.
  if (flags.unixSocket && port !== DEFAULT_PORT) {
    throw usageError('cannot set --unix-socket and --port at the same time');
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(`invalid --port ${port}: a port is a whole number from 0 to 65535 (0 picks a free port)`);
  }
  if (flags.requestTimeout !== undefined) validateRequestTimeout(flags.requestTimeout);

  const listen: ListenTarget = flags.unixSocket
    ? { kind: 'unix', path: flags.unixSocket }
    : { kind: 'tcp', host: normalizeAddress(flags.address ?? DEFAULT_ADDRESS), port };

  const filter: FilterFlags | undefined = flags.disableFilter
    ? undefined
    : {
        acceptHosts: flags.acceptHosts ?? DEFAULT_ACCEPT_HOSTS,
        acceptPaths: flags.acceptPaths ?? DEFAULT_ACCEPT_PATHS,
        rejectPaths: flags.rejectPaths ?? DEFAULT_REJECT_PATHS,
        rejectMethods: flags.rejectMethods ?? DEFAULT_REJECT_METHODS,
      };

  const www = flags.www
    ? { root: resolvePath(cwd, flags.www), prefix: normalizePrefix(flags.wwwPrefix ?? DEFAULT_WWW_PREFIX) }
    : undefined;

  return Object.freeze({
    listen: Object.freeze(listen),
    filter: filter && Object.freeze(filter),
    browser: Object.freeze({
      ...(flags.acceptOrigins !== undefined ? { acceptOrigins: flags.acceptOrigins } : {}),
      ...(flags.corsAllowOrigins !== undefined ? { corsAllowOrigins: flags.corsAllowOrigins } : {}),
    }),
    apiPrefix: normalizePrefix(flags.apiPrefix ?? DEFAULT_API_PREFIX),
    www: www && Object.freeze(www),
    keepaliveMs: flags.keepaliveMs ?? 0,
    appendServerPath: flags.appendServerPath ?? false,
    verbosity: flags.verbosity ?? 0,
    logFormat: parseLogFormat(flags.logFormat),
    adminAddress: flags.adminAddress === undefined ? undefined : Object.freeze(parseAdminAddress(flags.adminAddress)),
    readyJson: flags.readyJson ?? false,
    kubeconfig: Object.freeze({ ...kubeconfig }),
    demo: flags.demo ?? false,
    demoUser: flags.demoUser,
    execPluginTimeoutMs: execPluginTimeout(flags.execPluginTimeoutMs),
    serviceAccountDir: flags.serviceAccountDir === undefined || flags.serviceAccountDir === '' ? undefined : resolvePath(cwd, flags.serviceAccountDir),
  });
}

export const DEFAULT_EXEC_PLUGIN_TIMEOUT_MS = 60_000;

function execPluginTimeout(ms: number | undefined): number {
  if (ms === undefined) return DEFAULT_EXEC_PLUGIN_TIMEOUT_MS;
  if (ms <= 0) throw usageError(`invalid --exec-plugin-timeout: it must be positive, for example 30s`);
  return ms;
}

function resolvePath(cwd: string, path: string): string {
  return path.startsWith('/') ? path : `${cwd.replace(/\/$/, '')}/${path}`;
}

/**
 * kubectl needs `[::1]`; kubegate also takes `::1` (deliberate difference 1). `localhost` means
 * 127.0.0.1, as Go resolves it, so the printed address matches kubectl's.
 */
export function normalizeAddress(address: string): string {
  const unbracketed = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (unbracketed === 'localhost') return '127.0.0.1';
  if (unbracketed === '') return '0.0.0.0';
  if (isIP(unbracketed) === 0 && !/^[A-Za-z0-9.-]+$/.test(unbracketed)) {
    throw usageError(`invalid --address "${address}": give an IP address (127.0.0.1, ::1, 0.0.0.0) or a host name`);
  }
  return unbracketed;
}

function parseLogFormat(value: string | undefined): 'json' | 'text' | 'auto' {
  if (value === undefined || value === 'auto') return 'auto';
  if (value === 'json' || value === 'text') return value;
  throw usageError(`invalid --log-format "${value}": use json, text or auto`);
}

/** `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (loopback). */
export function parseAdminAddress(value: string): ListenTarget {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw usageError(`invalid --admin-address "${value}": use HOST:PORT, for example 127.0.0.1:9101`);
  }
  const host = match[1] ?? match[2] ?? '';
  return { kind: 'tcp', host: normalizeAddress(host === '' ? '127.0.0.1' : host), port };
}

const REQUEST_TIMEOUT = /^(0|[0-9]+(s|m|h)?)$/;

/** --request-timeout is validated like kubectl but has no effect, as in kubectl (spec 1.2). */
export function validateRequestTimeout(value: string): void {
  if (!REQUEST_TIMEOUT.test(value)) {
    throw usageError(
      'Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)',
    );
  }
}

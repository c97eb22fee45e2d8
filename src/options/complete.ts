// complete(): parsed flags → frozen options, kubectl's validation rules, the filter and browser policy compiled once.

import { isIP } from 'node:net';
import type { BrowserPolicyFlags } from '../server/browser-policy.js';
import { usageError } from '../errors.js';
import type { FilterFlags } from '../server/filter.js';
import type { KubeconfigFlags } from '../kubeconfig/rest-config.js';
import type { ServerOptions } from '../server/build-server.js';
import { compileBrowserPolicy } from '../server/browser-policy.js';
import { compileFilter } from '../server/filter.js';
import { compilePolicy } from '../server/policy.js';
import { normalizePrefix } from '../server/route.js';
import { resolveContextOptions, type ContextOptions } from './contexts.js';
import * as D from './defaults.js';
import type { ProxyFlags } from './flag-table.js';
import { loadPolicyFile } from './policy-file.js';

export type { ProxyFlags } from './flag-table.js';

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
  /** The in-cluster service-account directory: the flag, else KUBEGATE_SERVICE_ACCOUNT_DIR, else the pod default. */
  readonly serviceAccountDir: string;
  /** --ui (on by default with --demo): the page's history size; undefined when off. */
  readonly ui: { readonly history: number } | undefined;
  /** Only what the server uses, the filter and browser policy compiled (start-up errors surface here). */
  readonly server: ServerOptions;
  /** --contexts, --all-contexts and --print-kubeconfig (options/contexts.ts). */
  readonly multi: ContextOptions;
}

/** Where relative paths and environment fallbacks come from; the CLI passes the process's. */
export interface CompletionEnvironment {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * Applies kubectl's defaults and validation rules (Complete → Validate, as kubectl's proxy command).
 * `cwd` resolves a relative --www directory (kubectl passes it to http.Dir as given).
 */
export function completeOptions(flags: ProxyFlags, kubeconfig: KubeconfigFlags, environment: CompletionEnvironment | string): ResolvedOptions {
  const { cwd, env } = typeof environment === 'string' ? { cwd: environment, env: {} } : environment;
  validateFlags(flags);
  const port = flags.port ?? D.DEFAULT_PORT;
  const listen: ListenTarget = flags.unixSocket ? { kind: 'unix', path: flags.unixSocket } : { kind: 'tcp', host: normalizeAddress(flags.address ?? D.DEFAULT_ADDRESS), port };
  const filter: FilterFlags | undefined = flags.disableFilter
    ? undefined
    : {
        acceptHosts: flags.acceptHosts ?? D.DEFAULT_ACCEPT_HOSTS,
        acceptPaths: flags.acceptPaths ?? D.DEFAULT_ACCEPT_PATHS,
        rejectPaths: flags.rejectPaths ?? D.DEFAULT_REJECT_PATHS,
        rejectMethods: flags.rejectMethods ?? D.DEFAULT_REJECT_METHODS,
      };
  const www = flags.www ? { root: resolvePath(cwd, flags.www), prefix: normalizePrefix(flags.wwwPrefix ?? D.DEFAULT_WWW_PREFIX) } : undefined;
  const browser: BrowserPolicyFlags = {
    ...(flags.acceptOrigins !== undefined ? { acceptOrigins: flags.acceptOrigins } : {}),
    ...(flags.corsAllowOrigins !== undefined ? { corsAllowOrigins: flags.corsAllowOrigins } : {}),
  };
  const apiPrefix = normalizePrefix(flags.apiPrefix ?? D.DEFAULT_API_PREFIX);
  const keepaliveMs = flags.keepaliveMs ?? D.DEFAULT_KEEPALIVE_MS;
  const appendServerPath = flags.appendServerPath ?? false;
  const verbosity = flags.verbosity ?? D.DEFAULT_VERBOSITY;
  const ui = uiOptions(flags);
  const server: ServerOptions = {
    decision: {
      ...(ui ? { ui: true } : {}),
      route: { apiPrefix, ...(www ? { wwwPrefix: www.prefix } : {}) },
      filter: filter ? compileFilter(filter) : undefined,
      browser: compileBrowserPolicy(browser),
      policy: compilePolicy({
        readOnly: flags.readOnly === true,
        denySecrets: flags.denySecrets === true,
        ...(flags.namespaces !== undefined ? { namespaces: parseNamespaces(flags.namespaces) } : {}),
        ...(flags.policy !== undefined ? { roles: loadPolicyFile(resolvePath(cwd, flags.policy), flags.policy) } : {}),
      }),
    },
    wwwRoot: www?.root,
    keepaliveMs,
    appendServerPath,
    verbosity,
  };
  return Object.freeze({
    listen: Object.freeze(listen),
    filter: filter && Object.freeze(filter),
    browser: Object.freeze(browser),
    apiPrefix,
    www: www && Object.freeze(www),
    keepaliveMs,
    appendServerPath,
    verbosity,
    logFormat: parseLogFormat(flags.logFormat),
    adminAddress: flags.adminAddress === undefined ? undefined : Object.freeze(parseAdminAddress(flags.adminAddress)),
    readyJson: flags.readyJson ?? false,
    kubeconfig: Object.freeze({ ...kubeconfig }),
    demo: flags.demo ?? false,
    demoUser: flags.demoUser,
    execPluginTimeoutMs: flags.execPluginTimeoutMs ?? D.DEFAULT_EXEC_PLUGIN_TIMEOUT_MS,
    serviceAccountDir: serviceAccountDir(flags.serviceAccountDir, env, cwd),
    server: Object.freeze(server),
    ui,
    multi: Object.freeze(resolveContextOptions(flags, kubeconfig, cwd)),
  });
}

/** --ui is off unless asked for, and on with --demo unless --ui=false; --ui-history is checked only then. */
function uiOptions(flags: ProxyFlags): { readonly history: number } | undefined {
  if (!(flags.ui ?? flags.demo ?? false)) return undefined;
  const history = flags.uiHistory ?? D.DEFAULT_UI_HISTORY;
  if (!Number.isInteger(history) || history < 1 || history > 100_000) {
    throw usageError(`invalid --ui-history ${history}: give how many requests the page keeps, from 1 to 100000`);
  }
  return Object.freeze({ history });
}

/** kubectl's checks that need no I/O: combinations and ranges. */
function validateFlags(flags: ProxyFlags): void {
  const port = flags.port ?? D.DEFAULT_PORT;
  if (flags.demoUser !== undefined && !flags.demo) {
    throw usageError('--demo-user only applies with --demo: add --demo, or drop --demo-user to use your kubeconfig');
  }
  // kubectl compares against the default value, not "was the flag set": `-u s --port 8001` is allowed.
  if (flags.unixSocket && port !== D.DEFAULT_PORT) {
    throw usageError('cannot set --unix-socket and --port at the same time');
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(`invalid --port ${port}: a port is a whole number from 0 to 65535 (0 picks a free port)`);
  }
  if (flags.requestTimeout !== undefined) validateRequestTimeout(flags.requestTimeout);
  if (flags.policy === '') throw usageError('invalid --policy "": name a Role or ClusterRole YAML file, for example --policy=config/policy-read-pods.yaml');
  if (flags.execPluginTimeoutMs !== undefined && flags.execPluginTimeoutMs <= 0) {
    throw usageError('invalid --exec-plugin-timeout: it must be positive, for example 30s');
  }
}

/** --namespaces=a,b: names as kube-apiserver allows them (DNS labels), at least one. */
function parseNamespaces(value: string): string[] {
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of names) {
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) throw usageError(`invalid --namespaces "${value}": "${name}" is not a namespace name (lower-case letters, digits and '-', at most 63)`);
  }
  if (names.length === 0) throw usageError(`invalid --namespaces "${value}": name at least one namespace, for example --namespaces=default`);
  return names;
}

function serviceAccountDir(flag: string | undefined, env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  if (flag !== undefined && flag !== '') return resolvePath(cwd, flag);
  const fromEnv = env.KUBEGATE_SERVICE_ACCOUNT_DIR;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : D.DEFAULT_SERVICE_ACCOUNT_DIR;
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

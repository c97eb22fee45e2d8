// Every flag, one row each: name, shorthand, kind, the option it sets, its default and its help.
// --help, the parser's specs and the typed option bags are all derived from this table, so a new
// flag is one edit here (and, if it needs checking, one in complete.ts).

import type { KubeconfigFlags } from '../kubeconfig/rest-config.js';
import * as D from './defaults.js';

export type FlagKind = 'string' | 'bool' | 'int' | 'stringArray' | 'duration';

/** Which bag a flag's value goes to: the proxy's options, the kubeconfig overrides, or the command itself. */
export type FlagBag = 'proxy' | 'kubeconfig' | 'command' | 'ignored';

export interface FlagRow {
  readonly name: string;
  readonly short?: string;
  readonly kind: FlagKind;
  readonly bag: FlagBag;
  /** The option key the value is stored under in its bag. */
  readonly key: string;
  /** The default as --help shows it (kubectl's way: quoted strings, bare numbers and booleans). */
  readonly defaultText?: string;
  readonly help: string;
  /** Accepted for compatibility with kubectl's global flags; hidden from --help. */
  readonly hidden?: boolean;
}

const seconds = (ms: number): string => (ms % 60_000 === 0 ? `${ms / 60_000}m0s` : `${ms / 1000}s`);

export const FLAG_TABLE = [
  { name: 'accept-hosts', kind: 'string', bag: 'proxy', key: 'acceptHosts', defaultText: D.DEFAULT_ACCEPT_HOSTS, help: 'Regular expression for hosts that the proxy should accept.' },
  { name: 'accept-paths', kind: 'string', bag: 'proxy', key: 'acceptPaths', defaultText: D.DEFAULT_ACCEPT_PATHS, help: 'Regular expression for paths that the proxy should accept.' },
  { name: 'address', kind: 'string', bag: 'proxy', key: 'address', defaultText: D.DEFAULT_ADDRESS, help: 'The IP address on which to serve on (IPv6 with or without brackets).' },
  { name: 'api-prefix', kind: 'string', bag: 'proxy', key: 'apiPrefix', defaultText: D.DEFAULT_API_PREFIX, help: 'Prefix to serve the proxied API under.' },
  { name: 'append-server-path', kind: 'bool', bag: 'proxy', key: 'appendServerPath', defaultText: 'false', help: 'If true, enables automatic path appending of the kube context server path to each request.' },
  { name: 'disable-filter', kind: 'bool', bag: 'proxy', key: 'disableFilter', defaultText: 'false', help: 'If true, disable request filtering in the proxy. This is dangerous, and can leave you vulnerable to XSRF attacks, when used with an accessible port.' },
  { name: 'keepalive', kind: 'duration', bag: 'proxy', key: 'keepaliveMs', defaultText: '0s', help: 'keepalive specifies the keep-alive period for an active network connection (exec/attach/port-forward tunnels). Set to a negative value to disable keepalive.' },
  { name: 'port', short: 'p', kind: 'int', bag: 'proxy', key: 'port', defaultText: String(D.DEFAULT_PORT), help: 'The port on which to run the proxy. Set to 0 to pick a random port.' },
  { name: 'reject-methods', kind: 'string', bag: 'proxy', key: 'rejectMethods', defaultText: D.DEFAULT_REJECT_METHODS, help: "Regular expression for HTTP methods that the proxy should reject (example --reject-methods='POST,PUT,PATCH')." },
  { name: 'reject-paths', kind: 'string', bag: 'proxy', key: 'rejectPaths', defaultText: D.DEFAULT_REJECT_PATHS, help: 'Regular expression for paths that the proxy should reject. Paths specified here will be rejected even accepted by --accept-paths.' },
  { name: 'unix-socket', short: 'u', kind: 'string', bag: 'proxy', key: 'unixSocket', help: 'Unix socket on which to run the proxy.' },
  { name: 'www', short: 'w', kind: 'string', bag: 'proxy', key: 'www', help: 'Also serve static files from the given directory under the specified prefix.' },
  { name: 'www-prefix', short: 'P', kind: 'string', bag: 'proxy', key: 'wwwPrefix', defaultText: D.DEFAULT_WWW_PREFIX, help: 'Prefix to serve static files under, if static file directory is specified.' },
  { name: 'kubeconfig', kind: 'string', bag: 'kubeconfig', key: 'kubeconfig', help: 'Path to the kubeconfig file to use for CLI requests.' },
  { name: 'context', kind: 'string', bag: 'kubeconfig', key: 'context', help: 'The name of the kubeconfig context to use.' },
  { name: 'cluster', kind: 'string', bag: 'kubeconfig', key: 'cluster', help: 'The name of the kubeconfig cluster to use.' },
  { name: 'user', kind: 'string', bag: 'kubeconfig', key: 'user', help: 'The name of the kubeconfig user to use.' },
  { name: 'server', short: 's', kind: 'string', bag: 'kubeconfig', key: 'server', help: 'The address and port of the Kubernetes API server.' },
  { name: 'token', kind: 'string', bag: 'kubeconfig', key: 'token', help: 'Bearer token for authentication to the API server.' },
  { name: 'certificate-authority', kind: 'string', bag: 'kubeconfig', key: 'certificateAuthority', help: 'Path to a cert file for the certificate authority.' },
  { name: 'client-certificate', kind: 'string', bag: 'kubeconfig', key: 'clientCertificate', help: 'Path to a client certificate file for TLS.' },
  { name: 'client-key', kind: 'string', bag: 'kubeconfig', key: 'clientKey', help: 'Path to a client key file for TLS.' },
  { name: 'insecure-skip-tls-verify', kind: 'bool', bag: 'kubeconfig', key: 'insecureSkipTlsVerify', defaultText: 'false', help: "If true, the server's certificate will not be checked for validity. This will make your HTTPS connections insecure." },
  { name: 'tls-server-name', kind: 'string', bag: 'kubeconfig', key: 'tlsServerName', help: 'Server name to use for server certificate validation. If it is not provided, the hostname used to contact the server is used.' },
  { name: 'as', kind: 'string', bag: 'kubeconfig', key: 'as', help: 'Username to impersonate for the operation. User could be a regular user or a service account in a namespace.' },
  { name: 'as-group', kind: 'stringArray', bag: 'kubeconfig', key: 'asGroups', help: 'Group to impersonate for the operation, this flag can be repeated to specify multiple groups.' },
  { name: 'as-uid', kind: 'string', bag: 'kubeconfig', key: 'asUid', help: 'UID to impersonate for the operation.' },
  { name: 'username', kind: 'string', bag: 'kubeconfig', key: 'username', help: 'Username for basic authentication to the API server.' },
  { name: 'password', kind: 'string', bag: 'kubeconfig', key: 'password', help: 'Password for basic authentication to the API server.' },
  { name: 'disable-compression', kind: 'bool', bag: 'kubeconfig', key: 'disableCompression', defaultText: 'false', help: 'If true, opt-out of response compression for all requests to the server.' },
  { name: 'request-timeout', kind: 'string', bag: 'proxy', key: 'requestTimeout', defaultText: D.DEFAULT_REQUEST_TIMEOUT, help: 'Accepted and validated for compatibility; like kubectl proxy, it has no effect.' },
  { name: 'namespace', short: 'n', kind: 'string', bag: 'ignored', key: 'namespace', help: 'Accepted for compatibility; no effect on a proxy.' },
  { name: 'v', short: 'v', kind: 'int', bag: 'proxy', key: 'verbosity', defaultText: String(D.DEFAULT_VERBOSITY), help: 'Log level: 0 warnings and errors, 3 filter decisions, 6 one line per request, 8 headers, 9 bodies.' },
  { name: 'accept-origins', kind: 'string', bag: 'proxy', key: 'acceptOrigins', help: "Opt-in: regexes a browser request's Origin header must match (requests without Origin, such as curl and kubectl, are unaffected). Anchor them: ^https://app\\.example\\.com$" },
  { name: 'cors-allow-origins', kind: 'string', bag: 'proxy', key: 'corsAllowOrigins', help: 'Opt-in: regexes of browser origins that get CORS headers and preflight answers, so a web app on that origin can call the API through kubegate.' },
  { name: 'read-only', kind: 'bool', bag: 'proxy', key: 'readOnly', defaultText: 'false', help: 'Forward only reads: get, list and watch on resources, GET and HEAD on other paths; never exec, attach, port-forward or proxy subresources.' },
  { name: 'deny-secrets', kind: 'bool', bag: 'proxy', key: 'denySecrets', defaultText: 'false', help: 'Refuse every request on secrets, whatever the verb or namespace (lists and watches across namespaces included).' },
  { name: 'namespaces', kind: 'string', bag: 'proxy', key: 'namespaces', help: 'Comma-separated namespaces: namespaced requests only in these; reads of cluster-scoped resources allowed; requests across all namespaces refused.' },
  { name: 'policy', kind: 'string', bag: 'proxy', key: 'policy', help: 'A Kubernetes Role or ClusterRole YAML file (or a List of them), evaluated locally with RBAC\'s rules: only requests some rule allows are forwarded (and every preset must allow them too).' },
  { name: 'log-format', kind: 'string', bag: 'proxy', key: 'logFormat', defaultText: D.DEFAULT_LOG_FORMAT, help: 'Log format on stderr: json, text, or auto (text on a terminal, JSON otherwise).' },
  { name: 'admin-address', kind: 'string', bag: 'proxy', key: 'adminAddress', help: 'Also serve /healthz, /readyz and /metrics (Prometheus) on this host:port, e.g. 127.0.0.1:9101. Off by default; never on the API port.' },
  { name: 'ready-json', kind: 'bool', bag: 'proxy', key: 'readyJson', defaultText: 'false', help: 'After the "Starting to serve on" line, print one JSON line with address, port, pid, context and server (for scripts).' },
  { name: 'exec-plugin-timeout', kind: 'duration', bag: 'proxy', key: 'execPluginTimeoutMs', defaultText: seconds(D.DEFAULT_EXEC_PLUGIN_TIMEOUT_MS), help: 'How long an exec credential plugin (users[].user.exec) may run before kubegate stops it and fails the request.' },
  { name: 'service-account-dir', kind: 'string', bag: 'proxy', key: 'serviceAccountDir', defaultText: D.DEFAULT_SERVICE_ACCOUNT_DIR, help: "Where the pod's service-account token and ca.crt are, for in-cluster mode (also KUBEGATE_SERVICE_ACCOUNT_DIR)." },
  { name: 'contexts', kind: 'string', bag: 'proxy', key: 'contexts', help: 'Serve these kubeconfig contexts (comma-separated) on the one port, each under /clusters/NAME/ with its own server, credentials and connections; GET /clusters/ lists them.' },
  { name: 'all-contexts', kind: 'bool', bag: 'proxy', key: 'allContexts', defaultText: 'false', help: 'Serve every context of the kubeconfig, each under /clusters/NAME/ (see --contexts).' },
  { name: 'print-kubeconfig', kind: 'string', bag: 'proxy', key: 'printKubeconfig', help: 'With --contexts or --all-contexts: once serving, write a kubeconfig to this file with one context per served context, each pointing at kubegate (no credentials in it).' },
  { name: 'demo', kind: 'bool', bag: 'proxy', key: 'demo', defaultText: 'false', help: 'Start a built-in, in-memory demo API server and proxy to it (no cluster needed). A demo: never for real use.' },
  { name: 'demo-user', kind: 'string', bag: 'proxy', key: 'demoUser', defaultText: D.DEFAULT_DEMO_USER, help: 'With --demo: the identity kubegate presents, e.g. system:serviceaccount:default:default (no rights) or system:serviceaccount:default:demo-sa (may list pods).' },
  { name: 'ui', kind: 'bool', bag: 'proxy', key: 'ui', defaultText: 'false', help: 'Serve a live request inspector and API explorer at /-/ui/ on the proxy\'s own listener (on by default with --demo).' },
  { name: 'ui-history', kind: 'int', bag: 'proxy', key: 'uiHistory', defaultText: String(D.DEFAULT_UI_HISTORY), help: 'With --ui: how many of the latest requests the page keeps.' },
  { name: 'help', short: 'h', kind: 'bool', bag: 'command', key: 'help', help: 'Help for kubegate.' },
  { name: 'version', kind: 'bool', bag: 'command', key: 'version', help: 'Print the kubegate version and exit.' },
  // kubectl's other global flags: accepted so existing command lines keep working; no effect here.
  { name: 'cache-dir', kind: 'string', bag: 'ignored', key: 'cacheDir', help: 'kubectl global flag; accepted, no effect.', hidden: true },
  { name: 'log-flush-frequency', kind: 'string', bag: 'ignored', key: 'logFlushFrequency', help: 'kubectl global flag; accepted, no effect.', hidden: true },
  { name: 'profile', kind: 'string', bag: 'ignored', key: 'profile', help: 'kubectl global flag; accepted, no effect.', hidden: true },
  { name: 'profile-output', kind: 'string', bag: 'ignored', key: 'profileOutput', help: 'kubectl global flag; accepted, no effect.', hidden: true },
  { name: 'vmodule', kind: 'string', bag: 'ignored', key: 'vmodule', help: 'kubectl global flag; accepted, no effect.', hidden: true },
  { name: 'match-server-version', kind: 'bool', bag: 'ignored', key: 'matchServerVersion', help: 'kubectl global flag; accepted, no effect.', hidden: true },
  { name: 'warnings-as-errors', kind: 'bool', bag: 'ignored', key: 'warningsAsErrors', help: 'kubectl global flag; accepted, no effect.', hidden: true },
  { name: 'alsologtostderr', kind: 'bool', bag: 'ignored', key: 'alsologtostderr', help: 'kubectl global flag; accepted, no effect.', hidden: true },
  { name: 'logtostderr', kind: 'bool', bag: 'ignored', key: 'logtostderr', help: 'kubectl global flag; accepted, no effect.', hidden: true },
] as const satisfies readonly FlagRow[];

type Row = (typeof FLAG_TABLE)[number];

/** The value a flag kind parses to. */
export type FlagKindValue<K extends FlagKind> = K extends 'int' | 'duration' ? number : K extends 'bool' ? boolean : K extends 'stringArray' ? readonly string[] : string;

type BagOf<B extends FlagBag> = { readonly [R in Extract<Row, { bag: B }> as R['key']]?: FlagKindValue<R['kind']> };

/** The proxy's flags as parsed, before defaults and validation: derived from the table. */
export type ProxyFlags = BagOf<'proxy'>;

// The kubeconfig rows must set exactly the overrides the kubeconfig loader takes.
type KubeconfigRows = BagOf<'kubeconfig'>;
const kubeconfigRowsMatch: [KubeconfigRows extends KubeconfigFlags ? true : false, KubeconfigFlags extends KubeconfigRows ? true : false] = [true, true];
void kubeconfigRowsMatch;

export type FlagValue = string | boolean | number | readonly string[];

/** Sorts parsed values into the option bags by the table; a flag that was not given stays absent. */
export function flagsToOptions(values: ReadonlyMap<string, FlagValue>): { proxy: ProxyFlags; kubeconfig: KubeconfigFlags } {
  const bags: Record<'proxy' | 'kubeconfig', Record<string, FlagValue>> = { proxy: {}, kubeconfig: {} };
  for (const row of FLAG_TABLE as readonly FlagRow[]) {
    const value = values.get(row.name);
    if (value === undefined || (row.bag !== 'proxy' && row.bag !== 'kubeconfig')) continue;
    bags[row.bag][row.key] = value;
  }
  // The parser gave each value the type its row's kind names, which is what the derived types say.
  return { proxy: bags.proxy as ProxyFlags, kubeconfig: bags.kubeconfig as KubeconfigFlags };
}

// The command: kubectl proxy's flags, help and output; start-up order Complete → Validate → Run, as kubectl.

import { readFileSync } from 'node:fs';
import { KubegateError, isKubegateError } from '../errors.js';
import { parseFlags, type FlagSpec, type FlagValue, type ParsedFlags } from './parse-flags.js';
import { createCredentials } from '../auth/create-credentials.js';
import { loadRestConfig } from '../kubeconfig/load-rest-config.js';
import type { KubeconfigFlags, RestConfig } from '../kubeconfig/rest-config.js';
import { listen } from '../server/listen.js';
import { createLogger, loadPrettyPrinter, redactUrlUserinfo, type Logger } from '../log.js';
import { compileRules } from '../server/filter.js';
import { reportUnhandledRejection } from '../observe/internal-error.js';
import {
  DEFAULT_ACCEPT_HOSTS,
  DEFAULT_ACCEPT_PATHS,
  DEFAULT_ADDRESS,
  DEFAULT_API_PREFIX,
  DEFAULT_PORT,
  DEFAULT_REJECT_METHODS,
  DEFAULT_REJECT_PATHS,
  DEFAULT_WWW_PREFIX,
  SHUTDOWN_GRACE_MS,
  completeOptions,
  type ProxyFlags,
  type ResolvedOptions,
} from '../options/complete.js';
import { buildServer } from '../server/build-server.js';
import { startupWarnings } from '../options/startup-warnings.js';

export const FLAG_SPECS: readonly FlagSpec[] = [
  { name: 'port', short: 'p', kind: 'int', defaultText: String(DEFAULT_PORT), usage: 'The port on which to run the proxy. Set to 0 to pick a random port.' },
  { name: 'address', kind: 'string', defaultText: DEFAULT_ADDRESS, usage: 'The IP address on which to serve on (IPv6 with or without brackets).' },
  { name: 'accept-hosts', kind: 'string', defaultText: DEFAULT_ACCEPT_HOSTS, usage: 'Regular expression for hosts that the proxy should accept.' },
  { name: 'accept-paths', kind: 'string', defaultText: DEFAULT_ACCEPT_PATHS, usage: 'Regular expression for paths that the proxy should accept.' },
  { name: 'reject-paths', kind: 'string', defaultText: DEFAULT_REJECT_PATHS, usage: 'Regular expression for paths that the proxy should reject. Paths specified here will be rejected even accepted by --accept-paths.' },
  { name: 'reject-methods', kind: 'string', defaultText: DEFAULT_REJECT_METHODS, usage: 'Regular expression for HTTP methods that the proxy should reject (example --reject-methods=\'POST,PUT,PATCH\').' },
  { name: 'api-prefix', kind: 'string', defaultText: DEFAULT_API_PREFIX, usage: 'Prefix to serve the proxied API under.' },
  { name: 'www', short: 'w', kind: 'string', usage: 'Also serve static files from the given directory under the specified prefix.' },
  { name: 'www-prefix', short: 'P', kind: 'string', defaultText: DEFAULT_WWW_PREFIX, usage: 'Prefix to serve static files under, if static file directory is specified.' },
  { name: 'disable-filter', kind: 'bool', defaultText: 'false', usage: 'If true, disable request filtering in the proxy. This is dangerous, and can leave you vulnerable to XSRF attacks, when used with an accessible port.' },
  { name: 'unix-socket', short: 'u', kind: 'string', usage: 'Unix socket on which to run the proxy.' },
  { name: 'keepalive', kind: 'duration', defaultText: '0s', usage: 'keepalive specifies the keep-alive period for an active network connection (exec/attach/port-forward tunnels). Set to a negative value to disable keepalive.' },
  { name: 'append-server-path', kind: 'bool', defaultText: 'false', usage: 'If true, enables automatic path appending of the kube context server path to each request.' },
  { name: 'kubeconfig', kind: 'string', usage: 'Path to the kubeconfig file to use for CLI requests.' },
  { name: 'context', kind: 'string', usage: 'The name of the kubeconfig context to use.' },
  { name: 'cluster', kind: 'string', usage: 'The name of the kubeconfig cluster to use.' },
  { name: 'user', kind: 'string', usage: 'The name of the kubeconfig user to use.' },
  { name: 'server', short: 's', kind: 'string', usage: 'The address and port of the Kubernetes API server.' },
  { name: 'token', kind: 'string', usage: 'Bearer token for authentication to the API server.' },
  { name: 'certificate-authority', kind: 'string', usage: 'Path to a cert file for the certificate authority.' },
  { name: 'client-certificate', kind: 'string', usage: 'Path to a client certificate file for TLS.' },
  { name: 'client-key', kind: 'string', usage: 'Path to a client key file for TLS.' },
  { name: 'insecure-skip-tls-verify', kind: 'bool', defaultText: 'false', usage: "If true, the server's certificate will not be checked for validity. This will make your HTTPS connections insecure." },
  { name: 'tls-server-name', kind: 'string', usage: 'Server name to use for server certificate validation. If it is not provided, the hostname used to contact the server is used.' },
  { name: 'as', kind: 'string', usage: 'Username to impersonate for the operation. User could be a regular user or a service account in a namespace.' },
  { name: 'as-group', kind: 'stringArray', usage: 'Group to impersonate for the operation, this flag can be repeated to specify multiple groups.' },
  { name: 'as-uid', kind: 'string', usage: 'UID to impersonate for the operation.' },
  { name: 'username', kind: 'string', usage: 'Username for basic authentication to the API server.' },
  { name: 'password', kind: 'string', usage: 'Password for basic authentication to the API server.' },
  { name: 'disable-compression', kind: 'bool', defaultText: 'false', usage: 'If true, opt-out of response compression for all requests to the server.' },
  { name: 'request-timeout', kind: 'string', defaultText: '0', usage: 'Accepted and validated for compatibility; like kubectl proxy, it has no effect.', noEffect: true },
  { name: 'namespace', short: 'n', kind: 'string', usage: 'Accepted for compatibility; no effect on a proxy.', noEffect: true },
  { name: 'v', short: 'v', kind: 'int', defaultText: '0', usage: 'Log level: 0 warnings and errors, 3 filter decisions, 6 one line per request, 8 headers, 9 bodies.' },
  { name: 'accept-origins', kind: 'string', usage: 'Opt-in: regexes a browser request\'s Origin header must match (requests without Origin, such as curl and kubectl, are unaffected). Anchor them: ^https://app\\.example\\.com$' },
  { name: 'cors-allow-origins', kind: 'string', usage: 'Opt-in: regexes of browser origins that get CORS headers and preflight answers, so a web app on that origin can call the API through kubegate.' },
  { name: 'log-format', kind: 'string', defaultText: 'auto', usage: 'Log format on stderr: json, text, or auto (text on a terminal, JSON otherwise).' },
  { name: 'admin-address', kind: 'string', usage: 'Also serve /healthz, /readyz and /metrics (Prometheus) on this host:port, e.g. 127.0.0.1:9101. Off by default; never on the API port.' },
  { name: 'ready-json', kind: 'bool', defaultText: 'false', usage: 'After the "Starting to serve on" line, print one JSON line with address, port, pid, context and server (for scripts).' },
  { name: 'exec-plugin-timeout', kind: 'duration', defaultText: '1m0s', usage: 'How long an exec credential plugin (users[].user.exec) may run before kubegate stops it and fails the request.' },
  { name: 'service-account-dir', kind: 'string', defaultText: '/var/run/secrets/kubernetes.io/serviceaccount', usage: 'Where the pod\'s service-account token and ca.crt are, for in-cluster mode (also KUBEGATE_SERVICE_ACCOUNT_DIR).' },
  { name: 'demo', kind: 'bool', defaultText: 'false', usage: 'Start a built-in, in-memory demo API server and proxy to it (no cluster needed). A demo: never for real use.' },
  { name: 'demo-user', kind: 'string', defaultText: 'kubernetes-admin', usage: 'With --demo: the identity kubegate presents, e.g. system:serviceaccount:default:default (no rights) or system:serviceaccount:default:demo-sa (may list pods).' },
  { name: 'help', short: 'h', kind: 'bool', usage: 'Help for kubegate.' },
  { name: 'version', kind: 'bool', usage: 'Print the kubegate version and exit.' },
  // kubectl's other global flags: accepted so existing command lines keep working; no effect here.
  ...['cache-dir', 'log-flush-frequency', 'profile', 'profile-output', 'vmodule'].map(
    (name): FlagSpec => ({ name, kind: 'string', usage: 'kubectl global flag; accepted, no effect.', noEffect: true, hidden: true }),
  ),
  ...['match-server-version', 'warnings-as-errors', 'alsologtostderr', 'logtostderr'].map(
    (name): FlagSpec => ({ name, kind: 'bool', usage: 'kubectl global flag; accepted, no effect.', noEffect: true, hidden: true }),
  ),
];

export function helpText(): string {
  const lines = FLAG_SPECS.filter((spec) => !spec.hidden).map((spec) => {
    const names = spec.short ? `-${spec.short}, --${spec.name}` : `    --${spec.name}`;
    const value = spec.kind === 'bool' ? '' : spec.kind === 'stringArray' ? '=[]' : `='${spec.defaultText ?? ''}'`;
    return `    ${names}${value}:\n\t${spec.usage}\n`;
  });
  return `Creates a proxy server or application-level gateway between localhost and the Kubernetes API server.
It also allows serving static content over specified HTTP path. All incoming data enters through one
port and gets forwarded to the remote Kubernetes API server port, except for the path matching the
static content path. A drop-in replacement for \`kubectl proxy\`: same flags, same defaults.

Examples:
  # Proxy the whole Kubernetes API on localhost:8001
  kubegate
  curl http://localhost:8001/api/v1/namespaces/default/pods

  # Pick a free port and print it
  kubegate --port=0

  # Serve ./local/www under /static/ and the API under /api/
  kubegate --www=./local/www --www-prefix=/static/ --api-prefix=/api/

  # Allow exec and attach through the proxy (blocked by default)
  kubegate --reject-paths='^$'

  # Try it with no cluster: a built-in demo API server
  kubegate --demo

Options:
${lines.join('\n')}
Usage:
  kubegate [--port=PORT] [--www=static-dir] [--www-prefix=prefix] [--api-prefix=prefix] [options]
`;
}

export function packageVersion(): string {
  // Walk up from this file (dist/src/cli.js, or a test build) to kubegate's package.json.
  let directory = new URL('.', import.meta.url);
  for (let depth = 0; depth < 6; depth++) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(new URL('package.json', directory), 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && 'name' in parsed && parsed.name === 'kubegate' && 'version' in parsed) {
        return String(parsed.version);
      }
    } catch {
      // not here; try the parent
    }
    directory = new URL('..', directory);
  }
  return 'unknown';
}

function stringValue(values: ReadonlyMap<string, FlagValue>, name: string): string | undefined {
  const value = values.get(name);
  return typeof value === 'string' ? value : undefined;
}
function boolValue(values: ReadonlyMap<string, FlagValue>, name: string): boolean | undefined {
  const value = values.get(name);
  return typeof value === 'boolean' ? value : undefined;
}
function numberValue(values: ReadonlyMap<string, FlagValue>, name: string): number | undefined {
  const value = values.get(name);
  return typeof value === 'number' ? value : undefined;
}

/** Maps parsed flags onto the two option bags; a flag that was not given stays undefined. */
export function flagsToOptions(parsed: ParsedFlags): { proxy: ProxyFlags; kubeconfig: KubeconfigFlags } {
  const v = parsed.values;
  const proxy: ProxyFlags = {
    port: numberValue(v, 'port'),
    address: stringValue(v, 'address'),
    acceptHosts: stringValue(v, 'accept-hosts'),
    acceptPaths: stringValue(v, 'accept-paths'),
    rejectPaths: stringValue(v, 'reject-paths'),
    rejectMethods: stringValue(v, 'reject-methods'),
    apiPrefix: stringValue(v, 'api-prefix'),
    www: stringValue(v, 'www'),
    wwwPrefix: stringValue(v, 'www-prefix'),
    disableFilter: boolValue(v, 'disable-filter'),
    unixSocket: stringValue(v, 'unix-socket'),
    keepaliveMs: numberValue(v, 'keepalive'),
    appendServerPath: boolValue(v, 'append-server-path'),
    requestTimeout: stringValue(v, 'request-timeout'),
    verbosity: numberValue(v, 'v'),
    logFormat: stringValue(v, 'log-format'),
    adminAddress: stringValue(v, 'admin-address'),
    readyJson: boolValue(v, 'ready-json'),
    demo: boolValue(v, 'demo'),
    acceptOrigins: stringValue(v, 'accept-origins'),
    corsAllowOrigins: stringValue(v, 'cors-allow-origins'),
    demoUser: stringValue(v, 'demo-user'),
    execPluginTimeoutMs: numberValue(v, 'exec-plugin-timeout'),
    serviceAccountDir: stringValue(v, 'service-account-dir'),
  };
  const groups = v.get('as-group');
  const kubeconfig: KubeconfigFlags = {
    kubeconfig: stringValue(v, 'kubeconfig'),
    context: stringValue(v, 'context'),
    cluster: stringValue(v, 'cluster'),
    user: stringValue(v, 'user'),
    server: stringValue(v, 'server'),
    token: stringValue(v, 'token'),
    certificateAuthority: stringValue(v, 'certificate-authority'),
    clientCertificate: stringValue(v, 'client-certificate'),
    clientKey: stringValue(v, 'client-key'),
    insecureSkipTlsVerify: boolValue(v, 'insecure-skip-tls-verify'),
    tlsServerName: stringValue(v, 'tls-server-name'),
    as: stringValue(v, 'as'),
    asGroups: Array.isArray(groups) ? groups : undefined,
    asUid: stringValue(v, 'as-uid'),
    username: stringValue(v, 'username'),
    password: stringValue(v, 'password'),
    disableCompression: boolValue(v, 'disable-compression'),
  };
  return { proxy, kubeconfig };
}

/** What the command reads from and writes to the outside world; bin.ts passes the real process, tests their own. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly homedir: string;
  /** Whether standard input is a terminal (exec plugins may then prompt). */
  readonly stdinIsTerminal?: boolean;
  /** Calls `handler` on SIGTERM or SIGINT; returns a function that stops listening for them. */
  onShutdownSignal(handler: (signal: string) => void): () => void;
  /** For tests: receives the running proxy once it listens. */
  onListening?(info: { display: string; port: number | undefined }): void;
  /** Calls `handler` for a promise rejected with no handler; returns a function that stops it (bin.ts: the process). */
  onUnhandledRejection?(handler: (reason: unknown) => void): () => void;
}

const DEFAULT_SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Runs kubegate until a shutdown signal. Resolves with the process exit code: 0 after a clean
 * shutdown, the error's exit code when start-up fails (the message is printed once, as `error: …`).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let logger: Logger | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const parsed = parseFlags(argv, FLAG_SPECS);
    if (parsed.values.get('help') === true) {
      io.stdout.write(helpText());
      return 0;
    }
    if (parsed.values.get('version') === true) {
      io.stdout.write(`kubegate v${packageVersion()}\n`);
      return 0;
    }
    const flags = flagsToOptions(parsed);
    const options = completeOptions(flags.proxy, flags.kubeconfig, io.cwd);
    const pretty = options.logFormat === 'text' || (options.logFormat === 'auto' && io.stderr.isTTY === true);
    logger = createLogger({ verbosity: options.verbosity, ...(pretty ? { pretty: await loadPrettyPrinter() } : {}) });

    let restConfig: RestConfig;
    let afterListening: ((display: string) => string) | undefined;
    if (options.demo) {
      // Loaded only when asked for: the demo server and its certificate library stay out of a normal start.
      const { startDemo, demoInstructions } = await import('./demo-mode.js');
      const demo = await startDemo(logger, options.demoUser);
      cleanups.push(() => demo.close());
      restConfig = demo.restConfig;
      afterListening = (display) => demoInstructions(display, demo.userName);
    } else {
      restConfig = await loadRestConfig(
        options.kubeconfig,
        {
          env: io.env,
          homedir: io.homedir,
          cwd: io.cwd,
          serviceAccountDir: options.serviceAccountDir ?? io.env.KUBEGATE_SERVICE_ACCOUNT_DIR ?? DEFAULT_SERVICE_ACCOUNT_DIR,
        },
        { appendServerPath: options.appendServerPath },
      );
    }
    for (const warning of startupWarnings(options, restConfig, io.env)) logger.warn(warning);

    // prom-client and the admin server load only with --admin-address.
    const metrics = options.adminAddress ? (await import('../observe/metrics.js')).createMetrics() : undefined;
    const stopReporting = io.onUnhandledRejection?.(reportUnhandledRejection(logger, () => metrics?.internalError()));
    if (stopReporting) cleanups.push(stopReporting);
    const credentials = createCredentials(restConfig, {
      execTimeoutMs: options.execPluginTimeoutMs,
      stdinIsTerminal: io.stdinIsTerminal === true,
      env: io.env,
      log: logger,
      onMaterialProblem: (message: string) => logger?.warn(message),
      ...(metrics ? { onRefresh: (source: 'exec' | 'token-file', outcome: 'success' | 'failure') => metrics.credentialRefresh(source, outcome) } : {}),
    });
    const userAgent = `kubegate/v${packageVersion()} (${process.platform}/${process.arch})`;
    const server = buildServer(options, { restConfig, credentials, logger, userAgent, ...(metrics ? { metrics } : {}) });
    let stopped = false;
    cleanups.push(async () => {
      if (!stopped) await server.shutdown(0);
    });
    await server.app.ready();
    const listening = await listen(server.app.server, options.listen);
    cleanups.push(() => listening.cleanup());

    if (options.adminAddress && metrics) {
      const { buildAdminServer, createReadinessCheck } = await import('../observe/admin.js');
      const admin = buildAdminServer({
        metrics,
        readiness: createReadinessCheck({ agent: server.agent, target: server.target, credentials, problems: () => credentials.problems() }),
        // The API port's Host rule (plus IP literals, for kubelet's probes); none with --disable-filter.
        acceptHosts: options.filter ? compileRules('--accept-hosts', options.filter.acceptHosts) : undefined,
        ...(options.filter ? { acceptHostsFlag: options.filter.acceptHosts } : {}),
      });
      await admin.ready();
      const adminListening = await listen(admin.server, options.adminAddress);
      cleanups.push(() => admin.close());
      logger.info(`admin endpoints (/healthz, /readyz, /metrics) on ${adminListening.display}`);
    }

    // One write: a reader that sees "Starting to serve on" sees the lines that belong with it too.
    const ready = options.readyJson
      ? `${JSON.stringify({ address: listening.display, port: listening.port ?? null, pid: process.pid, context: restConfig.names.context, server: redactUrlUserinfo(restConfig.server) })}\n`
      : '';
    io.stdout.write(`Starting to serve on ${listening.display}\n${ready}${afterListening?.(listening.display) ?? ''}`);
    io.onListening?.({ display: listening.display, port: listening.port });

    const signal = await new Promise<string>((resolve) => {
      const stop = io.onShutdownSignal((name) => {
        stop();
        resolve(name);
      });
    });
    logger.info({ signal }, 'shutting down');
    await server.shutdown(SHUTDOWN_GRACE_MS);
    stopped = true;
    return 0;
  } catch (error) {
    if (isKubegateError(error)) {
      io.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    // A bug, not a user mistake: say so plainly, keep the detail for the report.
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr.write(`error: internal error in kubegate (please report it): ${detail}\n`);
    return 70;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    logger?.flush();
  }
}

export { KubegateError };

// The command: kubectl proxy's flags, help and output; start-up in kubectl's order, Complete → Validate → Run.

import { createCredentials } from '../auth/create-credentials.js';
import { STARTUP_ERRORS, isKubegateError } from '../errors.js';
import { loadRestConfig } from '../kubeconfig/load-rest-config.js';
import type { RestConfig } from '../kubeconfig/rest-config.js';
import { createLogger, loadPrettyPrinter, redactUrlUserinfo, type Logger } from '../log.js';
import { reportUnhandledRejection } from '../observe/internal-error.js';
import type { Metrics } from '../observe/metrics.js';
import { completeOptions, type ResolvedOptions } from '../options/complete.js';
import { SHUTDOWN_GRACE_MS } from '../options/defaults.js';
import { FLAG_TABLE, flagsToOptions } from '../options/flag-table.js';
import { proxyNotice, startupWarnings } from '../options/startup-warnings.js';
import { buildServer } from '../server/build-server.js';
import { listen, type Listening } from '../server/listen.js';
import { uiAnnouncement } from '../ui/ui-url.js';
import { helpText } from './help.js';
import { parseFlags, type ParsedFlags } from './parse-flags.js';
import { credentialOptions, warnAboutPolicyNames, type Cleanups, type PrepareContext, type Serving, type ServingIo } from './serving.js';
import { packageVersion } from './version.js';

/** What the command reads from and writes to the outside world; bin.ts passes the real process, tests their own. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly homedir: string;
  /** The command's name as invoked, for --help and usage errors: `kubegate`, or `kubectl gate` as a plugin. */
  readonly programName?: string;
  /** Whether standard input is a terminal (exec plugins may then prompt). */
  readonly stdinIsTerminal?: boolean;
  /** Calls `handler` on SIGTERM or SIGINT; returns a function that stops listening for them. */
  onShutdownSignal(handler: (signal: string) => void): () => void;
  /** For tests: receives the running proxy once it listens. */
  onListening?(info: { display: string; port: number | undefined }): void;
  /** Calls `handler` for a promise rejected with no handler; returns a function that stops it (bin.ts: the process). */
  onUnhandledRejection?(handler: (reason: unknown) => void): () => void;
}


/**
 * Runs kubegate until a shutdown signal. Resolves with the process exit code: 0 after a clean
 * shutdown, the error's exit code when start-up fails (the message is printed once, as `error: …`).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const cleanups: Cleanups = [];
  let logger: Logger | undefined;
  try {
    const parsed = parseCommandLine(argv, io);
    if (parsed === undefined) return STARTUP_ERRORS.KG_ERR_USAGE.exitCode;
    if (parsed.values.get('help') === true) {
      io.stdout.write(helpText(io.programName));
      return 0;
    }
    if (parsed.values.get('version') === true) {
      io.stdout.write(`kubegate v${packageVersion()}\n`);
      return 0;
    }
    const flags = flagsToOptions(parsed.values);
    const options = completeOptions(flags.proxy, flags.kubeconfig, { cwd: io.cwd, env: io.env });
    logger = await startLogger(options, io);
    return await run(options, io, logger, cleanups);
  } catch (error) {
    return reportStartupError(error, io);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    logger?.flush();
  }
}

/**
 * The flags, or undefined after printing a flag error as cobra does for kubectl: `Error: …` and a
 * pointer to the help (checks that come later, in complete(), print `error: …` alone, as kubectl's do).
 */
function parseCommandLine(argv: readonly string[], io: CliIo): ParsedFlags | undefined {
  try {
    return parseFlags(argv, FLAG_TABLE);
  } catch (error) {
    if (!isKubegateError(error)) throw error;
    io.stderr.write(`Error: ${error.message}\nSee '${io.programName ?? 'kubegate'} --help' for usage.\n`);
    return undefined;
  }
}

function reportStartupError(error: unknown, io: CliIo): number {
  if (isKubegateError(error)) {
    io.stderr.write(`error: ${error.message}\n`);
    return error.exitCode;
  }
  // A bug, not a user mistake: say so plainly, keep the detail for the report.
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr.write(`error: internal error in kubegate (please report it): ${detail}\n`);
  return 70;
}

async function startLogger(options: ResolvedOptions, io: CliIo): Promise<Logger> {
  const pretty = options.logFormat === 'text' || (options.logFormat === 'auto' && io.stderr.isTTY === true);
  return createLogger({ verbosity: options.verbosity, ...(pretty ? { pretty: await loadPrettyPrinter() } : {}) });
}

/** Loads the cluster(s), starts serving, prints the start-up lines, and waits for a shutdown signal. */
async function run(options: ResolvedOptions, io: CliIo, logger: Logger, cleanups: Cleanups): Promise<number> {
  // prom-client and the admin server load only with --admin-address.
  const metrics = options.adminAddress ? (await import('../observe/metrics.js')).createMetrics() : undefined;
  const stopReporting = io.onUnhandledRejection?.(reportUnhandledRejection(logger, () => metrics?.internalError()));
  if (stopReporting) cleanups.push(stopReporting);
  const userAgent = `kubegate/v${packageVersion()} (${process.platform}/${process.arch})`;
  // The page and its recorder load only with --ui (or --demo).
  const recorder = options.ui ? (await import('../ui/ui-server.js')).createUiRecorder({ ...options.ui, apiPrefix: options.apiPrefix }) : undefined;
  const prepare = { io, logger, metrics, userAgent, cleanups, recorder };
  const serving = options.multi.contexts ? await (await import('./serve-contexts.js')).prepareContexts(options, prepare) : await prepareSingle(options, prepare);
  const server = serving.server;
  let stopped = false;
  cleanups.push(async () => {
    if (!stopped) await server.shutdown(0);
  });
  await server.app.ready();
  const listening = await listen(server.app.server, options.listen);
  cleanups.push(() => listening.cleanup());
  // An interactive exec plugin logs in now (the port is already held, so a taken port fails first); a failure is a start-up error.
  if (serving.login) await serving.login();
  const admin = metrics ? await startAdmin(options, serving, metrics, cleanups) : undefined;
  // After both listeners are up: an address that cannot be bound fails first, with no warning about it.
  const bound = { api: listening.address, ...(admin ? { admin: admin.address } : {}) };
  for (const warning of serving.warnings(bound)) logger.warn(warning);
  await serving.onListening?.(listening);
  announce(options, io, listening, serving, admin);
  serving.afterAnnounce?.();
  const signal = await shutdownSignal(io);
  logger.info({ signal }, 'shutting down');
  await server.shutdown(SHUTDOWN_GRACE_MS);
  stopped = true;
  return 0;
}

/** The usual kubegate: one context (or the demo, or in-cluster), served at `/`. */
async function prepareSingle(options: ResolvedOptions, context: PrepareContext): Promise<Serving> {
  const { io, logger, metrics, userAgent } = context;
  const target = await loadTarget(options, io, logger, context.cleanups);
  const viaProxy = proxyNotice(target.restConfig);
  if (viaProxy !== undefined) logger.info(viaProxy);
  const credentials = createCredentials(target.restConfig, credentialOptions(options, context));
  const roles = options.server.decision.policy?.roles;
  const server = buildServer(options.server, { restConfig: target.restConfig, credentials, logger, userAgent, ...(metrics ? { metrics } : {}), ...(context.recorder ? { recorder: context.recorder } : {}) });
  return {
    server,
    ...(credentials.login ? { login: credentials.login } : {}),
    readiness: (create) => ({ readiness: create({ agent: server.agent, target: server.target, credentials, problems: () => credentials.problems() }) }),
    warnings: (bound) => startupWarnings(options, target.restConfig, bound),
    readyFields: { context: target.restConfig.names.context, server: redactUrlUserinfo(target.restConfig.server) },
    ...(target.afterListening ? { afterListening: target.afterListening } : {}),
    ...(roles ? { afterAnnounce: () => warnAboutPolicyNames(roles, server, credentials, options.verbosity, logger, userAgent) } : {}),
  };
}

interface Target {
  readonly restConfig: RestConfig;
  /** Lines printed after `Starting to serve on` (the demo's what-to-try). */
  readonly afterListening?: (display: string) => string;
}

/** The cluster to proxy to: the built-in demo, or the kubeconfig / in-cluster configuration. */
async function loadTarget(options: ResolvedOptions, io: ServingIo, logger: Logger, cleanups: Cleanups): Promise<Target> {
  if (options.demo) {
    // Loaded only when asked for: the demo server and its certificate library stay out of a normal start.
    const { startDemo, demoInstructions } = await import('./demo-mode.js');
    const demo = await startDemo(logger, options.demoUser);
    cleanups.push(() => demo.close());
    return { restConfig: demo.restConfig, afterListening: (display) => demoInstructions(display, demo.userName) };
  }
  const environment = { env: io.env, homedir: io.homedir, cwd: io.cwd, serviceAccountDir: options.serviceAccountDir };
  return { restConfig: await loadRestConfig(options.kubeconfig, environment, { appendServerPath: options.appendServerPath }) };
}

/** --admin-address: health, readiness and metrics on a listener of their own, never on the API port. */
async function startAdmin(options: ResolvedOptions, serving: Serving, metrics: Metrics, cleanups: Cleanups): Promise<Listening | undefined> {
  if (!options.adminAddress) return undefined;
  const { buildAdminServer, createReadinessCheck } = await import('../observe/admin.js');
  const filter = options.server.decision.filter;
  const admin = buildAdminServer({
    metrics,
    ...serving.readiness(createReadinessCheck),
    // The API port's Host rule (plus IP literals, for kubelet's probes); none with --disable-filter.
    acceptHosts: filter ? filter.acceptHosts : undefined,
    ...(filter ? { acceptHostsFlag: filter.flags.acceptHosts } : {}),
  });
  await admin.ready();
  const adminListening = await listen(admin.server, options.adminAddress, '--admin-address');
  cleanups.push(() => admin.close());
  return adminListening;
}

/**
 * One write: a reader that sees "Starting to serve on" sees the lines that belong with it too. The
 * first line stays kubectl's alone; the --ready-json line stays second; the admin listener comes after.
 */
function announce(options: ResolvedOptions, io: CliIo, listening: Listening, serving: Serving, admin: Listening | undefined): void {
  const ready = options.readyJson ? `${JSON.stringify({ address: listening.display, port: listening.port ?? null, pid: process.pid, ...serving.readyFields })}\n` : '';
  const adminLine = admin ? `Serving /healthz, /readyz and /metrics on ${admin.display}\n` : '';
  const uiLine = options.ui ? uiAnnouncement(listening.display) : '';
  io.stdout.write(`Starting to serve on ${listening.display}\n${ready}${adminLine}${uiLine}${serving.afterListening?.(listening.display) ?? ''}`);
  io.onListening?.({ display: listening.display, port: listening.port });
}

function shutdownSignal(io: CliIo): Promise<string> {
  return new Promise<string>((resolve) => {
    const stop = io.onShutdownSignal((name) => {
      stop();
      resolve(name);
    });
  });
}

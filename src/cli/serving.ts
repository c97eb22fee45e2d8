// How run() serves: one context at `/` (main.ts) or several under /clusters/ (serve-contexts.ts), and what both share.

import type { CredentialOptions } from '../auth/create-credentials.js';
import type { Credentials } from '../auth/credentials.js';
import type { Logger } from '../log.js';
import type { AdminOptions, createReadinessCheck } from '../observe/admin.js';
import type { Metrics } from '../observe/metrics.js';
import type { ProxyMetrics } from '../observe/observer.js';
import type { ResolvedOptions } from '../options/complete.js';
import { warnAboutPolicyResources } from '../options/policy-resource-warnings.js';
import type { BoundAddresses } from '../options/startup-warnings.js';
import type { KubegateServer, Upstream } from '../server/build-server.js';
import type { Listening } from '../server/listen.js';
import type { RolePolicy } from '../server/rbac-rules.js';
import type { RequestRecorder } from '../server/request-recorder.js';
import { createDiscoveryGet } from '../upstream/discovery.js';

/** Things to undo on the way out, last first. */
export type Cleanups = (() => Promise<void> | void)[];

/** The parts of the command's world that serving reads (main.ts's CliIo has them). */
export interface ServingIo {
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly homedir: string;
  readonly stdinIsTerminal?: boolean;
}

/** What run() needs from the command's world to prepare serving. */
export interface PrepareContext {
  readonly io: ServingIo;
  readonly logger: Logger;
  readonly metrics: Metrics | undefined;
  readonly userAgent: string;
  readonly cleanups: Cleanups;
  /** --ui: records requests for the page; absent otherwise. */
  readonly recorder: RequestRecorder | undefined;
}

/** One way of serving (one context at `/`, or several under /clusters/), ready to listen. */
export interface Serving {
  readonly server: Pick<KubegateServer, 'app' | 'shutdown'>;
  /** An interactive exec plugin's login, run once the port is held. */
  readonly login?: () => Promise<void>;
  /** What /readyz reports on the admin listener. */
  readiness(create: typeof createReadinessCheck): Pick<AdminOptions, 'readiness' | 'readinessOf'>;
  warnings(bound: BoundAddresses): string[];
  /** The --ready-json fields after address, port and pid. */
  readonly readyFields: Readonly<Record<string, unknown>>;
  /** Lines printed after `Starting to serve on` (the demo's what-to-try). */
  readonly afterListening?: (display: string) => string;
  /** Runs once listening, before the start-up lines (--print-kubeconfig). */
  readonly onListening?: (listening: Listening) => Promise<void>;
  /** Runs once the start-up lines are out (--policy's background discovery check). */
  readonly afterAnnounce?: () => void;
}

/** How every credential source is made: the same for one context or many. */
export function credentialOptions(options: ResolvedOptions, context: PrepareContext, log: Logger = context.logger, metrics: ProxyMetrics | undefined = context.metrics): CredentialOptions {
  const { io } = context;
  return {
    execTimeoutMs: options.execPluginTimeoutMs,
    stdinIsTerminal: io.stdinIsTerminal === true,
    env: io.env,
    log,
    // A person at the terminal sees an exec plugin's prompts (a device code) as it prints them, as under kubectl.
    ...(io.stdinIsTerminal === true || io.stderr.isTTY === true ? { liveStderr: (text: string) => io.stderr.write(text) } : {}),
    onMaterialProblem: (message: string) => log.warn(message),
    ...(metrics ? { onRefresh: (source: 'exec' | 'token-file', outcome: 'success' | 'failure') => metrics.credentialRefresh(source, outcome) } : {}),
  };
}

/**
 * --policy: once, in the background, names the file's API groups and resources the cluster does not
 * serve (through `upstream`, with its credentials); the request that led here never waits for it.
 */
export function warnAboutPolicyNames(roles: RolePolicy, upstream: Pick<Upstream, 'agent' | 'target'>, credentials: Credentials, verbosity: number, log: Logger, userAgent: string): void {
  void warnAboutPolicyResources(roles, createDiscoveryGet(upstream.agent, upstream.target, credentials, `${userAgent} policy-check`), {
    warn: (message) => log.warn(message),
    // An unreachable cluster only says so at -v=2.
    unchecked: (message) => (verbosity >= 2 ? log.warn(message) : undefined),
  });
}

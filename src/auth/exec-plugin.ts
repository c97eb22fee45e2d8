// Runs a client-go exec credential plugin (client.authentication.k8s.io v1/v1beta1) and caches what it returns.

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { credentialError, type KubegateError } from '../errors.js';
import type { ExecConfig } from '../kubeconfig/rest-config.js';
import type { ClientCertificate } from './credentials.js';
import { createLiveEcho, redactPluginOutput, visibleText } from './plugin-output.js';

/** What the plugin gave: a bearer token, a client certificate, or (rarely) both. */
export interface ExecCredential {
  readonly token?: string;
  readonly clientCertificate?: ClientCertificate;
  /** Epoch milliseconds; undefined means valid until a 401 says otherwise. */
  readonly expiresAt?: number;
}

/** The cluster block of KUBERNETES_EXEC_INFO, sent only when the kubeconfig says provideClusterInfo. */
export interface ExecClusterInfo {
  readonly server: string;
  readonly tlsServerName?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly certificateAuthorityData?: Buffer;
  readonly proxyUrl?: string;
  readonly disableCompression: boolean;
  /** `extensions[client.authentication.k8s.io/exec]` of the cluster, passed through untouched. */
  readonly config?: unknown;
}

export interface ExecPluginOptions {
  readonly cluster: ExecClusterInfo;
  /** A plugin that has not exited by then is killed and the request fails. */
  readonly timeoutMs: number;
  /** Whether kubegate's stdin is a terminal (interactiveMode IfAvailable/Always). */
  readonly stdinIsTerminal: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now?: () => number;
  /** Told after every plugin run. */
  readonly onRun?: (outcome: 'success' | 'failure') => void;
  /** Where the plugin's stderr goes (redacted): kubegate's log, never a response. */
  readonly log?: PluginLog;
  /**
   * Where the plugin's stderr is shown as it comes (redacted, a line at a time): kubegate's stderr when a
   * person watches it, so a device code or an MFA prompt appears as it does under kubectl. Unset (a
   * sidecar, a pipe): only the log has it.
   */
  readonly liveStderr?: (text: string) => void;
}

/** The slice of pino's Logger the plugin runner uses. */
export interface PluginLog {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export interface ExecCredentialSource {
  /** The cached credential when it is still fresh (the hot path), else undefined. */
  cached(): ExecCredential | undefined;
  /** A fresh credential: the cached one, or a plugin run shared by every concurrent caller. */
  get(): Promise<ExecCredential>;
  /** Forget the cached credential (after a 401): the next get() runs the plugin again. */
  invalidate(): void;
  /**
   * The first credential, fetched before kubegate serves while the user is at the terminal: like get(),
   * but with no time limit (client-go has none; a device-code login takes minutes, and Ctrl-C stops it).
   */
  login(): Promise<ExecCredential>;
}

/**
 * Refresh this long before expirationTimestamp, so a token is never sent in its last seconds.
 * While inside this window the old credential is still served and one refresh runs in the background.
 */
export const REFRESH_BEFORE_EXPIRY_MS = 30_000;
/** stderr kept for kubegate's log: plugins print their reason last. */
const STDERR_LIMIT = 4096;
/** Said in responses instead of the plugin's output, which may hold a refresh token or a password prompt. */
const OUTPUT_IN_LOG = "; what it printed on stderr is in kubegate's log";
/** A well-behaved plugin prints a few KB; refuse to buffer more than this. */
const STDOUT_LIMIT = 1024 * 1024;

function execInfo(exec: ExecConfig, options: ExecPluginOptions, interactive: boolean): string {
  const cluster = options.cluster;
  const spec: Record<string, unknown> = { interactive };
  if (exec.provideClusterInfo) {
    spec.cluster = {
      server: cluster.server,
      ...(cluster.tlsServerName ? { 'tls-server-name': cluster.tlsServerName } : {}),
      ...(cluster.insecureSkipTlsVerify ? { 'insecure-skip-tls-verify': true } : {}),
      ...(cluster.certificateAuthorityData ? { 'certificate-authority-data': cluster.certificateAuthorityData.toString('base64') } : {}),
      ...(cluster.proxyUrl ? { 'proxy-url': cluster.proxyUrl } : {}),
      ...(cluster.disableCompression ? { 'disable-compression': true } : {}),
      ...(cluster.config !== undefined ? { config: cluster.config } : {}),
    };
  }
  return JSON.stringify({ kind: 'ExecCredential', apiVersion: exec.apiVersion, spec });
}

/**
 * client-go's isInteractive: Never never prompts; IfAvailable prompts when stdin is a terminal; Always
 * without a terminal fails, in client-go's words, before the plugin runs (it would wait for an answer
 * nobody can give until the timeout).
 */
function interactiveFor(exec: ExecConfig, stdinIsTerminal: boolean): boolean {
  if (exec.interactiveMode === 'Never') return false;
  if (exec.interactiveMode === 'Always' && !stdinIsTerminal) {
    throw credentialError(
      `exec plugin cannot support interactive mode: standard input is not a terminal (${describePlugin(exec)} has interactiveMode Always; ` +
        'log in with the plugin first, run kubegate from a terminal, or set interactiveMode: IfAvailable or Never)',
    );
  }
  return stdinIsTerminal;
}

/** "exec plugin aws-iam-authenticator (users[name=eks].user.exec)", safe to print anywhere. */
function describePlugin(exec: ExecConfig): string {
  return `exec plugin ${visibleText(exec.command)} (${visibleText(exec.fieldPath)})`;
}

/** Names the field that is wrong, never its value: the value is plugin output and may be a secret. */
function fieldError(exec: ExecConfig, detail: string): KubegateError {
  return credentialError(`${describePlugin(exec)} returned an unusable ExecCredential: ${detail}`);
}

/** What Go's net/http (and Node's) refuse in a header value: controls other than tab. */
const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Validates the plugin's stdout as client-go does (exec.go: decode, apiVersion match, token or cert/key pair). */
export function parseExecCredential(exec: ExecConfig, stdout: string): ExecCredential {
  let document: unknown;
  try {
    document = JSON.parse(stdout);
  } catch {
    throw fieldError(exec, 'its standard output is not JSON');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw fieldError(exec, 'expected a JSON object');
  const body = document as Record<string, unknown>;
  if (body.kind !== 'ExecCredential') throw fieldError(exec, 'kind is not "ExecCredential"');
  if (body.apiVersion !== exec.apiVersion) {
    throw fieldError(exec, `apiVersion is not "${visibleText(exec.apiVersion)}", the one the kubeconfig asked for`);
  }
  const status = body.status;
  if (typeof status !== 'object' || status === null) throw fieldError(exec, 'status is missing');
  const fields = status as Record<string, unknown>;
  const text = (name: string): string | undefined => {
    const value = fields[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw fieldError(exec, `status.${name} is not a string`);
    return value;
  };
  const token = text('token');
  if (token !== undefined && INVALID_HEADER_VALUE.test(token)) throw fieldError(exec, 'status.token holds characters an HTTP header cannot carry');
  const cert = text('clientCertificateData');
  const key = text('clientKeyData');
  if ((cert === undefined) !== (key === undefined)) {
    throw fieldError(exec, 'status.clientCertificateData and status.clientKeyData must both be present or both be absent');
  }
  if (token === undefined && cert === undefined) throw fieldError(exec, 'it holds neither a token nor a client certificate and key');
  let expiresAt: number | undefined;
  const expiration = text('expirationTimestamp');
  if (expiration !== undefined) {
    expiresAt = Date.parse(expiration);
    if (Number.isNaN(expiresAt)) throw fieldError(exec, 'status.expirationTimestamp is not an RFC 3339 time');
  }
  return {
    ...(token !== undefined ? { token } : {}),
    ...(cert !== undefined && key !== undefined ? { clientCertificate: { cert: Buffer.from(cert), key: Buffer.from(key) } } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}

/** Why the plugin could not be started, in client-go's words for a missing one (with its installHint). */
function startError(exec: ExecConfig, error: NodeJS.ErrnoException): KubegateError {
  if (error.code === 'ENOENT') {
    // The hint comes from the kubeconfig, which may have been handed over by someone else: shown, never obeyed by a terminal.
    const hint = exec.installHint ? `\n\n${visibleText(exec.installHint, true)}` : '';
    return credentialError(
      `exec: executable ${visibleText(exec.command)} not found (${visibleText(exec.fieldPath)})\n\nIt looks like you are trying to use a client-go credential plugin that is not installed.${hint}`,
      error,
    );
  }
  if (error.code === 'EACCES') return credentialError(`${describePlugin(exec)} cannot be run: permission denied (is it executable?)`, error);
  return credentialError(`${describePlugin(exec)} failed to start: ${error.code ?? 'unknown error'}`, error);
}

/**
 * The plugin's stderr goes to kubegate's log (and, live, to its terminal when someone watches it; client-go
 * passes it to the terminal raw): redacted, its control characters made visible. Responses only say that
 * it is there, never what it is.
 */
function logStderr(exec: ExecConfig, options: ExecPluginOptions, stderr: string, outcome: string | undefined): string {
  const trimmed = stderr.trim();
  if (trimmed === '') return '';
  const fields = { plugin: visibleText(exec.command), fieldPath: visibleText(exec.fieldPath), stderr: redactPluginOutput(trimmed) };
  if (outcome === undefined) options.log?.info(fields, `${describePlugin(exec)} wrote to stderr`);
  else options.log?.warn({ ...fields, outcome }, `${describePlugin(exec)} ${outcome}; its stderr (redacted) follows`);
  return OUTPUT_IN_LOG;
}

function pluginEnv(exec: ExecConfig, options: ExecPluginOptions, interactive: boolean): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...options.env };
  for (const variable of exec.env) env[variable.name] = variable.value;
  env.KUBERNETES_EXEC_INFO = execInfo(exec, options, interactive);
  return env;
}

/** What a running plugin has written: stdout for the credential, the end of stderr for the log. */
interface PluginOutput {
  stdout(): string;
  stderr(): string;
  /** Stops the live copy of stderr (shows a pending partial line). */
  endEcho(): void;
}

/** Reads the plugin's pipes; stderr is also shown live on kubegate's terminal when someone watches it. */
function collectOutput(child: ChildProcessByStdio<null, Readable, Readable>, options: ExecPluginOptions, onTooLarge: () => void): PluginOutput {
  const stdout: Buffer[] = [];
  let stdoutBytes = 0;
  let stderr = '';
  const echo = options.liveStderr ? createLiveEcho(options.liveStderr) : undefined;
  let echoing = echo !== undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    stdoutBytes += chunk.length;
    if (stdoutBytes > STDOUT_LIMIT) onTooLarge();
    else stdout.push(chunk);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_LIMIT);
    if (echoing) echo?.push(chunk);
  });
  return {
    stdout: () => Buffer.concat(stdout).toString('utf8'),
    stderr: () => stderr,
    endEcho() {
      echoing = false;
      echo?.end();
    },
  };
}

/**
 * Runs the plugin once, asynchronously; never blocks the event loop, never inherits stdout. Its stdin is
 * kubegate's only when interactive (client-go's rule). `timeoutMs` undefined: no time limit.
 */
function runPlugin(exec: ExecConfig, options: ExecPluginOptions, timeoutMs: number | undefined): Promise<ExecCredential> {
  return new Promise((resolve, reject) => {
    let interactive: boolean;
    try {
      interactive = interactiveFor(exec, options.stdinIsTerminal);
    } catch (error) {
      reject(error);
      return;
    }
    const child = spawn(exec.command, [...exec.args], {
      env: pluginEnv(exec, options, interactive),
      // Interactive plugins prompt on the terminal; the credential itself always comes back on a pipe.
      stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'pipe'],
    });
    let settled = false;
    const finish = (error: KubegateError | undefined, credential?: ExecCredential): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      output.endEcho();
      if (error) reject(error);
      else resolve(credential as ExecCredential);
    };
    const fail = (how: string): void => {
      output.endEcho();
      finish(credentialError(`${describePlugin(exec)} ${how}${logStderr(exec, options, output.stderr(), how)}`));
    };
    const output = collectOutput(child, options, () => {
      child.kill('SIGKILL');
      finish(fieldError(exec, `its output is larger than ${STDOUT_LIMIT} bytes`));
    });
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
      child.kill('SIGKILL');
      fail(`did not finish within ${timeoutMs / 1000}s and was stopped`);
    }, timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => finish(startError(exec, error)));
    child.on('close', (code, signal) => {
      if (settled) return;
      if (code !== 0) {
        fail(code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${code}`);
        return;
      }
      output.endEcho();
      logStderr(exec, options, output.stderr(), undefined);
      try {
        finish(undefined, parseExecCredential(exec, output.stdout()));
      } catch (error) {
        finish(error as KubegateError);
      }
    });
  });
}

export function createExecCredentialSource(exec: ExecConfig, options: ExecPluginOptions): ExecCredentialSource {
  const now = options.now ?? Date.now;
  let current: ExecCredential | undefined;
  let running: Promise<ExecCredential> | undefined;

  const run = (timed = true): Promise<ExecCredential> => {
    // Concurrent callers share one run: a burst of requests never starts a burst of plugins.
    running ??= runPlugin(exec, options, timed ? options.timeoutMs : undefined).then(
      (credential) => {
        current = credential;
        running = undefined;
        options.onRun?.('success');
        return credential;
      },
      (error: unknown) => {
        running = undefined;
        options.onRun?.('failure');
        throw error;
      },
    );
    return running;
  };

  const usable = (credential: ExecCredential | undefined): credential is ExecCredential =>
    credential !== undefined && (credential.expiresAt === undefined || now() < credential.expiresAt);

  return {
    cached() {
      if (!usable(current)) return undefined;
      if (current.expiresAt !== undefined && current.expiresAt - now() < REFRESH_BEFORE_EXPIRY_MS && running === undefined) {
        // Close to expiry: keep serving this one while a fresh one is fetched; a failed refresh is retried by the next caller.
        run().catch(() => {});
      }
      return current;
    },
    get() {
      const cached = this.cached();
      return cached ? Promise.resolve(cached) : run();
    },
    invalidate() {
      current = undefined;
    },
    login() {
      const cached = this.cached();
      return cached ? Promise.resolve(cached) : run(false);
    },
  };
}

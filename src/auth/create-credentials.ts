// Builds the live credential source for a RestConfig: which secret goes on each request and connection.

import type { AuthConfig, ExecConfig, RestConfig } from '../kubeconfig/rest-config.js';
import type { ClientCertificate, Credentials } from './credentials.js';
import { createExecCredentialSource, type ExecCredential, type PluginLog } from './exec-plugin.js';
import { certificateExpiry, earliest, jwtExpiry } from './expiry.js';
import { persistAuthProviderConfig } from '../kubeconfig/persist-auth-provider.js';
import { createOidcCredentialSource } from './oidc.js';
import { createMaterialReader, createTlsMaterial, type FileCheckOptions } from './material.js';
import { createTokenFileSource } from './token-file.js';

function staticAuthorization(config: RestConfig): (() => string | undefined) | undefined {
  const auth = config.auth;
  switch (auth.kind) {
    case 'none':
      return () => undefined;
    case 'token': {
      const value = `Bearer ${auth.token}`;
      return () => value;
    }
    case 'basic': {
      const value = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      return () => value;
    }
    case 'oidc':
    case 'token-file':
    case 'exec':
      return undefined;
    default: {
      const unreachable: never = auth;
      throw new Error(`unhandled auth kind ${JSON.stringify(unreachable)}`);
    }
  }
}

export interface CredentialOptions {
  /** How long an exec credential plugin may run. */
  readonly execTimeoutMs: number;
  /** kubegate's stdin is a terminal: exec plugins with interactiveMode IfAvailable may prompt. */
  readonly stdinIsTerminal: boolean;
  /** The environment exec plugins inherit. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How often token, certificate and CA files are checked for rotation (tests set 0 or a manual clock). */
  readonly fileChecks?: FileCheckOptions;
  /** Told about plugin runs and token rotations (the metrics). */
  readonly onRefresh?: (source: 'exec' | 'token-file', outcome: 'success' | 'failure') => void;
  /** How long an OIDC refresh (discovery and token request) may take; default 30s. */
  readonly oidcTimeoutMs?: number;
  /** kubegate's log: where an exec plugin's stderr goes, redacted (never into a response). */
  readonly log?: PluginLog;
  /** kubegate's stderr when a person watches it: an exec plugin's stderr is shown there live, redacted. */
  readonly liveStderr?: (text: string) => void;
  /** Told once per change when a certificate, key or CA file on disk cannot be used (the last good one is kept). */
  readonly onMaterialProblem?: (message: string) => void;
}

/** Credentials that can also say what is wrong on disk while older material keeps working (for /readyz). */
export interface CredentialsWithProblems extends Credentials {
  /** Each unusable certificate, key, CA or token file, with what is used instead; empty when all is well. */
  problems(): readonly string[];
  /**
   * Present when an exec plugin may prompt on kubegate's terminal (interactiveMode IfAvailable or Always,
   * stdin a terminal): runs it now, before serving, so the login happens at start-up, not on a request.
   */
  readonly login?: () => Promise<void>;
  /** Whether a credential is in hand without I/O: always for static kinds, once fetched for exec plugins and OIDC. */
  inHand(): boolean;
}

const DEFAULT_OIDC_TIMEOUT_MS = 30_000;
const DEFAULT_CREDENTIAL_OPTIONS: CredentialOptions = { execTimeoutMs: 60_000, stdinIsTerminal: false, env: process.env };

/** What one kind of credential source contributes; the rest (TLS material, expiry) is shared. */
interface AuthorizationSource {
  readonly authorization: () => string | undefined | Promise<string | undefined>;
  /**
   * The Authorization value in hand now, without I/O: expiresAt() must never start a plugin run whose
   * rejection nobody awaits (that was an unhandled rejection, and the process exited, on /readyz).
   */
  readonly current: () => string | undefined;
  readonly invalidate: () => void;
  /** The due file check of a token file in use (Credentials.recheck); nothing for the other kinds. */
  readonly recheck: () => void;
  /** What the credential itself says about its end of life (plugins report it; tokens may be JWTs). */
  readonly expiry: () => number | undefined;
  /** An exec plugin may hand out a client certificate instead of (or besides) a token. */
  readonly certificate: () => ClientCertificate | undefined;
  /** What is wrong with it on disk right now (a token file gone bad while the last good token serves). */
  readonly problem: () => string | undefined;
  /** An interactive exec plugin's start-up login. */
  readonly login?: () => Promise<void>;
}

const NOTHING = {
  invalidate: (): void => {},
  recheck: (): void => {},
  expiry: (): number | undefined => undefined,
  certificate: (): ClientCertificate | undefined => undefined,
  problem: (): string | undefined => undefined,
};

function fixedSource(value: () => string | undefined): AuthorizationSource {
  return { ...NOTHING, authorization: value, current: value };
}

function tokenFileSource(path: string, options: CredentialOptions): AuthorizationSource {
  const source = createTokenFileSource(path, {
    ...options.fileChecks,
    ...(options.onRefresh ? { onRefresh: (outcome: 'success' | 'failure') => options.onRefresh?.('token-file', outcome) } : {}),
  });
  const authorization = (): string | Promise<string> => source.authorization();
  return {
    ...NOTHING,
    authorization,
    current: () => {
      const value = authorization();
      return typeof value === 'string' ? value : undefined;
    },
    invalidate: () => source.invalidate(),
    recheck: () => source.recheck(),
    problem: () => source.problem,
  };
}

function execSource(config: RestConfig, exec: ExecConfig, options: CredentialOptions): AuthorizationSource {
  const ca = config.tls.ca;
  const source = createExecCredentialSource(exec, {
    cluster: {
      server: config.server,
      insecureSkipTlsVerify: config.tls.insecureSkipTlsVerify,
      disableCompression: config.disableCompression,
      ...(config.tls.serverName ? { tlsServerName: config.tls.serverName } : {}),
      ...(ca ? { certificateAuthorityData: createMaterialReader(ca).read() } : {}),
      ...(config.proxyUrl ? { proxyUrl: config.proxyUrl } : {}),
      ...(exec.clusterConfig !== undefined ? { config: exec.clusterConfig } : {}),
    },
    timeoutMs: options.execTimeoutMs,
    stdinIsTerminal: options.stdinIsTerminal,
    env: options.env,
    ...(options.onRefresh ? { onRun: (outcome: 'success' | 'failure') => options.onRefresh?.('exec', outcome) } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.liveStderr ? { liveStderr: options.liveStderr } : {}),
  });
  const bearer = (credential: ExecCredential): string | undefined => (credential.token !== undefined ? `Bearer ${credential.token}` : undefined);
  return {
    ...NOTHING,
    authorization: () => {
      const cached = source.cached();
      return cached ? bearer(cached) : source.get().then(bearer);
    },
    current: () => {
      const cached = source.cached();
      return cached ? bearer(cached) : undefined;
    },
    certificate: () => source.cached()?.clientCertificate,
    expiry: () => source.cached()?.expiresAt,
    invalidate: () => source.invalidate(),
    // The plugin will prompt the person at the terminal: better now than when the first request hangs on it.
    ...(options.stdinIsTerminal && exec.interactiveMode !== 'Never' ? { login: () => source.login().then(() => undefined) } : {}),
  };
}

function oidcSource(auth: Extract<AuthConfig, { kind: 'oidc' }>, options: CredentialOptions): AuthorizationSource {
  const source = createOidcCredentialSource(auth, {
    timeoutMs: options.oidcTimeoutMs ?? DEFAULT_OIDC_TIMEOUT_MS,
    ...(auth.file && auth.user !== undefined ? { persist: (updates: Readonly<Record<string, string>>) => persistAuthProviderConfig(auth.file as string, auth.user as string, updates) } : {}),
  });
  const current = (): string | undefined => {
    const cached = source.cached();
    return cached !== undefined ? `Bearer ${cached}` : undefined;
  };
  return { ...NOTHING, authorization: () => current() ?? source.get().then((token) => `Bearer ${token}`), current };
}

/** The source for the RestConfig's auth kind; none over plain http (client-go's IsConfigTransportTLS rule). */
function authorizationSource(config: RestConfig, options: CredentialOptions): AuthorizationSource {
  if (config.serverUrl.protocol !== 'https:') return fixedSource(() => undefined);
  switch (config.auth.kind) {
    case 'token-file':
      return tokenFileSource(config.auth.path, options);
    case 'exec':
      return execSource(config, config.auth.exec, options);
    case 'oidc':
      return oidcSource(config.auth, options);
    default:
      return fixedSource(staticAuthorization(config) ?? (() => undefined));
  }
}

/**
 * The live credentials for a RestConfig: the Authorization source for its auth kind, the TLS
 * material (kept at the last good version when a file on disk goes bad), and when they expire.
 * Over plain http nothing secret is ever sent.
 */
export function createCredentials(config: RestConfig, options: CredentialOptions = DEFAULT_CREDENTIAL_OPTIONS): CredentialsWithProblems {
  const tls = config.serverUrl.protocol === 'https:';
  const material = createTlsMaterial(
    tls ? { ca: config.tls.ca, cert: config.tls.clientCertificate?.cert, key: config.tls.clientCertificate?.key } : {},
    { ...options.fileChecks, ...(options.onMaterialProblem ? { onProblem: options.onMaterialProblem } : {}) },
  );
  const source = authorizationSource(config, options);
  const clientCertificate = (): ClientCertificate | undefined => source.certificate() ?? material.clientCertificate();
  const certificateEnd = lastCertificateExpiry();
  return {
    authorization: source.authorization,
    clientCertificate,
    certificateAuthority: () => material.certificateAuthority(),
    problems() {
      const token = source.problem();
      return token === undefined ? material.problems() : [...material.problems(), token];
    },
    expiresAt() {
      const value = source.current();
      const bearer = value?.startsWith('Bearer ') ? value.slice('Bearer '.length) : undefined;
      return earliest(source.expiry(), bearer ? jwtExpiry(bearer) : undefined, certificateEnd(clientCertificate()));
    },
    invalidate() {
      source.invalidate();
      material.invalidate();
    },
    certificateRejected() {
      if (source.certificate() === undefined) return false;
      source.invalidate();
      return true;
    },
    recheck() {
      source.recheck();
      // The CA as a new connection would take it (dial.ts currentTlsOptions): none when verification is off.
      if (!config.tls.insecureSkipTlsVerify) material.certificateAuthority();
      // Not with an exec plugin: its certificate, when it gives one, takes precedence over the files,
      // and even asking for it may start a run near its expiry (a request's business, not this one's).
      if (config.auth.kind !== 'exec') material.clientCertificate();
    },
    close() {},
    inHand: () => !(tls && (config.auth.kind === 'exec' || config.auth.kind === 'oidc')) || source.current() !== undefined || source.certificate() !== undefined,
    ...(source.login ? { login: source.login } : {}),
  };
}

/** A certificate's notAfter, parsed once per certificate object (the same Buffer until a rotation). */
function lastCertificateExpiry(): (certificate: ClientCertificate | undefined) => number | undefined {
  let last: ClientCertificate | undefined;
  let end: number | undefined;
  return (certificate) => {
    if (!certificate) return undefined;
    if (certificate !== last) {
      last = certificate;
      end = certificateExpiry(certificate.cert);
    }
    return end;
  };
}

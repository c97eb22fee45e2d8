// Builds the live credential source for a RestConfig: which secret goes on each request and connection.

import type { RestConfig } from '../kubeconfig/rest-config.js';
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
  /** Told once per change when a certificate, key or CA file on disk cannot be used (the last good one is kept). */
  readonly onMaterialProblem?: (message: string) => void;
}

/** Credentials that can also say what is wrong on disk while older material keeps working (for /readyz). */
export interface CredentialsWithProblems extends Credentials {
  /** Each unusable certificate, key, CA or token file, with what is used instead; empty when all is well. */
  problems(): readonly string[];
}

const DEFAULT_OIDC_TIMEOUT_MS = 30_000;
const DEFAULT_CREDENTIAL_OPTIONS: CredentialOptions = { execTimeoutMs: 60_000, stdinIsTerminal: false, env: process.env };

/**
 * Credentials are loaded only for https:// servers (client-go's IsConfigTransportTLS rule): over
 * plain http nothing secret is ever sent.
 */
export function createCredentials(config: RestConfig, options: CredentialOptions = DEFAULT_CREDENTIAL_OPTIONS): CredentialsWithProblems {
  const tls = config.serverUrl.protocol === 'https:';
  const material = createTlsMaterial(
    tls ? { ca: config.tls.ca, cert: config.tls.clientCertificate?.cert, key: config.tls.clientCertificate?.key } : {},
    { ...options.fileChecks, ...(options.onMaterialProblem ? { onProblem: options.onMaterialProblem } : {}) },
  );
  let tokenProblem = (): string | undefined => undefined;
  let lastExpiryCertificate: ClientCertificate | undefined;
  let lastCertificateEnd: number | undefined;

  let authorization: () => string | undefined | Promise<string | undefined>;
  // The Authorization value in hand now, without I/O: expiresAt() must never start a plugin run whose
  // rejection nobody awaits (that was an unhandled rejection, and the process exited, on /readyz).
  let currentAuthorization = (): string | undefined => {
    const value = authorization();
    return typeof value === 'string' ? value : undefined;
  };
  let invalidate = (): void => {};
  // What the credential itself says about its end of life (plugins report it; tokens may be JWTs).
  let credentialExpiry = (): number | undefined => undefined;
  // An exec plugin may hand out a client certificate instead of (or besides) a token.
  let pluginCertificate = (): ClientCertificate | undefined => undefined;
  if (!tls) {
    authorization = () => undefined;
  } else if (config.auth.kind === 'token-file') {
    const source = createTokenFileSource(config.auth.path, {
      ...options.fileChecks,
      ...(options.onRefresh ? { onRefresh: (outcome: 'success' | 'failure') => options.onRefresh?.('token-file', outcome) } : {}),
    });
    authorization = () => source.authorization();
    invalidate = () => source.invalidate();
    tokenProblem = () => source.problem;
  } else if (config.auth.kind === 'exec') {
    const ca = config.tls.ca;
    const source = createExecCredentialSource(config.auth.exec, {
      cluster: {
        server: config.server,
        insecureSkipTlsVerify: config.tls.insecureSkipTlsVerify,
        disableCompression: config.disableCompression,
        ...(config.tls.serverName ? { tlsServerName: config.tls.serverName } : {}),
        ...(ca ? { certificateAuthorityData: createMaterialReader(ca).read() } : {}),
        ...(config.proxyUrl ? { proxyUrl: config.proxyUrl } : {}),
        ...(config.auth.exec.clusterConfig !== undefined ? { config: config.auth.exec.clusterConfig } : {}),
      },
      timeoutMs: options.execTimeoutMs,
      stdinIsTerminal: options.stdinIsTerminal,
      env: options.env,
      ...(options.onRefresh ? { onRun: (outcome: 'success' | 'failure') => options.onRefresh?.('exec', outcome) } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    const bearer = (credential: ExecCredential): string | undefined => (credential.token !== undefined ? `Bearer ${credential.token}` : undefined);
    authorization = () => {
      const cached = source.cached();
      return cached ? bearer(cached) : source.get().then(bearer);
    };
    currentAuthorization = () => {
      const cached = source.cached();
      return cached ? bearer(cached) : undefined;
    };
    pluginCertificate = () => source.cached()?.clientCertificate;
    credentialExpiry = () => source.cached()?.expiresAt;
    invalidate = () => source.invalidate();
  } else if (config.auth.kind === 'oidc') {
    const auth = config.auth;
    const source = createOidcCredentialSource(auth, {
      timeoutMs: options.oidcTimeoutMs ?? DEFAULT_OIDC_TIMEOUT_MS,
      ...(auth.file && auth.user !== undefined ? { persist: (updates: Readonly<Record<string, string>>) => persistAuthProviderConfig(auth.file as string, auth.user as string, updates) } : {}),
    });
    authorization = () => {
      const cached = source.cached();
      return cached !== undefined ? `Bearer ${cached}` : source.get().then((token) => `Bearer ${token}`);
    };
    currentAuthorization = () => {
      const cached = source.cached();
      return cached !== undefined ? `Bearer ${cached}` : undefined;
    };
  } else {
    authorization = staticAuthorization(config) ?? (() => undefined);
  }

  return {
    authorization,
    clientCertificate() {
      const fromPlugin = pluginCertificate();
      if (fromPlugin) return fromPlugin;
      return material.clientCertificate();
    },
    certificateAuthority: () => material.certificateAuthority(),
    problems() {
      const token = tokenProblem();
      return token === undefined ? material.problems() : [...material.problems(), token];
    },
    expiresAt() {
      let bearer: string | undefined;
      try {
        const value = currentAuthorization();
        bearer = value?.startsWith('Bearer ') ? value.slice('Bearer '.length) : undefined;
      } catch {
        bearer = undefined;
      }
      const certificate = this.clientCertificate();
      let certificateEnd: number | undefined;
      if (certificate && certificate !== lastExpiryCertificate) {
        lastExpiryCertificate = certificate;
        lastCertificateEnd = certificateExpiry(certificate.cert);
      }
      if (certificate) certificateEnd = lastCertificateEnd;
      return earliest(credentialExpiry(), bearer ? jwtExpiry(bearer) : undefined, certificateEnd);
    },
    invalidate() {
      invalidate();
      material.invalidate();
    },
    close() {},
  };
}

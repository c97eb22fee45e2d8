// The legacy `auth-provider: oidc` (client-go plugin/pkg/client/auth/oidc): serve the id-token, refresh it with the refresh token.

import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { credentialError, type KubegateError } from '../errors.js';
import { idTokenState } from '../kubeconfig/id-token.js';
import type { OidcAuthConfig } from '../kubeconfig/rest-config.js';

export { idTokenState, OIDC_EXPIRY_DELTA_MS } from '../kubeconfig/id-token.js';

/** Discovery documents and token answers are a few KB; refuse to buffer more. */
const RESPONSE_LIMIT = 1024 * 1024;

export interface OidcOptions {
  /** The whole refresh (discovery and token request) must finish by then. */
  readonly timeoutMs: number;
  readonly now?: () => number;
  /** Writes the new values back to the kubeconfig file (client-go's persister); failing it fails the refresh, as in client-go. */
  readonly persist?: (updates: Readonly<Record<string, string>>) => Promise<void>;
  /** Told after every refresh. */
  readonly onRefresh?: (outcome: 'success' | 'failure') => void;
}

export interface OidcCredentialSource {
  /** The id-token while it is valid (the hot path), else undefined. */
  cached(): string | undefined;
  /** A valid id-token: the cached one, or a refresh shared by every concurrent caller. */
  get(): Promise<string>;
}

/** "the oidc auth-provider of user "u" (issuer https://…)": never a token. */
function describe(auth: OidcAuthConfig): string {
  return `the oidc auth-provider of user "${auth.user}" (issuer ${auth.config['idp-issuer-url'] ?? ''})`;
}

function oidcError(auth: OidcAuthConfig, detail: string, cause?: unknown): KubegateError {
  return credentialError(`${describe(auth)}: ${detail}`, cause);
}

/** The issuer's CA, read at each refresh so a rotated file is picked up; data wins over the file (client-go's TLS rule). */
function issuerCa(auth: OidcAuthConfig): Buffer | undefined {
  const data = auth.config['idp-certificate-authority-data'];
  const file = auth.config['idp-certificate-authority'];
  return data ? Buffer.from(data, 'base64') : file ? readFileSync(file) : undefined;
}

interface IssuerAnswer {
  readonly statusCode: number;
  readonly text: string;
}

/** One request to the issuer with node:https (no connection pool: a refresh is rare), its answer capped at RESPONSE_LIMIT. */
function askIssuer(url: string, init: { method: string; headers: Record<string, string>; body?: string; ca: Buffer | undefined; signal: AbortSignal }): Promise<IssuerAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'http:' ? httpRequest : httpsRequest;
    const request = send(target, { method: init.method, headers: init.headers, signal: init.signal, ...(init.ca ? { ca: init.ca } : {}) }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > RESPONSE_LIMIT) {
          response.destroy(new Error(`the answer is larger than ${RESPONSE_LIMIT} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('error', reject);
      response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    request.end(init.body);
  });
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** OpenID Connect discovery: the issuer's token_endpoint. */
async function tokenEndpoint(auth: OidcAuthConfig, ca: Buffer | undefined, signal: AbortSignal): Promise<string> {
  const wellKnown = `${(auth.config['idp-issuer-url'] ?? '').replace(/\/$/, '')}/.well-known/openid-configuration`;
  const answer = await askIssuer(wellKnown, { method: 'GET', headers: { accept: 'application/json' }, ca, signal });
  const text = answer.text;
  if (answer.statusCode !== 200) throw oidcError(auth, `oidc: failed to query metadata endpoint: HTTP ${answer.statusCode}`);
  const endpoint = jsonObject(text)?.token_endpoint;
  if (typeof endpoint !== 'string' || endpoint === '') throw oidcError(auth, "oidc: discovery object doesn't contain a token_endpoint");
  return endpoint;
}

/** The OAuth error code (`invalid_grant`, …) when the answer has a well-formed one; never its free-text description. */
function oauthErrorCode(text: string): string {
  const code = jsonObject(text)?.error;
  return typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? ` (${code})` : '';
}

/** The refresh_token grant; client credentials go in the form body (client_secret_post). */
async function refreshTokens(auth: OidcAuthConfig, signal: AbortSignal): Promise<{ idToken: string; refreshToken?: string }> {
  const ca = issuerCa(auth);
  const endpoint = await tokenEndpoint(auth, ca, signal);
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: auth.config['refresh-token'] ?? '', client_id: auth.config['client-id'] ?? '' });
  if (auth.config['client-secret']) form.set('client_secret', auth.config['client-secret']);
  const answer = await askIssuer(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    ca,
    signal,
  });
  const text = answer.text;
  if (answer.statusCode !== 200) throw oidcError(auth, `failed to refresh token: the token endpoint answered HTTP ${answer.statusCode}${oauthErrorCode(text)}`);
  const body = jsonObject(text);
  const idToken = body?.id_token;
  if (typeof idToken !== 'string' || idToken === '') {
    throw oidcError(auth, 'token response did not contain an id_token, either the scope "openid" wasn\'t requested upon login, or the provider doesn\'t support id_tokens as part of the refresh response');
  }
  const refreshToken = typeof body?.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : undefined;
  return { idToken, ...(refreshToken ? { refreshToken } : {}) };
}

export function createOidcCredentialSource(auth: OidcAuthConfig, options: OidcOptions): OidcCredentialSource {
  const now = options.now ?? Date.now;
  let config: Readonly<Record<string, string>> = auth.config;
  let running: Promise<string> | undefined;

  const refresh = async (): Promise<string> => {
    const refreshToken = config['refresh-token'] ?? '';
    if (refreshToken === '') throw oidcError(auth, 'No valid id-token, and cannot refresh without refresh-token');
    const signal = AbortSignal.timeout(options.timeoutMs);
    let tokens: { idToken: string; refreshToken?: string };
    try {
      tokens = await refreshTokens({ ...auth, config }, signal);
    } catch (error) {
      if ((error as KubegateError).code === 'KG_ERR_CREDENTIAL') throw error;
      // Network and TLS errors say which host failed; their messages hold no token.
      const reason = signal.aborted ? `did not answer within ${options.timeoutMs / 1000}s` : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
      throw oidcError(auth, `failed to refresh token: ${reason}`, error);
    }
    const updates: Record<string, string> = { 'id-token': tokens.idToken };
    if (tokens.refreshToken !== undefined && tokens.refreshToken !== refreshToken) updates['refresh-token'] = tokens.refreshToken;
    if (options.persist) {
      try {
        await options.persist(updates);
      } catch (error) {
        throw oidcError(auth, `could not persist new tokens: ${(error as Error).message}`, error);
      }
    }
    config = { ...config, ...updates };
    return tokens.idToken;
  };

  const run = (): Promise<string> => {
    running ??= refresh().then(
      (token) => {
        running = undefined;
        options.onRefresh?.('success');
        return token;
      },
      (error: unknown) => {
        running = undefined;
        options.onRefresh?.('failure');
        throw error;
      },
    );
    return running;
  };

  return {
    cached() {
      const token = config['id-token'] ?? '';
      return token !== '' && idTokenState(token, now()) === 'valid' ? token : undefined;
    },
    get() {
      const token = config['id-token'] ?? '';
      if (token !== '') {
        const state = idTokenState(token, now());
        if (state === 'valid') return Promise.resolve(token);
        // client-go fails here even when it could refresh.
        if (state === 'not-jwt') return Promise.reject(oidcError(auth, 'ID Token is not a valid JWT'));
      }
      return run();
    },
  };
}

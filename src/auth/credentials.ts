// The runtime credential source the proxy asks before each upstream request and TLS connection.

import type { KubegateError } from '../errors.js';

export interface ClientCertificate {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * Live credentials for one RestConfig. Implementations re-read rotated files and refresh plugin
 * output themselves; callers never cache what these return.
 */
export interface Credentials {
  /**
   * The `Authorization` header value for the next request, or undefined for none. Synchronous
   * when the answer is cached (the hot path); a Promise only when it must do I/O (exec plugin run).
   * Rejects/throws a KubegateError with code KG_ERR_CREDENTIAL when no credential can be produced.
   */
  authorization(): string | undefined | Promise<string | undefined>;
  /** The client certificate for a new TLS connection, read current; undefined when none is configured. */
  clientCertificate(): ClientCertificate | undefined;
  /** The CA bundle for a new TLS connection, read current; undefined means the system roots. */
  certificateAuthority(): Buffer | undefined;
  /**
   * When the credentials in use stop working, if they say so (exec plugin expirationTimestamp, a JWT's
   * `exp`, the client certificate's notAfter): the earliest, in epoch ms; undefined when unknown.
   */
  expiresAt(): number | undefined;
  /** The upstream answered 401: drop cached secrets so the next call re-reads or re-runs. */
  invalidate(): void;
  /**
   * The upstream answered 401 to a request only the client certificate authenticated. A
   * certificate an exec plugin handed out is dropped, so the next request runs the plugin again
   * (client-go's exec authenticator refreshes on a 401 whatever the plugin gave); certificate files
   * are left to their own recheck, as client-go leaves them. True when something was dropped.
   */
  certificateRejected(): boolean;
  /**
   * Makes now the file checks (token, certificate, CA files) that the next request would make because
   * their recheck interval ran out; nothing else, no plugin run. Called after an answer has gone out,
   * so the next request after a long answer (a LIST over a slow link takes longer than the interval)
   * does not wait for the stats. What a request is handed is checked no less often than before.
   */
  recheck(): void;
  /** Stop watchers and timers. */
  close(): void;
}

export type CredentialError = KubegateError & { readonly code: 'KG_ERR_CREDENTIAL' };

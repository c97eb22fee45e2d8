// The one error catalogue: every failure kubegate reports has a stable code defined here.

/**
 * Each code names one kind of failure. `exitCode` applies when the error stops start-up;
 * `status` applies when it answers a proxied request (always as a Kubernetes `Status` body).
 */
export const ERRORS = {
  /** A command-line flag is unknown, missing its value, or has a bad value. */
  KG_ERR_USAGE: { exitCode: 1, status: 500 },
  /** A kubeconfig (or flag override) is invalid: bad YAML, wrong type, missing context, ... */
  KG_ERR_KUBECONFIG: { exitCode: 1, status: 500 },
  /** No kubeconfig was found anywhere and kubegate is not running in a pod. */
  KG_ERR_NO_KUBECONFIG: { exitCode: 1, status: 500 },
  /** A file named by the kubeconfig or a flag cannot be read or decoded. */
  KG_ERR_FILE: { exitCode: 1, status: 500 },
  /** A filter regex (--accept-paths, ...) does not compile. */
  KG_ERR_REGEX: { exitCode: 1, status: 500 },
  /** The listener cannot be opened (port in use, bad address, socket path). */
  KG_ERR_LISTEN: { exitCode: 1, status: 500 },
  /** A credential cannot be produced for a request (unreadable token file, failed exec plugin). */
  KG_ERR_CREDENTIAL: { exitCode: 1, status: 500 },
  /** The API server cannot be reached (refused, reset, DNS, timeout). */
  KG_ERR_UPSTREAM_UNREACHABLE: { exitCode: 1, status: 503 },
  /** The API server's TLS certificate is not trusted, or the TLS handshake failed. */
  KG_ERR_UPSTREAM_TLS: { exitCode: 1, status: 503 },
  /** The upstream broke the protocol (bad upgrade answer, malformed response). */
  KG_ERR_UPSTREAM_PROTOCOL: { exitCode: 1, status: 502 },
} as const satisfies Record<string, { readonly exitCode: number; readonly status: number }>;

export type KubegateErrorCode = keyof typeof ERRORS;

/** An error kubegate reports to a user: its message is written for people, never a stack trace. */
export class KubegateError extends Error {
  readonly code: KubegateErrorCode;

  constructor(code: KubegateErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubegateError';
    this.code = code;
  }

  get exitCode(): number {
    return ERRORS[this.code].exitCode;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}

export function isKubegateError(value: unknown): value is KubegateError {
  return value instanceof KubegateError;
}

/** Shorthand constructors, so call sites read as the failure they report. */
export const usageError = (message: string, cause?: unknown): KubegateError =>
  new KubegateError('KG_ERR_USAGE', message, { cause });
export const kubeconfigError = (message: string, cause?: unknown): KubegateError =>
  new KubegateError('KG_ERR_KUBECONFIG', message, { cause });
export const fileError = (message: string, cause?: unknown): KubegateError =>
  new KubegateError('KG_ERR_FILE', message, { cause });
export const credentialError = (message: string, cause?: unknown): KubegateError =>
  new KubegateError('KG_ERR_CREDENTIAL', message, { cause });

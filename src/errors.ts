// The one error catalogue: every failure kubegate reports has a stable code defined here.

import type { StatusReason } from './status.js';

/**
 * Errors that stop start-up: the CLI prints the message once, as `error: <message>`, and exits
 * with `exitCode`. Each key equals its code (test/internals/errors.test.ts keeps it so).
 */
export const STARTUP_ERRORS = {
  /** A command-line flag is unknown, missing its value, or has a bad value. */
  KG_ERR_USAGE: { code: 'KG_ERR_USAGE', exitCode: 1 },
  /** A kubeconfig (or flag override) is invalid: bad YAML, wrong type, missing context, ... */
  KG_ERR_KUBECONFIG: { code: 'KG_ERR_KUBECONFIG', exitCode: 1 },
  /** No kubeconfig was found anywhere and kubegate is not running in a pod. */
  KG_ERR_NO_KUBECONFIG: { code: 'KG_ERR_NO_KUBECONFIG', exitCode: 1 },
  /** A file named by the kubeconfig or a flag cannot be read or decoded. */
  KG_ERR_FILE: { code: 'KG_ERR_FILE', exitCode: 1 },
  /** A filter regex (--accept-paths, ...) does not compile. */
  KG_ERR_REGEX: { code: 'KG_ERR_REGEX', exitCode: 1 },
  /** The listener cannot be opened (port in use, bad address, socket path). */
  KG_ERR_LISTEN: { code: 'KG_ERR_LISTEN', exitCode: 1 },
  /** The --policy file cannot be read, is not YAML, or is not a valid Role, ClusterRole or List of them. */
  KG_ERR_POLICY: { code: 'KG_ERR_POLICY', exitCode: 1 },
} as const;

/** How kubegate_upstream_errors_total names a failed request's cause. */
export type RequestErrorMetric = 'unreachable' | 'tls' | 'protocol' | 'credential';

/**
 * Errors that answer one proxied request: a Kubernetes `Status` body with `status` and `reason`,
 * counted in kubegate_upstream_errors_total under `metric`. Each key equals its code.
 * Never 503: client-go replaces a 503's message with `the server is currently unable to handle
 * the request` wherever it does not decode the body (discovery), so kubectl would hide the cause.
 */
export const REQUEST_ERRORS = {
  /** A credential cannot be produced for a request (unreadable token file, failed exec plugin). */
  KG_ERR_CREDENTIAL: { code: 'KG_ERR_CREDENTIAL', status: 500, reason: 'InternalError', metric: 'credential' },
  /** The API server cannot be reached (refused, reset, DNS, timeout): a gateway's 502, Kubernetes' reason for it. */
  KG_ERR_UPSTREAM_UNREACHABLE: { code: 'KG_ERR_UPSTREAM_UNREACHABLE', status: 502, reason: 'ServiceUnavailable', metric: 'unreachable' },
  /** The API server's TLS certificate is not trusted, or the TLS handshake failed. */
  KG_ERR_UPSTREAM_TLS: { code: 'KG_ERR_UPSTREAM_TLS', status: 502, reason: 'ServiceUnavailable', metric: 'tls' },
  /** The upstream broke the protocol (bad upgrade answer, malformed response). */
  KG_ERR_UPSTREAM_PROTOCOL: { code: 'KG_ERR_UPSTREAM_PROTOCOL', status: 502, reason: 'BadGateway', metric: 'protocol' },
} as const satisfies Record<string, { readonly code: string; readonly status: number; readonly reason: StatusReason; readonly metric: RequestErrorMetric }>;

export type StartupErrorCode = keyof typeof STARTUP_ERRORS;
export type RequestErrorCode = keyof typeof REQUEST_ERRORS;
export type KubegateErrorCode = StartupErrorCode | RequestErrorCode;

function isRequestErrorCode(code: KubegateErrorCode): code is RequestErrorCode {
  return code in REQUEST_ERRORS;
}

/** An error kubegate reports to a user: its message is written for people, never a stack trace. */
export class KubegateError extends Error {
  readonly code: KubegateErrorCode;

  constructor(code: KubegateErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubegateError';
    this.code = code;
  }

  /** Start-up errors say how to exit; a request error that stops start-up (an interactive plugin at start) exits 1. */
  get exitCode(): number {
    return isRequestErrorCode(this.code) ? 1 : STARTUP_ERRORS[this.code].exitCode;
  }

  /** Request errors say how to answer; a start-up kind met while serving (a file gone unreadable) is a 500. */
  get status(): number {
    return isRequestErrorCode(this.code) ? REQUEST_ERRORS[this.code].status : 500;
  }

  /** The `reason` of the Status that answers it. */
  get reason(): StatusReason {
    return isRequestErrorCode(this.code) ? REQUEST_ERRORS[this.code].reason : 'InternalError';
  }

  /** The metric kind a failed request is counted under. */
  get metric(): RequestErrorMetric {
    return isRequestErrorCode(this.code) ? REQUEST_ERRORS[this.code].metric : 'credential';
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
export const policyError = (message: string, cause?: unknown): KubegateError =>
  new KubegateError('KG_ERR_POLICY', message, { cause });

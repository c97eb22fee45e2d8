// Failures on the way to the API server: mapped to kubegate errors in one place (codes kept as `cause`), reported in one place.

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { KubegateError, isKubegateError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ProxyMetrics } from '../observe/observer.js';
import { writeRawStatus, writeStatus } from '../status.js';

const UNREACHABLE: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'host name lookup failed temporarily (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EADDRNOTAVAIL: 'address not available',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_DESTROYED: 'connection closed',
};

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/**
 * Node's codes for a chain that ends in no CA kubegate trusts: Go says `x509: certificate signed by
 * unknown authority` for all of them (a signature failure is a trusted CA of the same name that did not sign it).
 */
const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

function tlsCause(code: string, message: string): string {
  return UNKNOWN_AUTHORITY.has(code) ? `certificate signed by unknown authority (${message}, ${code})` : `${message} (${code})`;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Turns whatever failed on the way to the API server into a KubegateError whose message names the
 * cause and the server. undici wraps socket errors, so the `cause` chain is searched for the code.
 */
export function describeUpstreamError(error: unknown, server: string): KubegateError {
  if (isKubegateError(error)) return error;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined; depth++) {
    const code = codeOf(current);
    if (code !== undefined && (TLS_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))) {
      return new KubegateError(
        'KG_ERR_UPSTREAM_TLS',
        `TLS with the API server at ${server} failed: ${tlsCause(code, messageOf(current))}. ` +
          `Check the cluster's certificate-authority in your kubeconfig (or --certificate-authority) and --tls-server-name.`,
        { cause: error },
      );
    }
    if (code === 'UND_ERR_SOCKET' && current instanceof Error && current.message === 'bad response') {
      // The server answered, with something undici will not parse (an interim 100 nobody asked for, bytes with no request).
      return new KubegateError(
        'KG_ERR_UPSTREAM_PROTOCOL',
        `the API server at ${server} sent an answer kubegate cannot read (an unsolicited 100 Continue, or bytes with no request); only GET, HEAD and OPTIONS requests are sent again to read it`,
        { cause: error },
      );
    }
    if (code !== undefined && code in UNREACHABLE) {
      return new KubegateError(
        'KG_ERR_UPSTREAM_UNREACHABLE',
        `cannot reach the API server at ${server}: ${UNREACHABLE[code]} (${code}). Is the cluster running, and is the server URL in your kubeconfig right?`,
        { cause: error },
      );
    }
    current = typeof current === 'object' && current !== null && 'cause' in current ? (current as { cause: unknown }).cause : undefined;
  }
  return new KubegateError(
    'KG_ERR_UPSTREAM_PROTOCOL',
    `the request to the API server at ${server} failed: ${messageOf(error)}`,
    { cause: error },
  );
}

/** Where a failure is answered: an HTTP response not yet started, or the raw socket of an upgrade before its 101. */
export type FailureOutlet =
  | { readonly kind: 'response'; readonly response: ServerResponse }
  | { readonly kind: 'socket'; readonly socket: Socket };

export interface FailureSink {
  readonly logger: Logger;
  readonly metrics: ProxyMetrics;
  /** The API server's origin, for messages. */
  readonly origin: string;
  /** With --contexts: the context whose request failed, named first in the answer. */
  readonly context?: string | undefined;
}

/**
 * The one report for a request that failed on its way to the API server, for forwarded requests
 * and tunnels alike: describe → count → log → answer with a Status body, or tear down when the
 * answer has already started. Returns the status the client was given (0 when torn down).
 */
export function reportFailure(sink: FailureSink, error: unknown, outlet: FailureOutlet, context: { readonly what: string; readonly requestId?: string }): number {
  const described = describeUpstreamError(error, sink.origin);
  sink.metrics.upstreamError(described.metric);
  if (outlet.kind === 'response' && outlet.response.headersSent) {
    // Go's ReverseProxy aborts the client connection when the body breaks off mid-way.
    sink.logger.warn({ reqId: context.requestId, code: described.code }, `${context.what}: upstream response aborted`);
    outlet.response.destroy();
    return 0;
  }
  sink.logger.error({ err: described, code: described.code, reqId: context.requestId }, context.what);
  const message = sink.context === undefined ? described.message : `context ${JSON.stringify(sink.context)}: ${described.message}`;
  if (outlet.kind === 'response') writeStatus(outlet.response, described.status, message, undefined, described.reason);
  else writeRawStatus(outlet.socket, described.status, message, described.reason);
  return described.status;
}

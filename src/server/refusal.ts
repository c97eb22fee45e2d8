// What Go's net/http server answers, before any handler, to a request it refuses to read.
//
// conn.serve writes these itself (server.go): `HTTP/1.1 <status line>`, Content-Type and
// Connection: close, the text, and closes; there is no Date and no Content-Length.

import type { Socket } from 'node:net';
import { closeAfterAnswer } from '../status.js';

/** What Go's server writes, raw, for a request it refuses to read: a status line, two headers, a text. */
export interface Refusal {
  /** After `HTTP/1.1 `: the code, its text, and for some refusals Go's reason (`400 Bad Request: malformed Host header`). */
  readonly statusLine: string;
  readonly body: string;
}

/** Go's plain answer to what its parser rejects (no reason given). */
export const BAD_REQUEST: Refusal = { statusLine: '400 Bad Request', body: '400 Bad Request' };
/** A transfer coding other than a single `chunked`: Go answers 501 and never echoes the value. */
export const UNSUPPORTED_TRANSFER_ENCODING: Refusal = { statusLine: '501 Not Implemented', body: 'Unsupported transfer encoding' };

/** The refusal for a request Node's parser rejected, by llhttp's error code. */
export function refusalForParseError(code: string | undefined): Refusal {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { statusLine: '431 Request Header Fields Too Large', body: '431 Request Header Fields Too Large' };
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return UNSUPPORTED_TRANSFER_ENCODING;
    default:
      return BAD_REQUEST;
  }
}

/** Go's statusError answer: the reason in the status line and in the body. */
export function badRequestBecause(reason: string): Refusal {
  return { statusLine: `400 Bad Request: ${reason}`, body: `400 Bad Request: ${reason}` };
}

/**
 * Writes a refusal as Go's conn.serve does (no Date, no Content-Length: the connection's end ends
 * the body), then closes the connection.
 */
export function refuseOnSocket(socket: Socket, refusal: Refusal): void {
  if (socket.destroyed) return;
  if (socket.writable) socket.write(`HTTP/1.1 ${refusal.statusLine}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${refusal.body}`);
  closeAfterAnswer(socket);
}

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

/** A token character (RFC 9110), what a header name is made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The header lines of a request head Node gave up on, when the whole head is there to read. */
function headerLines(rawPacket: Buffer | undefined): string[] | undefined {
  const end = rawPacket?.indexOf('\r\n\r\n') ?? -1;
  if (rawPacket === undefined || end === -1) return undefined;
  return rawPacket.subarray(0, end).toString('latin1').split('\r\n').slice(1);
}

/**
 * Go's textproto reads a header name with a space before its colon (golang/go#34540) and its server
 * then refuses it as an invalid name; any other broken line is a plain 400. Node's parser stops at
 * either with HPE_INVALID_HEADER_TOKEN: the bytes it was reading tell them apart.
 */
function invalidHeaderRefusal(rawPacket: Buffer | undefined): Refusal {
  const lines = headerLines(rawPacket);
  if (lines === undefined) return BAD_REQUEST;
  let spaceInName = false;
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon);
    // (an obs-fold line, which Go would join, starts with a space: Node refuses it before this)
    if (name === '' || !TOKEN.test(name.replaceAll(' ', '')) || /[\x00-\x08\x0a-\x1f\x7f]/.test(line.slice(colon + 1))) return BAD_REQUEST;
    if (name.includes(' ')) spaceInName = true;
  }
  return spaceInName ? badRequestBecause('invalid header name') : BAD_REQUEST;
}

/**
 * Transfer-Encoding with Content-Length, or a coding llhttp will not take: Go looks at the coding
 * first (anything but one `chunked` is a 501) and only then refuses the pair with a plain 400.
 */
function framingRefusal(rawPacket: Buffer | undefined): Refusal {
  const codings = (headerLines(rawPacket) ?? [])
    .filter((line) => /^transfer-encoding:/i.test(line))
    .map((line) => line.slice(line.indexOf(':') + 1).trim().toLowerCase());
  if (codings.length === 0) return BAD_REQUEST;
  return codings.length === 1 && codings[0] === 'chunked' ? BAD_REQUEST : UNSUPPORTED_TRANSFER_ENCODING;
}

/**
 * The version Node's parser accepts and Go's server does not: none (HTTP/0.9 style), which Go
 * cannot parse, or a major version other than 1, which it can but will not serve.
 */
export function refusalForVersion(httpVersion: string): Refusal | undefined {
  if (httpVersion === '1.1' || httpVersion === '1.0') return undefined;
  if (httpVersion === '0.9') return BAD_REQUEST;
  return { statusLine: '505 HTTP Version Not Supported: unsupported protocol version', body: '505 HTTP Version Not Supported: unsupported protocol version' };
}

/** The refusal for a request Node's parser rejected, by llhttp's error code and the bytes it read. */
export function refusalForParseError(code: string | undefined, rawPacket?: Buffer): Refusal {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { statusLine: '431 Request Header Fields Too Large', body: '431 Request Header Fields Too Large' };
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return framingRefusal(rawPacket);
    case 'HPE_INVALID_HEADER_TOKEN':
      return invalidHeaderRefusal(rawPacket);
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

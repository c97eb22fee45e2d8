// Writes what kubegate itself decided (redirect, 404, filter rejection) on a request's response or raw socket.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { writeRawResponse } from '../status.js';
import { hasRequestBody } from '../upstream/headers.js';
import type { ConnectionTracker } from './connection-tracker.js';
import type { Decision } from './decide.js';

export type Reply = Extract<Decision, { kind: 'reply' }>;

/**
 * A request with a body is answered without reading the body, and its connection closed, as Go's
 * server does when a handler leaves a large body unread: nothing pipelined behind it is served.
 */
export function answerRequest(connections: ConnectionTracker, request: IncomingMessage, response: ServerResponse, reply: Reply): void {
  const body = request.method === 'HEAD' ? '' : reply.body;
  if (!hasRequestBody(request) && reply.headers.connection !== 'close') {
    response.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
    response.end(body);
    return;
  }
  const socket = request.socket;
  connections.markClosing(socket);
  // Stop the parser from reading the body into memory; the client gets its answer and a FIN.
  request.pause();
  void connections.whenEarlierWritten(socket, response).then(() => answerOnSocket(socket, reply, request.method === 'HEAD'));
}

/** The same answer on a raw socket (an upgrade request, or a connection being closed). */
export function answerOnSocket(socket: Socket, reply: Reply, head = false): void {
  writeRawResponse(socket, reply.status, reply.headers, head ? '' : reply.body);
}

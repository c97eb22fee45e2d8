// Fills a record from the client's side of one exchange: the request body as it arrives, the
// response head and body as they are written, the end. Only with --ui; wraps the methods of this one
// request's objects, so the relay (src/upstream/) is untouched and pays nothing without --ui.

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { chunkBytes, countLines } from './body-sample.js';
import type { UiRecord } from './record.js';

type Changed = (record: UiRecord) => void;

/** Counts (and keeps the head of) the request body as Node's parser hands it over. */
export function captureRequestBody(request: IncomingMessage, record: UiRecord): void {
  const push = request.push.bind(request);
  request.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    const bytes = chunk === null ? undefined : chunkBytes(chunk, encoding);
    if (bytes !== undefined) {
      record.bytesIn += bytes.length;
      record.requestBody.add(bytes);
    }
    return push(chunk, encoding);
  };
}

function headersOf(response: ServerResponse, given: unknown): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  const add = (source: OutgoingHttpHeaders): void => {
    for (const name in source) {
      const value = source[name];
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
    }
  };
  add(response.getHeaders());
  if (given !== null && typeof given === 'object' && !Array.isArray(given)) add(given as OutgoingHttpHeaders);
  return headers;
}

/** Records the status, headers, body head, watch events and end of one response. */
export function captureResponse(response: ServerResponse, record: UiRecord, changed: Changed): void {
  const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => ServerResponse;
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
  const noteHead = (status: number, given: unknown): void => {
    if (record.responseHeaders !== undefined) return;
    record.status = status;
    record.responseHeaders = headersOf(response, given);
    changed(record);
  };
  const noteBody = (chunk: unknown, encoding: unknown): void => {
    noteHead(response.statusCode, undefined);
    const bytes = typeof chunk === 'function' ? undefined : chunkBytes(chunk, encoding);
    if (bytes === undefined || bytes.length === 0) return;
    record.bytesOut += bytes.length;
    record.responseBody.add(bytes);
    if (record.stream === 'watch') {
      record.events += countLines(bytes);
      changed(record);
    }
  };
  response.writeHead = ((status: number, ...rest: unknown[]) => {
    const result = writeHead(status, ...rest);
    noteHead(status, rest.find((arg) => typeof arg === 'object'));
    return result;
  }) as ServerResponse['writeHead'];
  response.write = ((chunk: unknown, ...rest: unknown[]) => {
    noteBody(chunk, rest[0]);
    return write(chunk, ...rest);
  }) as ServerResponse['write'];
  response.end = ((chunk?: unknown, ...rest: unknown[]) => {
    noteBody(chunk, rest[0]);
    return end(chunk, ...rest);
  }) as ServerResponse['end'];
  response.once('close', () => {
    record.durationMs = performance.now() - record.startedMs;
    record.cutShort = !response.writableFinished;
    if (record.status === 0 && response.headersSent) record.status = response.statusCode;
    changed(record);
  });
}

/** A tunnel: the status line kubegate or the API server wrote, writes relayed to the client, the end. */
export function captureTunnel(socket: Socket, record: UiRecord, changed: Changed): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  const end = socket.end.bind(socket) as (...args: unknown[]) => Socket;
  const note = (chunk: unknown, encoding: unknown): void => {
    const bytes = typeof chunk === 'function' ? undefined : chunkBytes(chunk, encoding);
    if (bytes === undefined || bytes.length === 0) return;
    if (record.status === 0) {
      const line = /^HTTP\/1\.[01] (\d{3})/.exec(bytes.subarray(0, 16).toString('latin1'));
      if (line) record.status = Number(line[1]);
    } else {
      record.events++;
    }
    changed(record);
  };
  socket.write = ((chunk: unknown, ...rest: unknown[]) => {
    note(chunk, rest[0]);
    return write(chunk, ...rest);
  }) as Socket['write'];
  socket.end = ((chunk?: unknown, ...rest: unknown[]) => {
    note(chunk, rest[0]);
    return end(chunk, ...rest);
  }) as Socket['end'];
  const startRead = socket.bytesRead;
  const startWritten = socket.bytesWritten;
  socket.once('close', () => {
    record.durationMs = performance.now() - record.startedMs;
    record.bytesIn = socket.bytesRead - startRead;
    record.bytesOut = socket.bytesWritten - startWritten;
    changed(record);
  });
}

// What the server asks of --ui: record each request it decides, serve the page's own paths. Only
// built with --ui (src/ui/); without it the server holds no recorder and calls nothing.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Decision } from './decide.js';

export interface RequestRecorder {
  /** An ordinary request, once decided (never the page's own: those are `serve`d). */
  record(request: IncomingMessage, response: ServerResponse, decision: Decision): void;
  /** An upgrade (exec, attach, port-forward), once decided. */
  recordUpgrade(request: IncomingMessage, socket: Socket, decision: Decision): void;
  /** A path under /-/ui/ (after the prefix): the page, its assets, its event stream, a request's detail. */
  serve(request: IncomingMessage, response: ServerResponse, path: string): void;
  /** Shutdown: ends the page's event streams (they never end by themselves). */
  close(): void;
}

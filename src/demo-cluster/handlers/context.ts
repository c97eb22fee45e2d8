// What every handler of the fake API server receives instead of closing over startApiServer's locals.

import type { ApiServerOptions, Authorizer } from '../api-server-options.js';
import type { RequestInfo } from '../request-info.js';
import type { RequestLog } from '../request-log.js';
import type { DemoRequest, DemoResponse } from '../responses.js';
import type { ObjectStore } from '../store.js';

/** The server's state, shared by every request. */
export interface HandlerContext {
  readonly options: ApiServerOptions;
  readonly store: ObjectStore;
  readonly requests: RequestLog;
  readonly authorize: Authorizer;
  /** Ends every open watch and `logs -f` stream; close() calls each one still here. */
  readonly streams: Set<() => void>;
  /** `host:port` the server listens on: set once it listens (the /api document names it). */
  serverAddress: string;
}

/** One admitted ordinary request, as a handler receives it. */
export interface DemoCall {
  readonly request: DemoRequest;
  readonly response: DemoResponse;
  readonly info: RequestInfo;
  readonly query: URLSearchParams;
  /** The path as sent, escaping kept, and the query string without its `?`. */
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly body: Buffer;
}

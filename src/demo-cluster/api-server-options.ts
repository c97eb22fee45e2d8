// What startApiServer accepts. Options marked "Test hook" exist only for the test suites: the demo
// cluster (demo-cluster.ts) never sets them, and the server behaves as kube-apiserver without them.

import type { AuthenticationOptions, UserInfo } from './authn.js';
import type { Pki } from './pki.js';
import type { RequestInfo } from './request-info.js';
import type { DemoRequest, DemoResponse } from './responses.js';

export interface TestRoute {
  readonly method?: string;
  /** Matched against the raw path (no query). */
  readonly path: string | RegExp;
  handler(request: DemoRequest, response: DemoResponse, body: Buffer): void;
}

export type Authorizer = (user: UserInfo, info: RequestInfo) => boolean;

/** A configmap LIST generated as a stream, so tests can pull a body far larger than memory would like. */
export interface LargeList {
  readonly namespace: string;
  readonly items: number;
  readonly itemBytes: number;
}

export interface ApiServerOptions extends AuthenticationOptions {
  readonly pki?: Pki;
  readonly host?: string;
  readonly port?: number;
  readonly authorize?: Authorizer;
  /** How many recent requests `requests` keeps (default 100,000). The demo cluster keeps fewer. */
  readonly requestLogLimit?: number;
  /** Authorize with RBAC over the store's Roles and RoleBindings (the demo cluster), instead of allowing every authenticated user. */
  readonly rbac?: boolean;
  /** `namespace/name` of a service or pod → `http://127.0.0.1:PORT` answering its /proxy/ requests (the demo's nginx, and tests' backends). */
  readonly proxyBackends?: Readonly<Record<string, string>>;
  /** Test hook: a namespace whose configmap LIST is generated as a stream (never held in memory). */
  readonly largeList?: LargeList;
  /**
   * Test hook: handlers that answer matching requests before authentication and authorization are
   * enforced (the request is still recorded). Lets a test play an API server that misbehaves.
   */
  readonly routes?: readonly TestRoute[];
  /** Test hook: interval between lines of `logs -f` (default 500 ms). */
  readonly logLineIntervalMs?: number;
  /** Namespaces to create at start (default: default, kube-system). */
  readonly namespaces?: readonly string[];
}

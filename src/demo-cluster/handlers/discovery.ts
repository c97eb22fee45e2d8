// Non-resource paths: /version, health checks, the discovery documents and OpenAPI v3; anything else is a 404 Status.

import {
  KUBERNETES_VERSION,
  apiGroupDocument,
  apiGroupListDocument,
  apiResourceListDocument,
  apiVersionsDocument,
  openApiV3Document,
  openApiV3Root,
} from '../resources.js';
import { sendJson, sendStatus, sendText } from '../responses.js';
import type { DemoCall, HandlerContext } from './context.js';

/** The discovery or OpenAPI document a path names, or undefined. */
function discoveryDocument(ctx: HandlerContext, path: string): unknown {
  if (path === '/api' || path === '/api/') return apiVersionsDocument(ctx.serverAddress);
  if (path === '/apis' || path === '/apis/') return apiGroupListDocument();
  if (path === '/openapi/v3' || path === '/openapi/v3/') return openApiV3Root();
  if (path.startsWith('/openapi/v3/')) {
    const document = openApiV3Document(path.slice('/openapi/v3/'.length));
    if (document) return document;
  }
  const group = /^\/apis\/([^/]+)\/?$/.exec(path);
  if (group) {
    const document = apiGroupDocument(group[1] as string);
    if (document) return document;
  }
  const version = /^\/api\/(v1)\/?$/.exec(path) ?? /^\/apis\/([^/]+\/[^/]+)\/?$/.exec(path);
  if (version) {
    const [g, v] = (version[1] as string).includes('/') ? ((version[1] as string).split('/') as [string, string]) : ['', version[1] as string];
    const document = apiResourceListDocument(g, v);
    if (document) return document;
  }
  return undefined;
}

export function handleNonResource(ctx: HandlerContext, call: DemoCall): void {
  const { request, response } = call;
  const path = call.info.path;
  // The version handler writes its struct with json.MarshalIndent for every client (WriteRawJSON).
  if (path === '/version' || path === '/version/') return sendJson(request, response, 200, KUBERNETES_VERSION, 'indented');
  if (path === '/healthz' || path === '/livez' || path === '/readyz') return sendText(response, 200, 'ok');
  const document = discoveryDocument(ctx, path);
  // kube-openapi serves its documents as marshalled, whoever asks; the discovery documents are negotiated.
  if (document !== undefined) return sendJson(request, response, 200, document, path.startsWith('/openapi/') ? 'raw' : 'negotiated');
  sendStatus(request, response, 404, 'NotFound', 'the server could not find the requested resource', {});
}

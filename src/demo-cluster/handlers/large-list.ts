// The largeList test hook: a configmap LIST written item by item with backpressure (gzipped when accepted),
// compact or indented as the apiserver would write it for this client (see encoding.ts).

import { createGzip } from 'node:zlib';
import type { LargeList } from '../api-server-options.js';
import { prettyRequested } from '../encoding.js';
import { acceptsGzip, type DemoRequest, type DemoResponse } from '../responses.js';
import type { HandlerContext } from './context.js';

export function handleLargeList(ctx: HandlerContext, request: DemoRequest, response: DemoResponse, large: LargeList): void {
  const gzip = acceptsGzip(request);
  response.writeHead(200, { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
  const sink = gzip ? createGzip() : undefined;
  if (sink) {
    sink.on('data', (chunk: Buffer) => {
      if (!response.write(chunk)) sink.pause();
    });
    response.once('drain', function resume() {
      sink.resume();
      response.once('drain', resume);
    });
    sink.on('end', () => response.end());
  }
  const out = (text: string): boolean => (sink ? sink.write(text) : response.write(text));
  const padding = 'x'.repeat(Math.max(0, large.itemBytes - 200));
  const userAgent = request.headers['user-agent'];
  const text = listText(prettyRequested(request.url ?? '/', typeof userAgent === 'string' ? userAgent : undefined));
  let i = 0;
  out(text.head(String(ctx.store.resourceVersion)));
  const pump = (): void => {
    while (i < large.items) {
      const item = text.item({ metadata: { name: `cm-${i}`, namespace: large.namespace, resourceVersion: '1' }, data: { payload: padding } }, i === 0);
      i++;
      if (!out(item)) {
        (sink ?? response).once('drain', pump);
        return;
      }
    }
    out(text.tail(large.items === 0));
    if (sink) sink.end();
    else response.end();
  };
  pump();
}

/** The List's text in pieces: compact with a final newline (json.Encoder), or MarshalIndent's two-space form. */
function listText(pretty: boolean): { head(resourceVersion: string): string; item(value: unknown, first: boolean): string; tail(empty: boolean): string } {
  if (!pretty) {
    return {
      head: (resourceVersion) => `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"${resourceVersion}"},"items":[`,
      item: (value, first) => `${first ? '' : ','}${JSON.stringify(value)}`,
      tail: () => ']}\n',
    };
  }
  return {
    head: (resourceVersion) => `{\n  "kind": "ConfigMapList",\n  "apiVersion": "v1",\n  "metadata": {\n    "resourceVersion": "${resourceVersion}"\n  },\n  "items": [`,
    item: (value, first) => `${first ? '\n' : ',\n'}${JSON.stringify(value, null, 2).replace(/^/gm, '    ')}`,
    tail: (empty) => (empty ? ']\n}' : '\n  ]\n}'),
  };
}

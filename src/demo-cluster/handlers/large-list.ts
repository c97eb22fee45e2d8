// The largeList test hook: a configmap LIST written item by item with backpressure (gzipped when accepted).

import { createGzip } from 'node:zlib';
import type { LargeList } from '../api-server-options.js';
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
  let i = 0;
  out(`{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"${ctx.store.resourceVersion}"},"items":[`);
  const pump = (): void => {
    while (i < large.items) {
      const item = `${i === 0 ? '' : ','}{"metadata":{"name":"cm-${i}","namespace":"${large.namespace}","resourceVersion":"1"},"data":{"payload":"${padding}"}}`;
      i++;
      if (!out(item)) {
        (sink ?? response).once('drain', pump);
        return;
      }
    }
    out(']}');
    if (sink) sink.end();
    else response.end();
  };
  pump();
}

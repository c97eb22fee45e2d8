// WATCH: the current objects as ADDED (unless resuming from a resourceVersion), then every change, until timeoutSeconds.

import { encodeJson } from '../encoding.js';
import type { ResourceType } from '../resources.js';
import { fieldsMatch, labelsMatch } from '../selectors.js';
import type { KubeObject, WatchEvent } from '../store.js';
import { toTable, wantsTable } from '../table.js';
import { wireObject } from '../wire.js';
import type { DemoCall, HandlerContext } from './context.js';

export function handleWatch(ctx: HandlerContext, call: DemoCall, type: ResourceType): void {
  const { request, response, info, query } = call;
  const table = wantsTable(request.headers.accept);
  response.writeHead(200, { 'content-type': 'application/json' });
  const write = (event: { type: string; object: KubeObject }): void => {
    // One compact line per event, the object with its kind and apiVersion (watch streams are never indented).
    const object = table ? toTable(type.resource, [event.object], event.object.metadata.resourceVersion ?? '') : wireObject(type, event.object);
    response.write(encodeJson({ type: event.type, object }, 'negotiated', false));
  };
  const matches = (object: KubeObject): boolean =>
    (!info.namespace || object.metadata.namespace === info.namespace) &&
    (!info.name || object.metadata.name === info.name) &&
    labelsMatch(object, query.get('labelSelector')) &&
    fieldsMatch(object, query.get('fieldSelector'));
  const rv = query.get('resourceVersion');
  const fromVersion = rv && rv !== '0' ? Number(rv) : undefined;
  if (fromVersion === undefined) {
    for (const object of ctx.store.list(type, info.namespace)) if (matches(object)) write({ type: 'ADDED', object });
  }
  const key = `${type.group}/${type.resource}`;
  const stop = ctx.store.watch(fromVersion, (event: WatchEvent) => {
    if (event.resource === key && matches(event.object)) write(event);
  });
  let timer: NodeJS.Timeout | undefined;
  const end = (): void => {
    stop();
    if (timer) clearTimeout(timer);
    ctx.streams.delete(end);
    response.end();
  };
  ctx.streams.add(end);
  const timeout = Number(query.get('timeoutSeconds') ?? 0);
  if (timeout > 0) timer = setTimeout(end, timeout * 1000);
  response.once('close', () => {
    stop();
    if (timer) clearTimeout(timer);
    ctx.streams.delete(end);
  });
}

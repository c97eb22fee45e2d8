// services/proxy and pods/proxy: relays the request to the backend the proxyBackends option names, as plain HTTP.

import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { sendStatus } from '../responses.js';
import type { DemoCall, HandlerContext } from './context.js';

/** Headers the API server's proxy does not pass to the backend (credentials and hop-by-hop). */
const NOT_FORWARDED = ['host', 'connection', 'authorization', 'transfer-encoding', 'keep-alive'];
/** Hop-by-hop headers of the backend's answer, not copied to the client. */
const NOT_RETURNED = ['connection', 'transfer-encoding', 'keep-alive'];

/** The rest of the path after .../NAME/proxy, escaping kept. */
function pathAfterProxy(call: DemoCall): string {
  const { info, rawPath } = call;
  const marker = `/${info.resource}/${info.name}/proxy`;
  const at = rawPath.indexOf(marker.replace(info.name, encodeURIComponent(info.name)));
  const restStart = at === -1 ? rawPath.indexOf('/proxy') + '/proxy'.length : at + marker.length;
  return rawPath.slice(restStart) || '/';
}

export function handleProxy(ctx: HandlerContext, call: DemoCall): void {
  const { request, response, info, rawQuery, body } = call;
  const name = info.name.split(':')[0] ?? '';
  const backend = ctx.options.proxyBackends?.[`${info.namespace}/${name}`];
  if (!backend) {
    sendStatus(request, response, 503, 'ServiceUnavailable', `no endpoints available for service "${name}"`);
    return;
  }
  const rest = pathAfterProxy(call);
  const url = new URL(backend);
  const headers: OutgoingHttpHeaders = {};
  for (const [header, value] of Object.entries(request.headers)) {
    if (!header.startsWith(':') && value !== undefined && !NOT_FORWARDED.includes(header)) headers[header] = value;
  }
  const upstream = httpRequest(
    { host: url.hostname, port: url.port, method: request.method, path: `${rest}${rawQuery ? `?${rawQuery}` : ''}`, headers: { ...headers, host: url.host } },
    (answer) => {
      const copied: OutgoingHttpHeaders = {};
      for (const [header, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !NOT_RETURNED.includes(header)) copied[header] = value;
      }
      response.writeHead(answer.statusCode ?? 502, copied);
      answer.on('data', (chunk: Buffer) => response.write(chunk));
      answer.on('end', () => response.end());
    },
  );
  upstream.on('error', (error) => sendStatus(request, response, 503, 'ServiceUnavailable', `error trying to reach service: ${error.message}`));
  upstream.end(body.length > 0 ? body : undefined);
}

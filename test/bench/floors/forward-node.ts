// Floor 1: Node alone. node:http in, node:https out (a keep-alive Agent), nothing else loaded.

import { createServer } from 'node:http';
import { Agent, request } from 'node:https';
import { endToEnd, floorArgs } from './floor-args.js';

const args = floorArgs();
const upstream = new URL(args.origin);
const agent = new Agent({ keepAlive: true, ca: args.ca, cert: args.cert, key: args.key });

createServer((clientRequest, clientResponse) => {
  const outgoing = request(
    {
      agent,
      host: upstream.hostname,
      port: upstream.port,
      method: clientRequest.method,
      path: clientRequest.url,
      headers: endToEnd(clientRequest.headers),
    },
    (answer) => {
      clientResponse.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(clientResponse);
    },
  );
  outgoing.on('error', () => clientResponse.destroy());
  clientRequest.pipe(outgoing);
}).listen(args.port, '127.0.0.1');

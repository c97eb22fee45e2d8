// Floor 3: fastify in, undici out: kubegate's whole stack, as kubegate sets fastify up (no schema
// compilers, bodies unparsed, one catch-all route that hands the raw request on), and nothing else.

import { fastify } from 'fastify';
import { NO_SCHEMA_COMPILERS } from '../../../src/server/http-app.js';
import { floorArgs } from './floor-args.js';
import { floorAgent, forwardWithUndici } from './undici-relay.js';

const args = floorArgs();
const agent = floorAgent(args);
const app = fastify({ logger: false, schemaController: NO_SCHEMA_COMPILERS });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
app.all('/*', (request, reply) => {
  reply.hijack();
  forwardWithUndici(agent, args.origin, request.raw, reply.raw);
});
await app.listen({ port: args.port, host: '127.0.0.1' });

// Floor 2: node:http in, undici out: kubegate's two transport layers with nothing of kubegate's.
// undici is imported file by file, as kubegate imports it (src/upstream/undici-parts.ts).

import { createServer } from 'node:http';
import { floorArgs } from './floor-args.js';
import { floorAgent, forwardWithUndici } from './undici-relay.js';

const args = floorArgs();
const agent = floorAgent(args);

createServer((request, response) => forwardWithUndici(agent, args.origin, request, response)).listen(args.port, '127.0.0.1');

// The parts of undici kubegate uses, imported file by file. undici's index evaluates all of undici at
// load (fetch, WebSocket, EventSource, caches with node:sqlite, mocks, every interceptor): in the
// bundle that cost every start about 6 MiB of memory and 35 ms of CPU for code no request runs.

import AgentClass from 'undici/lib/dispatcher/agent.js';
import ClientClass from 'undici/lib/dispatcher/client.js';
import DispatcherClass from 'undici/lib/dispatcher/dispatcher.js';
import buildConnectorFunction from 'undici/lib/core/connect.js';
import api from 'undici/lib/api/index.js';

// What undici's index does to every dispatcher: `agent.request()` (the admin readiness check) and
// `client.connect()` (CONNECT through a proxy) come from here.
Object.assign(DispatcherClass.prototype, api);

export const Agent = AgentClass;
export type Agent = InstanceType<typeof AgentClass>;
export const Client = ClientClass;
export type Client = InstanceType<typeof ClientClass>;
/** undici's Dispatcher class, the base of UpstreamAgent (its types: `Dispatcher` from 'undici'). */
export const DispatcherBase = DispatcherClass;
export const buildConnector = buildConnectorFunction;

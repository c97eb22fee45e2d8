// Resource requests: GET, LIST, WATCH, CREATE, UPDATE, PATCH, DELETE and DELETECOLLECTION over the
// in-memory store, plus the subresources an ordinary request can reach (log, proxy, status, scale).

import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { runningContainerStatus } from '../container-status.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../patch.js';
import { findResourceType, type ResourceType } from '../resources.js';
import { sendJson, sendStatus } from '../responses.js';
import { fieldsMatch, labelsMatch } from '../selectors.js';
import type { KubeObject } from '../store.js';
import { toTable, wantsTable } from '../table.js';
import { wireList, wireObject } from '../wire.js';
import type { DemoCall, HandlerContext } from './context.js';
import { handleLargeList } from './large-list.js';
import { handleLog } from './log.js';
import { handleProxy } from './proxy.js';
import { handleWatch } from './watch.js';

const NAMESPACE_TYPE = findResourceType('', 'v1', 'namespaces') as ResourceType;

/** A resource request whose type is known: the namespace it acts in ('' for cluster-scoped types). */
interface ResourceCall extends DemoCall {
  readonly type: ResourceType;
  readonly namespace: string;
  readonly dryRun: boolean;
}

type Patcher = (existing: KubeObject, patch: unknown) => unknown;

function parseBody(body: Buffer, contentType: string | undefined): unknown {
  const text = body.toString('utf8');
  if (contentType && /yaml/.test(contentType)) return parseYaml(text);
  return JSON.parse(text);
}

function isObject(value: unknown): value is KubeObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { metadata?: unknown }).metadata === 'object';
}

/** A created pod runs at once: its status says so, one running container per container in its spec. */
function withRunningStatus(type: ResourceType, object: KubeObject): KubeObject {
  if (type.resource !== 'pods' || object.status !== undefined) return object;
  const spec = (object.spec ?? {}) as { containers?: { name?: string; image?: string }[] };
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  return {
    ...object,
    // PodStatus and ContainerStatus fields in their Go structs' order, as a real pod's status reads.
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      podIP: '10.244.0.10',
      containerStatuses: containers.map((container) => runningContainerStatus(container.name, container.image)),
    },
  };
}

function notFound(call: DemoCall, type: ResourceType, name: string, resource = type.resource, group = type.group): void {
  sendStatus(call.request, call.response, 404, 'NotFound', `${group ? `${resource}.${group}` : resource} "${name}" not found`, { name, ...(group ? { group } : {}), kind: resource });
}

function listOf(ctx: HandlerContext, call: ResourceCall, items: KubeObject[]): unknown {
  const { type } = call;
  const resourceVersion = String(ctx.store.resourceVersion);
  return wantsTable(call.request.headers.accept) ? toTable(type.resource, items, resourceVersion) : wireList(type, items, resourceVersion);
}

function one(call: ResourceCall, object: KubeObject): unknown {
  return wantsTable(call.request.headers.accept) ? toTable(call.type.resource, [object], object.metadata.resourceVersion ?? '') : wireObject(call.type, object);
}

/** The request body as an object, or undefined once a 400 has been sent. */
function decode(call: ResourceCall): KubeObject | undefined {
  try {
    const parsed = parseBody(call.body, call.request.headers['content-type']);
    if (isObject(parsed)) return parsed;
    sendStatus(call.request, call.response, 400, 'BadRequest', 'the body of the request is not a Kubernetes object (it needs metadata)');
  } catch (error) {
    sendStatus(call.request, call.response, 400, 'BadRequest', `the body of the request was in an unknown format: ${(error as Error).message}`);
  }
  return undefined;
}

export function handleResource(ctx: HandlerContext, call: DemoCall): void {
  const { request, response, info, query } = call;
  const type = findResourceType(info.apiGroup, info.apiVersion, info.resource);
  if (!type) {
    sendStatus(request, response, 404, 'NotFound', 'the server could not find the requested resource', {});
    return;
  }
  const namespace = type.namespaced ? info.namespace : '';
  if (type.namespaced && namespace && !ctx.store.get(NAMESPACE_TYPE, '', namespace) && request.method !== 'GET') {
    notFound(call, type, namespace, 'namespaces', '');
    return;
  }
  const resourceCall: ResourceCall = { ...call, type, namespace, dryRun: query.get('dryRun') === 'All' };
  if (answeredAsSubresource(ctx, resourceCall)) return;
  handleVerb(ctx, resourceCall);
}

/** Answers log, proxy and the upgrade-only subresources; false for the object itself, status and scale. */
function answeredAsSubresource(ctx: HandlerContext, call: ResourceCall): boolean {
  const { request, response, info, type, namespace } = call;
  switch (info.subresource) {
    case '':
    case 'status':
    case 'scale':
      return false;
    case 'log':
      if (!ctx.store.get(type, namespace, info.name)) notFound(call, type, info.name);
      else handleLog(ctx, call);
      return true;
    case 'proxy':
      handleProxy(ctx, call);
      return true;
    case 'exec':
    case 'attach':
    case 'portforward':
      sendStatus(request, response, 400, 'BadRequest', 'Upgrade request required');
      return true;
    default:
      sendStatus(request, response, 404, 'NotFound', 'the server could not find the requested resource', {});
      return true;
  }
}

function handleVerb(ctx: HandlerContext, call: ResourceCall): void {
  const { request, response, info, type, namespace, query } = call;
  switch (info.verb) {
    case 'get': {
      const object = ctx.store.get(type, namespace, info.name);
      if (!object) return notFound(call, type, info.name);
      sendJson(request, response, 200, one(call, object));
      return;
    }
    case 'list': {
      const large = ctx.options.largeList;
      if (large && type.resource === 'configmaps' && namespace === large.namespace) {
        handleLargeList(ctx, request, response, large);
        return;
      }
      const items = ctx.store.list(type, namespace).filter((o) => labelsMatch(o, query.get('labelSelector')) && fieldsMatch(o, query.get('fieldSelector')));
      sendJson(request, response, 200, listOf(ctx, call, items));
      return;
    }
    case 'watch':
      handleWatch(ctx, call, type);
      return;
    case 'create':
      return createObject(ctx, call);
    case 'update':
      return updateObject(ctx, call);
    case 'patch':
      return patchObject(ctx, call);
    case 'delete':
      return deleteObject(ctx, call);
    case 'deletecollection':
      return deleteCollection(ctx, call);
    default:
      sendStatus(request, response, 405, 'MethodNotAllowed', `${info.verb} is not supported on ${type.resource}`);
  }
}

function createObject(ctx: HandlerContext, call: ResourceCall): void {
  const { request, response, type, namespace, dryRun } = call;
  const object = decode(call);
  if (!object) return;
  if (type.namespaced && object.metadata.namespace && object.metadata.namespace !== namespace) {
    sendStatus(request, response, 400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    return;
  }
  if (!object.metadata.name && typeof object.metadata.generateName === 'string') {
    object.metadata.name = `${object.metadata.generateName}${randomUUID().slice(0, 5)}`;
  }
  if (!object.metadata.name) {
    sendStatus(request, response, 422, 'Invalid', `${type.kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
    return;
  }
  const prepared = withRunningStatus(type, { ...object, metadata: { ...object.metadata, namespace } });
  if (dryRun) {
    if (ctx.store.get(type, namespace, object.metadata.name)) {
      sendStatus(request, response, 409, 'AlreadyExists', `${type.resource} "${object.metadata.name}" already exists`, { name: object.metadata.name, kind: type.resource });
      return;
    }
    sendJson(request, response, 201, wireObject(type, prepared));
    return;
  }
  const created = ctx.store.create(type, prepared);
  if (!created) {
    sendStatus(request, response, 409, 'AlreadyExists', `${type.resource} "${object.metadata.name}" already exists`, { name: object.metadata.name, ...(type.group ? { group: type.group } : {}), kind: type.resource });
    return;
  }
  sendJson(request, response, 201, wireObject(type, created));
}

function updateObject(ctx: HandlerContext, call: ResourceCall): void {
  const { request, response, info, type, namespace, dryRun } = call;
  const object = decode(call);
  if (!object) return;
  const existing = ctx.store.get(type, namespace, info.name);
  if (!existing) return notFound(call, type, info.name);
  const rv = object.metadata.resourceVersion;
  if (rv && rv !== existing.metadata.resourceVersion) {
    sendStatus(request, response, 409, 'Conflict', `Operation cannot be fulfilled on ${type.resource} "${info.name}": the object has been modified; please apply your changes to the latest version and try again`, { name: info.name, kind: type.resource });
    return;
  }
  const updated = dryRun ? object : (ctx.store.update(type, namespace, info.name, object) as KubeObject);
  sendJson(request, response, 200, wireObject(type, updated));
}

/** The patch function for a PATCH's media type, or undefined for one kube-apiserver does not accept. */
function patcherFor(contentType: string | undefined): Patcher | undefined {
  switch (contentType) {
    case 'application/merge-patch+json':
    case 'application/apply-patch+yaml':
      return mergePatch;
    case 'application/strategic-merge-patch+json':
      return strategicMergePatch;
    case 'application/json-patch+json':
      return jsonPatch;
    default:
      return undefined;
  }
}

function patchObject(ctx: HandlerContext, call: ResourceCall): void {
  const { request, response, info, type, namespace, body, dryRun } = call;
  const existing = ctx.store.get(type, namespace, info.name);
  if (!existing) return notFound(call, type, info.name);
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim();
  let patched: unknown;
  try {
    // The body is parsed before the media type is checked, as before: a malformed body is a 400 whatever its type.
    const patch = parseBody(body, contentType === 'application/apply-patch+yaml' ? 'application/yaml' : 'application/json');
    const patcher = patcherFor(contentType);
    if (!patcher) {
      sendStatus(request, response, 415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
      return;
    }
    patched = patcher(existing, patch);
  } catch (error) {
    sendStatus(request, response, 400, 'BadRequest', `invalid patch: ${(error as Error).message}`);
    return;
  }
  if (!isObject(patched)) {
    sendStatus(request, response, 422, 'Invalid', 'the patch produced something that is not an object');
    return;
  }
  sendJson(request, response, 200, wireObject(type, dryRun ? patched : (ctx.store.update(type, namespace, info.name, patched) as KubeObject)));
}

function deleteObject(ctx: HandlerContext, call: ResourceCall): void {
  const { request, response, info, type, namespace, dryRun } = call;
  const deleted = dryRun ? ctx.store.get(type, namespace, info.name) : ctx.store.delete(type, namespace, info.name);
  if (!deleted) return notFound(call, type, info.name);
  sendJson(request, response, 200, wireObject(type, deleted));
}

function deleteCollection(ctx: HandlerContext, call: ResourceCall): void {
  const { request, response, type, namespace, query, dryRun } = call;
  const items = ctx.store.list(type, namespace).filter((o) => labelsMatch(o, query.get('labelSelector')));
  if (!dryRun) for (const item of items) ctx.store.delete(type, item.metadata.namespace ?? '', item.metadata.name);
  sendJson(request, response, 200, listOf(ctx, call, items));
}

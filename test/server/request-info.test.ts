import t from 'tap';
import { readRequestInfo } from '../../src/server/request-info.js';

// Cases after kube-apiserver's own table (k8s.io/apiserver/pkg/endpoints/request/requestinfo_test.go),
// written as kubegate's data: method, path, then the reading kube-apiserver gives it.

type Row = readonly [method: string, url: string, verb: string, group: string, version: string, namespace: string, resource: string, subresource: string, name: string];

const RESOURCE_REQUESTS: readonly Row[] = [
  ['GET', '/api/v1/namespaces', 'list', '', 'v1', '', 'namespaces', '', ''],
  ['GET', '/api/v1/namespaces/other', 'get', '', 'v1', 'other', 'namespaces', '', 'other'],
  ['GET', '/api/v1/namespaces/other/pods', 'list', '', 'v1', 'other', 'pods', '', ''],
  ['GET', '/api/v1/namespaces/other/pods/foo', 'get', '', 'v1', 'other', 'pods', '', 'foo'],
  ['HEAD', '/api/v1/namespaces/other/pods/foo', 'get', '', 'v1', 'other', 'pods', '', 'foo'],
  ['GET', '/api/v1/pods', 'list', '', 'v1', '', 'pods', '', ''],
  ['HEAD', '/api/v1/pods', 'list', '', 'v1', '', 'pods', '', ''],
  ['GET', '/api/v1/proxy/namespaces/other/pods/foo', 'proxy', '', 'v1', 'other', 'pods', '', 'foo'],
  ['GET', '/api/v1/proxy/namespaces/other/pods/foo/subpath/not/a/subresource', 'proxy', '', 'v1', 'other', 'pods', '', 'foo'],
  ['GET', '/api/v1/watch/pods', 'watch', '', 'v1', '', 'pods', '', ''],
  ['GET', '/api/v1/pods?watch=true', 'watch', '', 'v1', '', 'pods', '', ''],
  ['GET', '/api/v1/pods?watch=false', 'list', '', 'v1', '', 'pods', '', ''],
  ['GET', '/api/v1/watch/namespaces/other/pods', 'watch', '', 'v1', 'other', 'pods', '', ''],
  ['GET', '/api/v1/namespaces/other/pods?watch=1', 'watch', '', 'v1', 'other', 'pods', '', ''],
  ['GET', '/api/v1/namespaces/other/pods?watch=0', 'list', '', 'v1', 'other', 'pods', '', ''],
  ['GET', '/api/v1/namespaces/other/pods?watch=yes', 'watch', '', 'v1', 'other', 'pods', '', ''],
  ['GET', '/api/v1/namespaces/other/pods/foo/status', 'get', '', 'v1', 'other', 'pods', 'status', 'foo'],
  ['GET', '/api/v1/namespaces/other/pods/foo/proxy/subpath', 'get', '', 'v1', 'other', 'pods', 'proxy', 'foo'],
  ['POST', '/api/v1/namespaces/other/pods/foo/exec', 'create', '', 'v1', 'other', 'pods', 'exec', 'foo'],
  ['GET', '/api/v1/namespaces/other/pods/foo/exec', 'get', '', 'v1', 'other', 'pods', 'exec', 'foo'],
  ['GET', '/api/v1/namespaces/other/pods/foo/log', 'get', '', 'v1', 'other', 'pods', 'log', 'foo'],
  ['PUT', '/api/v1/namespaces/other/finalize', 'update', '', 'v1', 'other', 'namespaces', 'finalize', 'other'],
  ['PUT', '/api/v1/namespaces/other/status', 'update', '', 'v1', 'other', 'namespaces', 'status', 'other'],
  ['PATCH', '/api/v1/namespaces/other/pods/foo', 'patch', '', 'v1', 'other', 'pods', '', 'foo'],
  ['DELETE', '/api/v1/namespaces/other/pods/foo', 'delete', '', 'v1', 'other', 'pods', '', 'foo'],
  ['POST', '/api/v1/namespaces/other/pods', 'create', '', 'v1', 'other', 'pods', '', ''],
  ['DELETE', '/api/v1/nodes', 'deletecollection', '', 'v1', '', 'nodes', '', ''],
  ['DELETE', '/api/v1/namespaces', 'deletecollection', '', 'v1', '', 'namespaces', '', ''],
  ['DELETE', '/api/v1/namespaces/other/pods', 'deletecollection', '', 'v1', 'other', 'pods', '', ''],
  ['DELETE', '/apis/extensions/v1/namespaces/other/pods', 'deletecollection', 'extensions', 'v1', 'other', 'pods', '', ''],
  ['POST', '/apis/extensions/v1/namespaces/other/pods', 'create', 'extensions', 'v1', 'other', 'pods', '', ''],
  ['POST', '/apis/extensions/v1beta3/namespaces/other/pods', 'create', 'extensions', 'v1beta3', 'other', 'pods', '', ''],
  ['GET', '/apis/apps/v1/namespaces/default/deployments/web/scale', 'get', 'apps', 'v1', 'default', 'deployments', 'scale', 'web'],
  ['GET', '/apis/group/version/resource?fieldSelector=metadata.name=name1', 'list', 'group', 'version', '', 'resource', '', 'name1'],
  ['GET', '/apis/group/version/resource?watch=true&fieldSelector=metadata.name=name1', 'watch', 'group', 'version', '', 'resource', '', 'name1'],
  ['GET', '/apis/group/version/resource?fieldSelector=foo=bar', 'list', 'group', 'version', '', 'resource', '', ''],
  ['GET', '/apis/group/version/resource?fieldSelector=metadata.name=name1,foo', 'list', 'group', 'version', '', 'resource', '', ''],
  // kube-apiserver errors on a special verb with nothing after it; kubegate reads it as that verb on no resource (fails closed).
  ['PUT', '/api/v1/watch', 'watch', '', 'v1', '', '', '', ''],
  ['GET', '/api/v1/proxy', 'proxy', '', 'v1', '', '', '', ''],
  ['POST', '/apis/apps/v1/watch', 'watch', 'apps', 'v1', '', '', '', ''],
];

t.test('resource requests are read as kube-apiserver reads them', async (t) => {
  for (const [method, url, verb, apiGroup, apiVersion, namespace, resource, subresource, name] of RESOURCE_REQUESTS) {
    const [path = '', query = ''] = url.split('?');
    const info = readRequestInfo(method, path, new URLSearchParams(query));
    t.same({ ...info }, { isResourceRequest: true, path, verb, apiGroup, apiVersion, namespace, resource, subresource, name }, `${method} ${url}`);
  }
});

const NON_RESOURCE: readonly (readonly [string, string])[] = [
  ['no resource path', '/'],
  ['just a version', '/api/v1/'],
  ['prefix, group and version only', '/apis/group/version/'],
  ['another root', '/badprefix/version/resource'],
  ['a group without a version', '/apis/version/resource'],
  ['a version alone', '/api/version'],
  ['one step', '/api'],
  ['healthz', '/healthz'],
  ['version', '/version'],
  ['openapi', '/openapi/v3/apis/apps/v1'],
];

t.test('paths that name no resource are non-resource requests, their verb the method', async (t) => {
  for (const [label, path] of NON_RESOURCE) {
    const info = readRequestInfo('GET', path, new URLSearchParams());
    t.equal(info.isResourceRequest, false, label);
    t.equal(info.verb, 'get', `${label}: the verb is the method`);
  }
  t.equal(readRequestInfo('POST', '/version', new URLSearchParams()).verb, 'post');
});

t.test('these are resource requests, with enough steps under /api or /apis', async (t) => {
  for (const path of ['/api/version/resource', '/apis/group/version/resource/name/subresource', '/api/version/resource/name/subresource', '/apis/batch/v1/job', '/apis/batch/v1/job/foo', '/apis/batch/v1/job/foo/scale']) {
    t.ok(readRequestInfo('GET', path, new URLSearchParams()).isResourceRequest, path);
  }
});

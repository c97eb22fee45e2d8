// The demo cluster's learning scenario: an nginx Deployment with its pod and Service, and two service accounts.

import { runningContainerStatus } from './container-status.js';
import { findResourceType, type ResourceType } from './resources.js';
import type { KubeObject, ObjectStore } from './store.js';

function type(group: string, resource: string): ResourceType {
  const found = findResourceType(group, 'v1', resource);
  if (!found) throw new Error(`unknown demo resource ${group}/${resource}`);
  return found;
}

const NGINX_LABELS = { app: 'nginx' };
const CONTAINER = { name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] };

/**
 * Fills a fresh store; the pod name carries a replica-set style suffix as a real Deployment's would.
 * Fields are written in their Go structs' order, so the JSON reads as a real cluster's does.
 */
export function seedDemoCluster(store: ObjectStore): { podName: string } {
  const podName = 'nginx-7c5ddbdf54-x8k2p';
  const create = (t: ResourceType, object: KubeObject): void => {
    store.create(t, object);
  };
  create(type('apps', 'deployments'), {
    metadata: { name: 'nginx', namespace: 'default', labels: NGINX_LABELS },
    spec: { replicas: 1, selector: { matchLabels: NGINX_LABELS }, template: { metadata: { labels: NGINX_LABELS }, spec: { containers: [CONTAINER] } } },
    status: { replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
  });
  create(type('apps', 'replicasets'), {
    metadata: { name: 'nginx-7c5ddbdf54', namespace: 'default', labels: { ...NGINX_LABELS, 'pod-template-hash': '7c5ddbdf54' } },
    spec: { replicas: 1, selector: { matchLabels: NGINX_LABELS } },
    status: { replicas: 1, readyReplicas: 1 },
  });
  create(type('', 'pods'), {
    metadata: { name: podName, namespace: 'default', labels: { ...NGINX_LABELS, 'pod-template-hash': '7c5ddbdf54' } },
    spec: { containers: [CONTAINER], serviceAccountName: 'default', nodeName: 'demo-node' },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      podIP: '10.244.0.7',
      containerStatuses: [runningContainerStatus(CONTAINER.name, CONTAINER.image)],
    },
  });
  create(type('', 'services'), {
    metadata: { name: 'nginx', namespace: 'default', labels: NGINX_LABELS },
    spec: { ports: [{ protocol: 'TCP', port: 80, targetPort: 80 }], selector: NGINX_LABELS, clusterIP: '10.96.0.42', type: 'ClusterIP' },
  });
  for (const name of ['default', 'demo-sa']) create(type('', 'serviceaccounts'), { metadata: { name, namespace: 'default' } });
  create(type('rbac.authorization.k8s.io', 'roles'), {
    metadata: { name: 'list-pods', namespace: 'default' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
  });
  create(type('rbac.authorization.k8s.io', 'rolebindings'), {
    metadata: { name: 'demo-sa-list-pods', namespace: 'default' },
    subjects: [{ kind: 'ServiceAccount', name: 'demo-sa', namespace: 'default' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'list-pods' },
  });
  return { podName };
}

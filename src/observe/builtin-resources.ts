// The API resources every Kubernetes cluster serves (v1.32), for metric labels a client cannot invent.

/** Resources by API group ('' is the core group, /api/v1). Custom resources are not here: they count as `other`. */
const RESOURCES_BY_GROUP: Readonly<Record<string, readonly string[]>> = {
  '': [
    'bindings', 'componentstatuses', 'configmaps', 'endpoints', 'events', 'limitranges', 'namespaces', 'nodes',
    'persistentvolumeclaims', 'persistentvolumes', 'pods', 'podtemplates', 'replicationcontrollers', 'resourcequotas',
    'secrets', 'serviceaccounts', 'services',
  ],
  'admissionregistration.k8s.io': [
    'mutatingwebhookconfigurations', 'validatingwebhookconfigurations', 'validatingadmissionpolicies',
    'validatingadmissionpolicybindings', 'mutatingadmissionpolicies', 'mutatingadmissionpolicybindings',
  ],
  'apiextensions.k8s.io': ['customresourcedefinitions'],
  'apiregistration.k8s.io': ['apiservices'],
  apps: ['controllerrevisions', 'daemonsets', 'deployments', 'replicasets', 'statefulsets'],
  'authentication.k8s.io': ['selfsubjectreviews', 'tokenreviews'],
  'authorization.k8s.io': ['localsubjectaccessreviews', 'selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'subjectaccessreviews'],
  autoscaling: ['horizontalpodautoscalers'],
  batch: ['cronjobs', 'jobs'],
  'certificates.k8s.io': ['certificatesigningrequests', 'clustertrustbundles'],
  'coordination.k8s.io': ['leases', 'leasecandidates'],
  'discovery.k8s.io': ['endpointslices'],
  'events.k8s.io': ['events'],
  'flowcontrol.apiserver.k8s.io': ['flowschemas', 'prioritylevelconfigurations'],
  'internal.apiserver.k8s.io': ['storageversions'],
  'networking.k8s.io': ['ingressclasses', 'ingresses', 'ipaddresses', 'networkpolicies', 'servicecidrs'],
  'node.k8s.io': ['runtimeclasses'],
  policy: ['poddisruptionbudgets'],
  'rbac.authorization.k8s.io': ['clusterrolebindings', 'clusterroles', 'rolebindings', 'roles'],
  'resource.k8s.io': ['deviceclasses', 'resourceclaims', 'resourceclaimtemplates', 'resourceslices'],
  'scheduling.k8s.io': ['priorityclasses'],
  'storage.k8s.io': ['csidrivers', 'csinodes', 'csistoragecapacities', 'storageclasses', 'volumeattachments', 'volumeattributesclasses'],
  'storagemigration.k8s.io': ['storageversionmigrations'],
  // metrics-server: an aggregated API, but on nearly every cluster (kubectl top).
  'metrics.k8s.io': ['nodes', 'pods'],
};

/** Subresources other than `status` (which any resource may have), by the resource they belong to. */
const SUBRESOURCES: Readonly<Record<string, readonly string[]>> = {
  pods: ['attach', 'binding', 'ephemeralcontainers', 'eviction', 'exec', 'log', 'portforward', 'proxy', 'resize'],
  services: ['proxy'],
  nodes: ['proxy'],
  namespaces: ['finalize'],
  serviceaccounts: ['token'],
  replicationcontrollers: ['scale'],
  'apps/deployments': ['scale'],
  'apps/replicasets': ['scale'],
  'apps/statefulsets': ['scale'],
  'certificates.k8s.io/certificatesigningrequests': ['approval'],
};

function buildLabels(): ReadonlySet<string> {
  const labels = new Set<string>();
  for (const [group, resources] of Object.entries(RESOURCES_BY_GROUP)) {
    for (const resource of resources) {
      const label = group === '' ? resource : `${group}/${resource}`;
      labels.add(label);
      labels.add(`${label}/status`);
      for (const subresource of SUBRESOURCES[label] ?? []) labels.add(`${label}/${subresource}`);
    }
  }
  return labels;
}

/** `pods`, `pods/log`, `apps/deployments`, `apps/deployments/scale`, ...: a few hundred labels at most. */
export const BUILT_IN_RESOURCE_LABELS: ReadonlySet<string> = buildLabels();

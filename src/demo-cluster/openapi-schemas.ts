// The schemas in the demo's OpenAPI v3 documents: a small, truthful subset of Kubernetes' own (the same
// names, types and meanings, far fewer fields), so a learner can browse a kind's shape offline.

/** What a schema is named after (a ResourceType has these; not imported, so the two files form no cycle). */
interface KindOf {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

type Schema = Record<string, unknown>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string): Schema => ({ allOf: [{ $ref: `#/components/schemas/${name}` }] });
const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const int = (description: string): Schema => ({ type: 'integer', format: 'int32', description });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const list = (items: Schema, description: string): Schema => ({ type: 'array', items, description });
const map = (description: string, format?: string): Schema => ({ type: 'object', additionalProperties: { type: 'string', ...(format ? { format } : {}), default: '' }, description });
const object = (description: string, properties: Record<string, Schema>, required?: string[]): Schema => ({ type: 'object', description, properties, ...(required ? { required } : {}) });

/** Schemas every kind refers to (meta/v1). */
const SHARED: Record<string, Schema> = {
  [`${META}.ObjectMeta`]: object('ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.', {
    name: str('Name must be unique within a namespace. Cannot be updated.'),
    namespace: str('Namespace defines the space within which each name must be unique. An empty namespace is equivalent to the "default" namespace.'),
    labels: map('Map of string keys and values that can be used to organize and categorize (scope and select) objects.'),
    annotations: map('Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata.'),
    uid: str('UID is the unique in time and space value for this object. Populated by the system. Read-only.'),
    resourceVersion: str('An opaque value that represents the internal version of this object, used for optimistic concurrency, change detection, and the watch operation. Read-only.'),
    generation: { type: 'integer', format: 'int64', description: 'A sequence number representing a specific generation of the desired state. Populated by the system. Read-only.' },
    creationTimestamp: str('CreationTimestamp is a timestamp representing the server time when this object was created. Read-only.', { format: 'date-time' }),
  }),
  [`${META}.LabelSelector`]: object('A label selector is a label query over a set of resources. An empty label selector matches all objects.', {
    matchLabels: map('matchLabels is a map of {key,value} pairs; each is equivalent to an element of matchExpressions whose operator is "In".'),
    matchExpressions: list({ type: 'object' }, 'matchExpressions is a list of label selector requirements. The requirements are ANDed.'),
  }),
};

const CONTAINER = object(
  'A single application container that you want to run within a pod.',
  {
    name: str('Name of the container specified as a DNS_LABEL. Each container in a pod must have a unique name. Cannot be updated.'),
    image: str('Container image name.'),
    command: list({ type: 'string' }, 'Entrypoint array. Not executed within a shell. The container image\'s ENTRYPOINT is used if this is not provided.'),
    args: list({ type: 'string' }, "Arguments to the entrypoint. The container image's CMD is used if this is not provided."),
    ports: list(object('ContainerPort represents a network port in a single container.', { containerPort: int('Number of port to expose on the pod\'s IP address.'), name: str('If specified, this must be an IANA_SVC_NAME and unique within the pod.'), protocol: str('Protocol for port. Must be UDP, TCP, or SCTP. Defaults to "TCP".') }, ['containerPort']), 'List of ports to expose from the container.'),
  },
  ['name'],
);

const POD_SPEC = object(
  'PodSpec is a description of a pod.',
  {
    containers: list(CONTAINER, 'List of containers belonging to the pod. There must be at least one container in a Pod. Cannot be updated.'),
    nodeName: str('NodeName indicates in which node this pod is scheduled.'),
    serviceAccountName: str('ServiceAccountName is the name of the ServiceAccount to use to run this pod.'),
    restartPolicy: str('Restart policy for all containers within the pod. One of Always, OnFailure, Never. Default to Always.'),
  },
  ['containers'],
);

const CONDITIONS = list({ type: 'object' }, 'The latest available observations of the current state.');
const TEMPLATE = object('PodTemplateSpec describes the data a pod should have when created from a template.', { metadata: ref(`${META}.ObjectMeta`), spec: POD_SPEC });
const SELECTOR = ref(`${META}.LabelSelector`);

interface KindShape {
  readonly description: string;
  readonly fields: Record<string, Schema>;
}

const SPEC_STATUS = (spec: Schema, status: Schema): Record<string, Schema> => ({ spec, status });

/** PolicyRule, as Role and ClusterRole both hold them. */
const POLICY_RULES = (description: string): Schema => list(object('PolicyRule holds information that describes a policy rule, but does not contain information about who the rule applies to or which namespace the rule applies to.', { apiGroups: list({ type: 'string' }, 'APIGroups is the name of the APIGroup that contains the resources.'), resources: list({ type: 'string' }, 'Resources is a list of resources this rule applies to. \'*\' represents all resources.'), verbs: list({ type: 'string' }, 'Verbs is a list of Verbs that apply to ALL the ResourceKinds contained in this rule. \'*\' represents all verbs.'), resourceNames: list({ type: 'string' }, 'ResourceNames is an optional white list of names that the rule applies to.'), nonResourceURLs: list({ type: 'string' }, 'NonResourceURLs is a set of partial urls that a user should have access to. *s are allowed, but only as the full, final step in the path. Rules can either apply to API resources or non-resource URL paths, but not both.') }, ['verbs']), description);

const KINDS: Record<string, KindShape> = {
  Namespace: { description: 'Namespace provides a scope for Names. Use of multiple namespaces is optional.', fields: SPEC_STATUS(object('NamespaceSpec describes the attributes on a Namespace.', { finalizers: list({ type: 'string' }, 'Finalizers is an opaque list of values that must be empty to permanently remove object from storage.') }), object('NamespaceStatus is information about the current status of a Namespace.', { phase: str('Phase is the current lifecycle phase of the namespace: Active or Terminating.') })) },
  Node: { description: 'Node is a worker node in Kubernetes.', fields: SPEC_STATUS(object('NodeSpec describes the attributes that a node is created with.', { podCIDR: str('PodCIDR represents the pod IP range assigned to the node.'), unschedulable: bool('Unschedulable controls node schedulability of new pods. By default, node is schedulable.') }), object('NodeStatus is information about the current status of a node.', { capacity: map('Capacity represents the total resources of a node.'), conditions: CONDITIONS })) },
  Pod: { description: 'Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.', fields: SPEC_STATUS(POD_SPEC, object('PodStatus represents information about the status of a pod.', { phase: str('The phase of a Pod is a simple, high-level summary of where the Pod is in its lifecycle: Pending, Running, Succeeded, Failed or Unknown.'), podIP: str('podIP address allocated to the pod. Routable at least within the cluster.'), hostIP: str('hostIP holds the IP address of the host to which the pod is assigned.'), conditions: CONDITIONS, containerStatuses: list({ type: 'object' }, 'The list has one entry per container in the manifest.') })) },
  Service: { description: 'Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.', fields: SPEC_STATUS(object('ServiceSpec describes the attributes that a user creates on a service.', { type: str('type determines how the Service is exposed: ClusterIP (the default), NodePort, LoadBalancer or ExternalName.'), selector: map('Route service traffic to pods with label keys and values matching this selector.'), clusterIP: str('clusterIP is the IP address of the service and is usually assigned randomly.'), ports: list(object('ServicePort contains information on service\'s port.', { name: str('The name of this port within the service.'), port: int('The port that will be exposed by this service.'), targetPort: { 'x-kubernetes-int-or-string': true, description: 'Number or name of the port to access on the pods targeted by the service.' }, protocol: str('The IP protocol for this port. Supports "TCP", "UDP", and "SCTP". Default is TCP.') }, ['port']), 'The list of ports that are exposed by this service.') }), object('ServiceStatus represents the current status of a service.', { loadBalancer: { type: 'object', description: 'LoadBalancer contains the current status of the load-balancer, if one is present.' } })) },
  ConfigMap: { description: 'ConfigMap holds configuration data for pods to consume.', fields: { data: map('Data contains the configuration data. Each key must consist of alphanumeric characters, \'-\', \'_\' or \'.\'.'), binaryData: map('BinaryData contains the binary data.', 'byte'), immutable: bool('Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated.') } },
  Secret: { description: 'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.', fields: { data: map('Data contains the secret data. The serialized form of the secret data is a base64 encoded string.', 'byte'), stringData: map('stringData allows specifying non-binary secret data in string form. It is provided as a write-only input field for convenience.'), type: str('Used to facilitate programmatic handling of secret data.'), immutable: bool('Immutable, if set to true, ensures that data stored in the Secret cannot be updated.') } },
  ServiceAccount: { description: 'ServiceAccount binds together: a name, understood by users, and perhaps by peripheral systems, for an identity; a principal that can be authenticated and authorized; a set of secrets.', fields: { automountServiceAccountToken: bool('Indicates whether pods running as this service account should have an API token automatically mounted.'), secrets: list({ type: 'object' }, 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.') } },
  Event: { description: 'Event is a report of an event somewhere in the cluster.', fields: { involvedObject: { type: 'object', description: 'The object that this event is about.' }, reason: str('This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'), message: str('A human-readable description of the status of this operation.'), type: str('Type of this event (Normal, Warning), new types could be added in the future.'), count: int('The number of times this event has occurred.') } },
  Deployment: { description: 'Deployment enables declarative updates for Pods and ReplicaSets.', fields: SPEC_STATUS(object('DeploymentSpec is the specification of the desired behavior of the Deployment.', { replicas: int('Number of desired pods. Defaults to 1.'), selector: SELECTOR, template: TEMPLATE, strategy: { type: 'object', description: 'The deployment strategy to use to replace existing pods with new ones.' } }, ['selector', 'template']), object('DeploymentStatus is the most recently observed status of the Deployment.', { replicas: int('Total number of non-terminating pods targeted by this deployment (their labels match the selector).'), updatedReplicas: int('Total number of non-terminating pods targeted by this deployment that have the desired template spec.'), readyReplicas: int('Total number of non-terminating pods targeted by this Deployment with a Ready Condition.'), availableReplicas: int('Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.'), conditions: CONDITIONS })) },
  ReplicaSet: { description: 'ReplicaSet ensures that a specified number of pod replicas are running at any given time.', fields: SPEC_STATUS(object('ReplicaSetSpec is the specification of a ReplicaSet.', { replicas: int('Replicas is the number of desired pods. Defaults to 1.'), selector: SELECTOR, template: TEMPLATE }, ['selector']), object('ReplicaSetStatus represents the current status of a ReplicaSet.', { replicas: int('Replicas is the most recently observed number of non-terminating pods.'), readyReplicas: int('The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.'), availableReplicas: int('The number of available non-terminating pods (ready for at least minReadySeconds) for this replica set.') })) },
  Role: { description: 'Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding.', fields: { rules: POLICY_RULES('Rules holds all the PolicyRules for this Role') } },
  ClusterRole: { description: 'ClusterRole is a cluster level, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding or ClusterRoleBinding.', fields: { rules: POLICY_RULES('Rules holds all the PolicyRules for this ClusterRole') } },
  RoleBinding: { description: 'RoleBinding references a role, but does not contain it. It adds who information via Subjects and namespace information by which namespace it exists in.', fields: { subjects: list(object('Subject contains a reference to the object or user identities a role binding applies to.', { kind: str('Kind of object being referenced: "User", "Group", and "ServiceAccount".'), name: str('Name of the object being referenced.'), namespace: str('Namespace of the referenced object.'), apiGroup: str('APIGroup holds the API group of the referenced subject.') }, ['kind', 'name']), 'Subjects holds references to the objects the role applies to.'), roleRef: object('RoleRef contains information that points to the role being used.', { apiGroup: str('APIGroup is the group for the resource being referenced.'), kind: str('Kind is the type of resource being referenced.'), name: str('Name is the name of resource being referenced.') }, ['apiGroup', 'kind', 'name']) } },
  NetworkPolicy: { description: 'NetworkPolicy describes what network traffic is allowed for a set of Pods.', fields: { spec: object('NetworkPolicySpec provides the specification of a NetworkPolicy.', { podSelector: SELECTOR, policyTypes: list({ type: 'string' }, 'policyTypes is a list of rule types that the NetworkPolicy relates to: "Ingress", "Egress", or both.'), ingress: list({ type: 'object' }, 'ingress is a list of ingress rules to be applied to the selected pods.'), egress: list({ type: 'object' }, 'egress is a list of egress rules to be applied to the selected pods.') }) } },
};

const PACKAGE_BY_GROUP: Record<string, string> = { '': 'core', apps: 'apps', 'rbac.authorization.k8s.io': 'rbac', 'networking.k8s.io': 'networking' };

/** `io.k8s.api.core.v1.Pod`: the name Kubernetes gives a kind's schema. */
export function schemaName(type: KindOf): string {
  return `io.k8s.api.${PACKAGE_BY_GROUP[type.group] ?? type.group}.${type.version}.${type.kind}`;
}

/** The schemas of one group version's kinds, and the meta/v1 ones they refer to. */
export function openApiSchemas(types: readonly KindOf[]): Record<string, Schema> {
  const schemas: Record<string, Schema> = { ...SHARED };
  for (const type of types) {
    const shape = KINDS[type.kind];
    if (shape === undefined) continue;
    schemas[schemaName(type)] = {
      ...object(shape.description, {
        apiVersion: str('APIVersion defines the versioned schema of this representation of an object.'),
        kind: str('Kind is a string value representing the REST resource this object represents.'),
        metadata: ref(`${META}.ObjectMeta`),
        ...shape.fields,
      }),
      'x-kubernetes-group-version-kind': [{ group: type.group, version: type.version, kind: type.kind }],
    };
  }
  return schemas;
}

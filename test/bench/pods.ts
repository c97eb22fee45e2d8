// Pods shaped like the ones a real cluster returns (kube-apiserver 1.3x, a Deployment's pod after the
// kubelet has reported it): metadata with labels, annotations, an owner and managedFields; a spec
// with a container, probes, resources and the usual projected/configMap/emptyDir volumes; a status
// with five conditions and container statuses. About 3.5 KB of JSON each, as `kubectl get pod -o json`
// shows for an ordinary workload. The content is deterministic (a seeded generator), so every run
// and every proxy sees the same bytes.

export interface BenchPod {
  kind: 'Pod';
  apiVersion: 'v1';
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    ownerReferences: { apiVersion: string; kind: string; name: string; uid: string; controller: boolean; blockOwnerDeletion: boolean }[];
    managedFields: { manager: string; operation: string; apiVersion: string; time: string; fieldsType: string; fieldsV1: unknown; subresource?: string }[];
  };
  spec: Record<string, unknown>;
  status: {
    phase: string;
    conditions: { type: string; status: string; lastProbeTime: null; lastTransitionTime: string }[];
    hostIP: string;
    podIP: string;
    podIPs: { ip: string }[];
    startTime: string;
    containerStatuses: Record<string, unknown>[];
    qosClass: string;
  };
}

/** A small linear-congruential generator: the same sequence on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const APPS = ['web', 'api', 'worker', 'cache', 'ingest', 'billing', 'search', 'auth', 'notifier', 'scheduler'];
const IMAGES = ['nginx:1.27.2', 'ghcr.io/acme/api:v2.14.3', 'ghcr.io/acme/worker:v2.14.3', 'redis:7.4.1', 'ghcr.io/acme/ingest:v1.9.0'];

function suffix(random: () => number, length: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
}

function uid(random: () => number): string {
  const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}

function container(name: string, image: string, port: number, tokenVolume: string): Record<string, unknown> {
  return {
    name,
    image,
    ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
    env: [{ name: 'LOG_LEVEL', value: 'info' }],
    resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
    volumeMounts: [
      { name: 'config', mountPath: '/etc/app' },
      { name: tokenVolume, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ],
    readinessProbe: { httpGet: { path: '/healthz', port, scheme: 'HTTP' }, periodSeconds: 10 },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
  };
}

function managedFields(time: string): BenchPod['metadata']['managedFields'] {
  return [
    {
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'v1',
      time,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:generateName': {}, 'f:labels': { '.': {}, 'f:app': {}, 'f:pod-template-hash': {} }, 'f:ownerReferences': { '.': {} } }, 'f:spec': { 'f:containers': {}, 'f:volumes': {} } },
    },
    {
      manager: 'kubelet',
      operation: 'Update',
      apiVersion: 'v1',
      time,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:lastTransitionTime': {}, 'f:status': {} } }, 'f:containerStatuses': {}, 'f:podIP': {} } },
      subresource: 'status',
    },
  ];
}

/** The pod number `index` of `namespace`; `name` overrides the generated one (the GET target). */
export function buildPod(index: number, namespace: string, name?: string): BenchPod {
  const random = seeded(20261201 + index);
  const app = APPS[index % APPS.length] ?? 'web';
  const hash = suffix(random, 10);
  const time = `2026-11-${String(1 + (index % 28)).padStart(2, '0')}T0${index % 10}:1${index % 6}:2${index % 10}Z`;
  const token = `kube-api-access-${suffix(random, 5)}`;
  const image = IMAGES[index % IMAGES.length] ?? 'nginx:1.27.2';
  const ip = `10.244.${index % 250}.${(index * 7) % 250}`;
  const conditions = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: time }));
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: name ?? `${app}-${hash}-${suffix(random, 5)}`,
      namespace,
      uid: uid(random),
      resourceVersion: String(100_000 + index),
      creationTimestamp: time,
      labels: { app, 'pod-template-hash': hash, 'app.kubernetes.io/part-of': 'shop' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': time, 'prometheus.io/scrape': 'true' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-${hash}`, uid: uid(random), controller: true, blockOwnerDeletion: true }],
      managedFields: managedFields(time),
    },
    spec: {
      volumes: [
        { name: 'config', configMap: { name: `${app}-config`, defaultMode: 420 } },
        { name: token, projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }], defaultMode: 420 } },
      ],
      containers: [container(app, image, 8080, token)],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      nodeName: `node-${index % 12}`,
      securityContext: {},
      schedulerName: 'default-scheduler',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase: 'Running',
      conditions,
      hostIP: `172.18.0.${2 + (index % 12)}`,
      podIP: ip,
      podIPs: [{ ip }],
      startTime: time,
      containerStatuses: [
        {
          name: app,
          state: { running: { startedAt: time } },
          ready: true,
          restartCount: 0,
          image,
          containerID: `containerd://${uid(random).replaceAll('-', '')}${uid(random).replaceAll('-', '').slice(0, 32)}`,
          started: true,
        },
      ],
      qosClass: 'Burstable',
    },
  };
}

/** A real change, as the kubelet makes: Ready flips, the restart count and resourceVersion move on. */
export function modifyPod(pod: BenchPod, resourceVersion: number, sentAt: string): void {
  const ready = pod.status.conditions.find((condition) => condition.type === 'Ready');
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  if (ready) {
    ready.status = ready.status === 'True' ? 'False' : 'True';
    ready.lastTransitionTime = now;
  }
  const first = pod.status.containerStatuses[0];
  if (first) first.restartCount = Number(first.restartCount ?? 0) + 1;
  pod.metadata.resourceVersion = String(resourceVersion);
  pod.metadata.annotations.sentAt = sentAt;
  for (const entry of pod.metadata.managedFields) if (entry.manager === 'kubelet') entry.time = now;
}

/** A PodList as kube-apiserver writes it. */
export function podList(items: readonly BenchPod[], resourceVersion: string): { kind: string; apiVersion: string; metadata: { resourceVersion: string }; items: readonly BenchPod[] } {
  return { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion }, items };
}

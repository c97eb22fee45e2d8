// A running container's status as the kubelet reports it, fields in ContainerStatus's Go order.
//
// imageID is required by API clients' models (the Python client refuses a pod without it), so it is always
// set, as the kubelet sets it for a started container; the digest and container ID are made up but well formed.

import { createHash, randomBytes } from 'node:crypto';
import { timestampNow } from './wire.js';

/** The repository digest the demo gives an image: stable per image name. */
function imageDigest(image: string): string {
  const repository = image.split(':')[0] ?? image;
  const qualified = repository.includes('/') ? repository : `docker.io/library/${repository}`;
  return `${qualified}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

export function runningContainerStatus(name: string | undefined, image: string | undefined): Record<string, unknown> {
  return {
    name,
    state: { running: { startedAt: timestampNow() } },
    ready: true,
    restartCount: 0,
    image,
    imageID: imageDigest(image ?? ''),
    containerID: `containerd://${randomBytes(32).toString('hex')}`,
    started: true,
  };
}

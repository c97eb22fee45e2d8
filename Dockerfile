# kubegate as a container: a sidecar that gives the pod's other containers plain HTTP on 127.0.0.1:8001.
# Image size target: under 140 MB (distroless Node 20 base ~130 MB + the bundled kubegate, about 4 MB).
# test/e2e/container.test.ts replays the RUN/COPY steps below in a clean directory (no container engine on CI).

# 1. Build: compile TypeScript and bundle kubegate with its dependencies into dist/bundle (npm run build).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.page.json ./
COPY scripts ./scripts
COPY src ./src
COPY test ./test
RUN npm run build

# 2. The runtime: no shell, no package manager, a non-root user (65532), nothing written to disk.
# The bundle carries every dependency, so no node_modules is copied: nothing from the build stage's
# dev dependencies can reach the image.
FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist/bundle ./dist/bundle
USER 65532:65532
EXPOSE 8001 9101
# The pod's service account is found automatically (no kubeconfig needed). kubegate listens on loopback
# only: other containers of the pod reach it, nothing outside the pod does. The admin listener (health,
# readiness, metrics) is on all interfaces so the kubelet's probes and Prometheus can reach it; it never
# proxies the API. Logs are JSON on stderr. Override any of these with the container's `args`.
# --max-semi-space-size=2 (MiB): V8's young generation grows to 16 MiB per semi-space under a burst of
# requests or watches and keeps that room committed; capped at 2, 1,000 held watches peak at 97 instead
# of 114 MiB and a GET load at 98 instead of 120 MiB, for no CPU per request that the measurements
# could tell from noise (issue 17, notes in README's Performance section). A sidecar's memory limit
# is what this buys; a local `kubegate` run keeps Node's defaults.
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=2", "/app/dist/bundle/kubegate.js"]
CMD ["--address=127.0.0.1", "--port=8001", "--admin-address=0.0.0.0:9101", "--log-format=json"]

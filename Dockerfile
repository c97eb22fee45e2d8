# kubegate as a container: a sidecar that gives the pod's other containers plain HTTP on 127.0.0.1:8001.
# Image size target: under 170 MB (distroless Node 20 base ~130 MB + ~31 MB production dependencies + <1 MB of kubegate).
# test/e2e/dockerfile.test.ts replays the RUN/COPY steps below in a clean directory (no container engine on CI).

# 1. Compile TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
RUN npx tsc -p tsconfig.json

# 2. Production dependencies only, installed from the lockfile in a clean stage.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# 3. The runtime: no shell, no package manager, a non-root user (65532), nothing written to disk.
FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
USER 65532:65532
EXPOSE 8001 9101
# The pod's service account is found automatically (no kubeconfig needed). kubegate listens on loopback
# only: other containers of the pod reach it, nothing outside the pod does. The admin listener (health,
# readiness, metrics) is on all interfaces so the kubelet's probes and Prometheus can reach it; it never
# proxies the API. Logs are JSON on stderr. Override any of these with the container's `args`.
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/src/bin.js"]
CMD ["--address=127.0.0.1", "--port=8001", "--admin-address=0.0.0.0:9101", "--log-format=json"]

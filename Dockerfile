# kubegate as a sidecar container: a first version (the sidecar issue hardens it).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
USER node
# In a pod the service account is used automatically; 0.0.0.0 is NOT the default (see README, security).
ENTRYPOINT ["node", "dist/src/bin.js"]
CMD ["--port=8001"]

# syntax=docker/dockerfile:1
# One image for every service, built in stages: TypeScript compiled to JavaScript (`pnpm build`),
# production dependencies only, Node 22 LTS, non-root, nothing written outside /tmp and /secrets.
# Which service runs is the argument to node: services/<name>/src/main.js (compose `command:`,
# Kubernetes `args:`). SERVICE names it for the health probe (the gateway's public listener, or an
# internal one over mTLS) and sets the default command.
#
# The base is pinned by digest: node:22.14-bookworm-slim as published (linux/amd64+arm64 index).
# No registry is reachable from where this file was written, so the digest could not be re-resolved
# here; let Renovate/Dependabot move it to the newest 22.x (`docker buildx imagetools inspect node:22-bookworm-slim`).
ARG NODE_IMAGE=node:22.14-bookworm-slim@sha256:bac8ff0b5302b06924a5e288fb4ceecef9c8bb0bb92515985d2efdc3a2447052

FROM ${NODE_IMAGE} AS pnpm
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH
RUN npm i -g pnpm@10.34.9
WORKDIR /app
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/shared/package.json packages/shared/
COPY services/gateway/package.json services/gateway/
COPY services/context/package.json services/context/
COPY services/embedding/package.json services/embedding/
COPY services/extraction/package.json services/extraction/

# Everything, dev dependencies included: compiles the services. Also compose's one-shot `secrets`
# service (scripts/compose-secrets.ts, scripts/token.ts for dev tokens) runs from this stage.
FROM pnpm AS build
RUN pnpm install --frozen-lockfile
COPY tsconfig.json tsconfig.build.json ./
COPY proto proto
COPY packages packages
COPY services services
COPY scripts scripts
RUN pnpm run build
# Mount points of the per-service secrets volumes: a new volume takes this owner, so the `secrets`
# service, running as node, can fill it.
RUN mkdir -p /secrets/gateway /secrets/context /secrets/embedding /secrets/extraction && chown -R node:node /secrets
USER node

# Production dependencies only, for the runtime stage.
FROM pnpm AS deps
RUN pnpm install --frozen-lockfile --prod

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: SIGTERM reaches node (which drains: health NOT_SERVING, in-flight calls finish
# within SHUTDOWN_GRACE_MS) and zombies of worker threads' children are reaped.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/packages/shared/node_modules packages/shared/node_modules
COPY --from=deps /app/services/gateway/node_modules services/gateway/node_modules
COPY --from=deps /app/services/context/node_modules services/context/node_modules
COPY --from=deps /app/services/embedding/node_modules services/embedding/node_modules
COPY --from=deps /app/services/extraction/node_modules services/extraction/node_modules
# JavaScript, package manifests and runtime assets only (see scripts/build.ts).
COPY --from=build /app/dist/packages packages
COPY --from=build /app/dist/services services
RUN mkdir -p /secrets/gateway /secrets/context /secrets/embedding /secrets/extraction && chown -R node:node /secrets
ARG SERVICE=gateway
# Nothing is written under /app: the root filesystem can be read-only (Kubernetes mounts /tmp).
ENV SERVICE=${SERVICE} GRPC_ADDRESS=0.0.0.0:50051 NODE_ENV=production
EXPOSE 50051 8081 9464
USER node
# One compiled grpc.health.v1 Check, in the container's own TLS when TLS is on (Kubernetes uses its
# native gRPC probe on HEALTH_PORT instead).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "packages/shared/scripts/healthcheck.js", "127.0.0.1:50051"]
ENTRYPOINT ["/usr/bin/tini", "--", "node"]
CMD ["services/gateway/src/main.js"]

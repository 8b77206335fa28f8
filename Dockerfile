# One image for every service; SERVICE picks which one runs (and, for the health probe, which
# listener it dials: the gateway's public one, or an internal one over mTLS).
FROM node:20.19-bookworm-slim
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH
RUN npm i -g pnpm@10.34.9
WORKDIR /app
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/shared/package.json packages/shared/
COPY services/gateway/package.json services/gateway/
COPY services/context/package.json services/context/
COPY services/embedding/package.json services/embedding/
COPY services/extraction/package.json services/extraction/
# Services run their TypeScript with tsx (a root devDependency), so the install keeps dev dependencies.
RUN pnpm install --frozen-lockfile --prod=false
COPY proto proto
COPY packages packages
COPY services services
# The health probe, and compose's `secrets` service (scripts/compose-secrets.ts; token.ts mints dev tokens).
COPY scripts/healthcheck.ts scripts/compose-secrets.ts scripts/token.ts scripts/
COPY scripts/lib scripts/lib
# Mount points of the per-service secrets volumes: a new volume takes this owner, so the `secrets`
# service, running as node, can fill it.
RUN mkdir -p /secrets/gateway /secrets/context /secrets/embedding /secrets/extraction && chown -R node:node /secrets
ARG SERVICE
ENV SERVICE=${SERVICE} GRPC_ADDRESS=0.0.0.0:50051 NODE_ENV=production
EXPOSE 50051
USER node
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["node", "--import", "tsx", "scripts/healthcheck.ts", "127.0.0.1:50051"]
CMD ["sh", "-c", "exec node --import tsx services/${SERVICE}/src/main.ts"]

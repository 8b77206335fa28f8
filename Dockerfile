# One image for every service; SERVICE picks which one runs.
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
COPY scripts/healthcheck.ts scripts/healthcheck.ts
ARG SERVICE
ENV SERVICE=${SERVICE} GRPC_ADDRESS=0.0.0.0:50051 NODE_ENV=production
EXPOSE 50051
USER node
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["node", "--import", "tsx", "scripts/healthcheck.ts", "127.0.0.1:50051"]
CMD ["sh", "-c", "exec node --import tsx services/${SERVICE}/src/main.ts"]

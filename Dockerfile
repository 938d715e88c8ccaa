# idsync worker / watcher / codec image. Build: docker build -t idsync .
# Two stages: the build stage compiles the TypeScript to dist/ and bundles the workflows once
# (`npm run build`); the runtime stage holds the runtime dependencies and dist/ only, and runs
# compiled JavaScript (no TypeScript, no transpiling or webpack at start).

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Every dependency, the compiler included (devDependencies).
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY app ./app
COPY domain ./domain
COPY lib ./lib
COPY policy ./policy
COPY audit ./audit
COPY targets ./targets
COPY directory ./directory
COPY activities ./activities
COPY workflows ./workflows
COPY workers ./workers
COPY starters ./starters
COPY cli ./cli
COPY emulators ./emulators
COPY scripts ./scripts
RUN npm run build

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only; the compiler and the pinned Node from devDependencies are not needed.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# `docker compose exec idsync-worker npx idsync status <user>`: the bin runs dist/cli/idsync.js.
COPY bin ./bin
USER node
# Default role: every part. docker-compose.yml runs separate services per role.
CMD ["node", "dist/workers/main.js", "--config", "/etc/idsync/idsync.yaml"]

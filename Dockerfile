# idsync worker / watcher image. Build: docker build -t idsync .
FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only; the pinned Node from devDependencies is not needed inside the image.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY lib ./lib
COPY targets ./targets
COPY directory ./directory
COPY policy ./policy
COPY audit ./audit
COPY activities ./activities
COPY workflows ./workflows
COPY workers ./workers
COPY starters ./starters
COPY cli ./cli
COPY tsconfig.json ./
USER node
# Default role: every part. docker-compose.yml runs separate services per role.
CMD ["node", "--import", "tsx", "workers/main.ts", "--config", "/etc/idsync/idsync.yaml"]

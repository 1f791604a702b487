# Coxswain's image. Node 24 runs the TypeScript sources directly (type stripping),
# so the build stage only type-checks and the runtime stage carries production
# dependencies and sources, nothing else.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY commands ./commands
RUN npx tsc --noEmit

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="coxswain" \
      org.opencontainers.image.description="Slack ChatOps for Kubernetes" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY commands ./commands
USER 10001:10001
EXPOSE 3000
ENTRYPOINT ["node", "src/main.ts"]
CMD ["start"]

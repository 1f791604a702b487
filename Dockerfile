# Coxswain's image. The build stage type-checks and compiles the TypeScript to
# JavaScript: Node could run the sources directly, but its type stripper costs
# every process ~17 MiB (bench/RESULTS.md, section 4.2). The runtime stage is
# distroless (no shell, no package manager) with production dependencies, the
# compiled sources and the SBOM of those dependencies (/app/sbom.cdx.json), nothing else.
# test/integration/ship/dockerfile.test.ts runs these same steps in a scratch folder.
#
# Pin both images by digest for reproducible builds, e.g.
#   docker build --build-arg NODE_IMAGE=node:26.10.0-trixie-slim@sha256:<digest> \
#                --build-arg RUNTIME_IMAGE=gcr.io/distroless/nodejs26-debian13:nonroot@sha256:<digest> .
# (`docker buildx imagetools inspect <image>` prints the digest). The defaults below name versions, not digests:
# this repository is built and tested where no image registry can be reached, so no digest here was ever pulled.
ARG NODE_IMAGE=node:26.10.0-trixie-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs26-debian13:nonroot

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY commands ./commands
RUN npx tsc -p tsconfig.json --noEmit false --outDir dist --rootDir .

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
# The software bill of materials of exactly what the runtime stage ships: CycloneDX 1.5, every package of
# node_modules with its version, purl, license and the lockfile's SHA-512 (npm's own `npm sbom`). npm sbom refuses a
# tree that lacks the devDependencies package.json names, and from the lockfile alone (--package-lock-only) it lists
# other platforms' optional packages and misses some installed ones; so this stage forgets its devDependencies first
# (the runtime stage copies package.json from the source, not from here).
RUN npm pkg delete devDependencies && npm sbom --omit=dev --sbom-format=cyclonedx --sbom-type=application > sbom.cdx.json

FROM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="coxswain" \
      org.opencontainers.image.description="Slack ChatOps for Kubernetes" \
      org.opencontainers.image.source="https://github.com/coxswain/coxswain" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/sbom.cdx.json ./sbom.cdx.json
COPY package.json ./
COPY --from=build /app/dist/src ./src
COPY --from=build /app/dist/commands ./commands
# A numeric user (runAsNonRoot can verify it); nothing is written outside /tmp, so the
# root filesystem can be read-only (deploy/ mounts an emptyDir at /tmp).
USER 10001:10001
EXPOSE 3000
ENTRYPOINT ["/nodejs/bin/node", "src/main.js"]
CMD ["start"]

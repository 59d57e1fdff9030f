# syntax=docker/dockerfile:1
# One image for every pipeline service; the service is chosen by argument:
#   docker run hls-crop-chips service reprojector --config /etc/hls/config.yaml
# Node 22 runs the TypeScript sources directly (type stripping), so there is no build stage:
# `deps` installs production dependencies, `runtime` puts the sources next to them.
# GDAL is not needed at run time (rasters are read and written in JavaScript).

ARG NODE_IMAGE=node:22-slim

# The workspaces' package.json files alone (plus empty stand-ins for the apps' `bin` targets, which npm
# links): this stage's output only changes when a manifest does, so the `npm install` layer below is reused
# across source-only changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY libs ./libs
COPY apps ./apps
RUN find libs apps -type f ! -name package.json ! -path '*/src/main.ts' -delete \
 && find libs apps -type f -path '*/src/main.ts' -exec truncate -s 0 {} + \
 && find libs apps -type d -empty -delete

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false
COPY package.json package-lock.json ./
COPY --from=manifests /app ./
# --omit=dev also drops the `node` devDependency: the base image's Node 22 runs the code.
# `npm install` follows the lock; `npm ci` refuses a lock made where nx's other-platform binaries are absent.
RUN npm install --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# No HLS_* variables here: every HLS_<KEY> overrides a config key (and HLS_CONFIG is not one), so the
# config file is passed with --config and data_dir comes from it.
ENV NODE_ENV=production
WORKDIR /app
# Code and dependencies stay root-owned (read-only for the service user); only /data is writable.
COPY --from=deps /app ./
COPY libs ./libs
COPY apps ./apps
# The base image's `node` user (uid/gid 1000); a new named volume on /data inherits this ownership.
RUN mkdir -p /data /etc/hls && chown node:node /data
USER node
VOLUME ["/data"]
# /healthz, /readyz and /metrics (health_port).
EXPOSE 9464
ENTRYPOINT ["node", "apps/cli/src/main.ts"]
CMD ["service", "chip-index", "--config", "/etc/hls/config.yaml"]

# The nbv image: the operator (`nbv operator`), the validation pod's report step (`nbv report`)
# and the BaseModel metadata Job (`nbv model inspect`); each passes only arguments, so the
# entrypoint is the nbv command. Build: docker build -t ghcr.io/nbv-project/nbv:0.1.0 .
# test/unit/dockerfile.test.ts lints this file and runs the entrypoint on the compiled sources.

# Production dependencies only.
FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# TypeScript compiled to dist/ (tsconfig.build.json leaves the tests out).
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY bin ./bin
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The image's `node` user; pods also set runAsUser, runAsNonRoot needs it numeric.
USER 1000:1000
ENTRYPOINT ["node", "/app/bin/nbv.js"]
CMD ["--help"]

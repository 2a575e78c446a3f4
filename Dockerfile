# syntax=docker/dockerfile:1
# Multi-stage build: a static binary (CGO off) in a minimal, non-root image
# with CA certificates. Build for several platforms with BuildKit:
#   docker buildx build --platform linux/amd64,linux/arm64 -t regprune .
# The classic builder (DOCKER_BUILDKIT=0, Docker 20.10) builds it too, for
# the host's platform on a linux/amd64 host: it sets no BUILDPLATFORM, so
# the build stage falls back to linux/amd64 (${BUILDPLATFORM:-...}), and
# TARGETOS/TARGETARCH are empty, so go builds for that stage's platform.
# Only instructions and flags both builders know are used (no RUN --mount,
# no heredocs, no COPY --chmod or --link); internal/imagetest checks it.
#
# The base images are referenced by tag, not yet by digest: pin them as
# NAME:TAG@sha256:DIGEST with the digest of the multi-platform index
# (`crane digest gcr.io/distroless/static-debian12:nonroot`, or
# `docker buildx imagetools inspect`), and update it with the tag.
ARG GO_VERSION=1.26
FROM --platform=${BUILDPLATFORM:-linux/amd64} golang:${GO_VERSION} AS build
ARG TARGETOS TARGETARCH VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/regprune ./cmd/regprune

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="regprune" \
      org.opencontainers.image.description="Retention for container registries and local image caches" \
      org.opencontainers.image.source="https://github.com/regprune/regprune" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/regprune /usr/local/bin/regprune
USER 65532:65532
ENTRYPOINT ["regprune"]

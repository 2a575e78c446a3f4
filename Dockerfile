# syntax=docker/dockerfile:1
# Multi-stage build: a static binary (CGO off) in a minimal, non-root image
# with CA certificates. Build for several platforms with
#   docker buildx build --platform linux/amd64,linux/arm64 -t regprune .
ARG GO_VERSION=1.26
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
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

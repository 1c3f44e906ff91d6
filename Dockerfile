# The p2pmesh image: static p2psim and p2pnode binaries (CGO_ENABLED=0) on
# distroless/static (no shell, no libc; runs as an unprivileged user), with
# the shipped scenarios under /scenarios. deploy/ runs it on Kubernetes:
# a sweep sharded over an Indexed Job, and one real p2pnode per host.
#
#   docker build -t p2pmesh:latest .        (or: podman build, buildah bud)
#   docker run --rm p2pmesh:latest run /scenarios/quickstart.yaml --no-render --out /tmp/out
#
# The entry point is p2psim; run p2pnode with --entrypoint /usr/local/bin/p2pnode.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags='-s -w' -o /out/p2psim ./cmd/p2psim \
 && go build -trimpath -ldflags='-s -w' -o /out/p2pnode ./cmd/p2pnode

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/p2psim /out/p2pnode /usr/local/bin/
COPY scenarios /scenarios
USER nonroot:nonroot
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/p2psim"]
CMD ["help"]

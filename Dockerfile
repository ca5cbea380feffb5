# Multi-stage build of the reservations binary.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t reservations .
#   docker run -p 8080:8080 -e RESERVATIONS_WEBHOOK_BASIC_AUTH=user:password -v reservations-data:/data reservations
#
# The default store is the embedded bbolt file under the /data volume; set RESERVATIONS_STORE=redis://… to run
# several instances on one Redis.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/reservations ./cmd/reservations \
    && mkdir -p /out/data

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 reservations \
    && useradd --system --uid 10001 --gid reservations --home-dir /nonexistent --shell /usr/sbin/nologin reservations
COPY --from=build /out/reservations /reservations
COPY --from=build --chown=10001:10001 /out/data /data
ENV RESERVATIONS_STORE=bolt:/data/reservations.db \
    PORT=8080
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/reservations", "serve"]

# acdhub in a container: `docker build -t acdhub .`, then
#   docker run -p 8080:8080 -p 8443:8443 -v acdhub-data:/var/lib/acdhub acdhub
# serves the built-in demo (its passwords are public: for a demo only). With your own
# configuration: -v /etc/acdhub:/etc/acdhub:ro -e ACDHUB_CONFIG=/etc/acdhub/acdhub.toml
# docs/operations.md, "A container image", says more.

# Build: the release binary, stripped (the release profile keeps debug information for
# profiling, several times the size of the code).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The commit, for acdhub_build_info (.git is not copied): docker build --build-arg
# ACDHUB_REVISION=$(git rev-parse --short HEAD) .
ARG ACDHUB_REVISION=unknown
ENV ACDHUB_REVISION=$ACDHUB_REVISION
RUN cargo build --release --locked --bin acdhub \
    && strip target/release/acdhub \
    && cp target/release/acdhub /acdhub

# Run: a small glibc base, a user of its own, the data directory a volume.
FROM debian:bookworm-slim
RUN useradd --system --user-group --home-dir /var/lib/acdhub --no-create-home acdhub \
    && mkdir -p /var/lib/acdhub \
    && chown acdhub:acdhub /var/lib/acdhub
COPY --from=build /acdhub /usr/bin/acdhub
USER acdhub
# Unprivileged ports; every interface, since the container's network is its own. Metrics too
# (publish 9464 only where Prometheus reaches it).
ENV ACDHUB_WS=0.0.0.0:8080 \
    ACDHUB_WSS=0.0.0.0:8443 \
    ACDHUB_METRICS=0.0.0.0:9464 \
    ACDHUB_DATA=/var/lib/acdhub \
    ACDHUB_LOG_FORMAT=json
EXPOSE 8080 8443 9464
VOLUME ["/var/lib/acdhub"]
# SIGTERM drains (/readyz answers 503 for [server] drain_secs), then closes every client with
# 1012; give `docker stop -t` more than drain_secs.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/acdhub"]

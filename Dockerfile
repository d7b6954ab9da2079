# Dockerfile — the alternative to `showtablectl image build` for people who prefer
# `docker build` (or `podman build`). Multi-stage: Debian 12 with the -dev packages builds
# the server; a slim runtime holds only its runtime libraries, the assets and a non-root
# user. `showtablectl image build` needs neither Docker nor a base image and gives a smaller,
# reproducible image; see docs/image.md for the comparison.
#
#   docker build -t showtable .
#   docker run --rm -p 8080:8080 -e AWS_REGION=eu-central-1 showtable

FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config git ca-certificates \
        libcurl4-openssl-dev libjansson-dev libmicrohttpd-dev libssl-dev libexpat1-dev \
        libarchive-dev zlib1g-dev libcrypt-dev libyaml-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make build/showtable && strip build/showtable

FROM debian:12-slim
# Only what build/showtable links (readelf -d: libmicrohttpd, libcrypt, zlib, libcurl,
# jansson, libcrypto, expat) and the CA bundle for TLS to AWS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
        libmicrohttpd12 libcrypt1 zlib1g libcurl4 libjansson4 libssl3 libexpat1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 showtable \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /home/showtable \
        --shell /usr/sbin/nologin showtable
COPY --from=build /src/build/showtable /showtable
COPY web /usr/share/showtable/web
COPY infra /usr/share/showtable/infra
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    SHOWTABLE_ASSETS=/usr/share/showtable/web
USER 10001:10001
EXPOSE 8080
# No shell in the image: the server checks itself (ECS uses the task definition's check instead).
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/showtable", "--health-check", "http://127.0.0.1:8080/ping"]
ENTRYPOINT ["/showtable"]

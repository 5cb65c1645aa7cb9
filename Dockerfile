# syntax=docker/dockerfile:1
# Build: the whole workspace is copied, only the service is built; the cargo registry and the
# target dir are BuildKit caches, so a rebuild after a code change recompiles only otpgram.
FROM rust:1-slim-bookworm AS build
# make: jemalloc (the service's allocator) is built from source.
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p otpgram --bin otpgram \
    && cp target/release/otpgram /otpgram

# Run: a small Debian with CA certificates (Telegram and managed Redis/PostgreSQL use TLS), a
# non-root user, and the one binary.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --create-home otpgram \
    && mkdir -p /app/data && chown otpgram /app/data
COPY --from=build /otpgram /usr/local/bin/otpgram
USER otpgram
WORKDIR /app
ENV APP_ENV=production \
    LOG_FORMAT=json \
    DATABASE_URL=sqlite:///app/data/otpgram.sqlite?mode=rwc
EXPOSE 8080
CMD ["otpgram", "serve"]

# geckos3 image: a compiled single binary on a distroless base, run as non-root.
#   docker build --build-arg VERSION=1.0.0 --build-arg COMMIT=$(git rev-parse --short HEAD) -t geckos3 .
FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY deno.json deno.lock main.ts ./
COPY src ./src
COPY scripts ./scripts
RUN deno install --frozen --entrypoint main.ts src/front/worker.ts
ARG VERSION=dev
ARG COMMIT=none
ARG BUILD_DATE=unknown
RUN deno run --allow-read --allow-write scripts/stamp_version.ts "$VERSION" "$COMMIT" "$BUILD_DATE" \
 && deno compile --allow-all --unstable-net --v8-flags=--max-semi-space-size=2 \
      --node-modules-dir=none --exclude-unused-npm \
      --include src/front/worker.ts \
      --output /out/geckos3 main.ts \
 && mkdir -p /out/data

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/geckos3 /usr/local/bin/geckos3
COPY --from=build --chown=65532:65532 /out/data /data
ENV GECKOS3_DATA_DIR=/data \
    GECKOS3_LISTEN=:9000
VOLUME /data
EXPOSE 9000
USER nonroot
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 CMD ["/usr/local/bin/geckos3", "-healthcheck"]
ENTRYPOINT ["/usr/local/bin/geckos3"]

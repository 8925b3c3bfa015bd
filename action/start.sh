#!/usr/bin/env bash
# Starts geckos3 for the rest of a GitHub Actions job (action.yml): downloads the release binary
# for the runner (or runs $GECKOS3_BINARY when set: the tests use a stand-in), serves an ephemeral
# data dir on 127.0.0.1:$INPUT_PORT, waits for /health, and exports AWS_* for the later steps.
set -euo pipefail

port="${INPUT_PORT:-9000}"
work="${RUNNER_TEMP:-/tmp}/geckos3"
mkdir -p "$work"

binary="${GECKOS3_BINARY:-}"
if [ -z "$binary" ]; then
  case "${RUNNER_OS:-Linux}/${RUNNER_ARCH:-X64}" in
    Linux/X64) target=Linux_x86_64 ;;
    Linux/ARM64) target=Linux_arm64 ;;
    macOS/X64) target=Darwin_x86_64 ;;
    macOS/ARM64) target=Darwin_arm64 ;;
    Windows/X64) target=Windows_x86_64 ;;
    *) echo "geckos3: no release for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}" >&2; exit 1 ;;
  esac
  version="${INPUT_VERSION:-latest}"
  repo="${GECKOS3_REPOSITORY:-geckos3/geckos3}"
  if [ "$version" = latest ]; then
    version="$(curl -fsSL "https://api.github.com/repos/$repo/releases/latest" |
      sed -n 's/.*"tag_name": *"v\{0,1\}\([^"]*\)".*/\1/p' | head -n 1)"
  fi
  version="${version#v}"
  archive="geckos3_${version}_${target}.tar.gz"
  curl -fsSL -o "$work/$archive" "https://github.com/$repo/releases/download/v$version/$archive"
  tar -xzf "$work/$archive" -C "$work"
  binary="$work/geckos3"
  [ "$target" = Windows_x86_64 ] && binary="$work/geckos3.exe"
fi

# shellcheck disable=SC2086 # INPUT_ARGS is a list of flags
nohup "$binary" -ephemeral -listen "127.0.0.1:$port" \
  -access-key "${INPUT_ACCESS_KEY:-geckoadmin}" -secret-key "${INPUT_SECRET_KEY:-geckoadmin}" \
  -buckets "${INPUT_BUCKETS:-}" ${INPUT_ARGS:-} >"$work/geckos3.log" 2>&1 &
echo $! >"$work/geckos3.pid"

endpoint="http://127.0.0.1:$port"
for _ in $(seq 1 150); do
  if curl -fsS "$endpoint/health" >/dev/null 2>&1; then
    {
      echo "AWS_ENDPOINT_URL=$endpoint"
      echo "AWS_ACCESS_KEY_ID=${INPUT_ACCESS_KEY:-geckoadmin}"
      echo "AWS_SECRET_ACCESS_KEY=${INPUT_SECRET_KEY:-geckoadmin}"
      echo "AWS_REGION=us-east-1"
    } >>"${GITHUB_ENV:-/dev/null}"
    echo "endpoint=$endpoint" >>"${GITHUB_OUTPUT:-/dev/null}"
    echo "geckos3 is serving $endpoint (log: $work/geckos3.log)"
    exit 0
  fi
  if ! kill -0 "$(cat "$work/geckos3.pid")" 2>/dev/null; then break; fi
  sleep 0.2
done
echo "geckos3 did not start:" >&2
cat "$work/geckos3.log" >&2
exit 1

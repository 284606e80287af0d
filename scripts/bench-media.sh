#!/usr/bin/env bash
# Media throughput against `cp` on the same disk (issue #5): uploads a 1 GiB video by multipart
# form and by tus, downloads it, and reports MB/s and the server's peak RSS.
#
#   cargo build --release -p riffle && scripts/bench-media.sh [SIZE_MIB]
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
size_mib=${1:-1024}
bin=${RIFFLE_BIN:-target/release/riffle}
work=$(mktemp -d /var/tmp/riffle-bench.XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=18777

# A valid MP4 signature followed by incompressible bytes.
{ printf '\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2'; head -c $((size_mib * 1024 * 1024 - 24)) /dev/urandom; } > "$work/video.mp4"
sync

rate() { python3 -c "print(f'{$size_mib * 1.048576 / $1:.0f} MB/s')"; }
timed() { local start end; start=$(date +%s.%N); "$@" > /dev/null; end=$(date +%s.%N); python3 -c "print($end - $start)"; }

t_cp=$(timed cp "$work/video.mp4" "$work/copy.mp4"); sync; rm "$work/copy.mp4"
echo "cp:                 $(rate "$t_cp") ($t_cp s)"

start_riffle
sign_up

t_form=$(timed curl -sf -H "authorization: Bearer $token" -F "file=@$work/video.mp4;type=video/mp4" "$base/api/v1/media")
echo "multipart upload:   $(rate "$t_form") ($t_form s)"
media=$(curl -sf -H "authorization: Bearer $token" -F "file=@$work/video.mp4;type=video/mp4" "$base/api/v1/media" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

location=$(curl -sf -D - -o /dev/null -X POST "$base/api/v1/media/uploads" -H "authorization: Bearer $token" \
  -H 'tus-resumable: 1.0.0' -H "upload-length: $(stat -c %s "$work/video.mp4")" | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')
t_tus=$(timed curl -sf -X PATCH "$base$location" -H "authorization: Bearer $token" -H 'tus-resumable: 1.0.0' \
  -H 'upload-offset: 0' -H 'content-type: application/offset+octet-stream' -T "$work/video.mp4")
echo "tus upload:         $(rate "$t_tus") ($t_tus s)"

t_down=$(timed curl -sf -o "$work/down.mp4" "$base/api/v1/media/$media/content")
cmp -s "$work/video.mp4" "$work/down.mp4" || { echo "downloaded bytes differ"; exit 1; }
echo "download:           $(rate "$t_down") ($t_down s)"
echo "server peak RSS:    $(awk '/VmHWM/{print $2/1024 " MiB"}' "/proc/$pid/status")"

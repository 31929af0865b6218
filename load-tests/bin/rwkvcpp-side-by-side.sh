#!/usr/bin/env bash
# Finchstream and rwkv.cpp side by side on the same model files, alternately, in one window
# (docs/BENCHMARKS.md, "Side by side with rwkv.cpp"). Each round runs, for every model, rwkv.cpp on
# the FP16 file, Finchstream bf16 on the same file, rwkv.cpp on the Q8_0 file, Finchstream int8 on
# the same file (Q8_0 blocks kept as stored); then prints the table with medians and ranges.
#
#   load-tests/bin/rwkvcpp-side-by-side.sh --rwkv-cpp DIR --models DIR [--make-models] [--rounds 3]
#                                          [--threads 2] [--out FILE.md]
#
# --out also keeps the raw measurements, one JSON object per run, next to it (FILE.jsonl).
#
# --rwkv-cpp: an rwkv.cpp checkout built with native CPU flags (rwkv.h in DIR, librwkv.so in
#   DIR/build; e.g. cmake -B build -DRWKV_NATIVE=ON -DRWKV_AVX512=ON -DRWKV_STANDALONE=ON). Nothing
#   of rwkv.cpp is part of this repository: the script compiles our own driver
#   (load-tests/src/main/c/rwkvcpp_driver.c) against it.
# --models: a directory with finch-L12-D768-FP16.bin and finch-L24-D2048-FP16.bin (rwkv.cpp's
#   python/convert_pytorch_to_ggml.py from RWKV-6 .pth files, e.g. random ones); the Q8_0 files
#   are made from them with rwkv.cpp's quantizer when missing. --make-models makes missing FP16 files
#   from random RWKV-6 models (vocab 65536, seed 1): `finchstream model random` (bf16 safetensors),
#   written as an official-layout .pth by a few lines of our Python (needs torch), then converted by
#   rwkv.cpp's own converter.
# Without --rwkv-cpp (or without a build there) the script says so and exits 0: nothing to compare.
set -euo pipefail
rwkv=""
models=""
rounds=3
threads=2
out=""
make_models=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rwkv-cpp) rwkv="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --make-models) make_models=1; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$rwkv" ] || [ ! -f "$rwkv/rwkv.h" ] || [ ! -f "$rwkv/build/librwkv.so" ]; then
  echo "rwkvcpp-side-by-side: SKIPPED, no rwkv.cpp build given (--rwkv-cpp DIR with rwkv.h and build/librwkv.so);" \
    "see --help for how to build one" >&2
  exit 0
fi
if [ -z "$models" ] || [ ! -d "$models" ]; then
  echo "rwkvcpp-side-by-side: --models DIR is required (see --help)" >&2
  exit 2
fi
rwkv=$(cd "$rwkv" && pwd)
models=$(cd "$models" && pwd)
[ -n "$out" ] && out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")

# shellcheck source=prepare.sh
. "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
driver="$work/rwkvcpp_driver"
gcc -O2 -o "$driver" load-tests/src/main/c/rwkvcpp_driver.c -I"$rwkv" -L"$rwkv/build" -lrwkv \
  -Wl,-rpath,"$rwkv/build:$rwkv/build/ggml/src"

make_fp16() { # SHAPE FILE: a random RWKV-6 model, through .pth and rwkv.cpp's converter
  # the first python3 on the PATH may lack torch (pyenv shims): fall back to the system one
  local py=python3
  if ! python3 -c 'import torch' 2>/dev/null && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    py=/usr/bin/python3
  fi
  local layers=${1%%-*} dim=${1##*-}
  local st="$models/finch-$1.safetensors" pth="$models/finch-$1.pth"
  [ -f "$st" ] || ./finchstream model random --layers "${layers#L}" --dim "${dim#D}" --vocab 65536 --seed 1 \
    --dtype bf16 --out "$st" >&2
  "$py" - "$st" "$pth" <<'PY'
import json, struct, sys, torch
src, dst = sys.argv[1], sys.argv[2]
dtypes = {'BF16': torch.bfloat16, 'F32': torch.float32, 'F16': torch.float16}
with open(src, 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    header, base, state = json.loads(f.read(n)), 8 + n, {}
    for name, meta in header.items():
        if name != '__metadata__':
            a, b = meta['data_offsets']
            f.seek(base + a)
            data = bytearray(f.read(b - a))
            state[name] = torch.frombuffer(data, dtype=dtypes[meta['dtype']]).reshape(meta['shape']).clone()
torch.save(state, dst)
PY
  "$py" "$rwkv/python/convert_pytorch_to_ggml.py" "$pth" "$2" FP16 > "$work/convert-$1.log"
}

shapes=()
for shape in L12-D768 L24-D2048; do
  fp16="$models/finch-$shape-FP16.bin"
  if [ ! -f "$fp16" ] && [ "$make_models" = 1 ]; then
    echo "making $fp16 (random RWKV-6, seed 1)" >&2
    make_fp16 "$shape" "$fp16"
  fi
  if [ ! -f "$fp16" ]; then
    echo "no $fp16: skipping $shape" >&2
    continue
  fi
  if [ ! -f "$models/finch-$shape-Q8_0.bin" ]; then
    echo "quantizing $fp16 to Q8_0 with rwkv.cpp" >&2
    "$driver" quantize "$fp16" "$models/finch-$shape-Q8_0.bin" Q8_0 > "$work/quantize-$shape.log" 2>&1
  fi
  shapes+=("$shape")
done

results="$work/results.jsonl"
java_side() { # FILE PRECISION PREFILL BATCH
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Xmx14g -XX:+UseParallelGC \
    -cp 'load-tests/target/classes:load-tests/target/lib/*' io.finchstream.loadtests.engine.SideBySide \
    model="$1" precision="$2" threads="$threads" decode=64 prefill="$3" chunk=64 passes=3 batch="$4" 2>/dev/null
}
for round in $(seq 1 "$rounds"); do
  for shape in "${shapes[@]}"; do
    prefill=512
    [ "$shape" = L24-D2048 ] && prefill=128
    for format in FP16 Q8_0; do
      file="$models/finch-$shape-$format.bin"
      precision=bf16
      [ "$format" = Q8_0 ] && precision=int8
      echo "round $round: $shape $format: rwkv.cpp, then Finchstream $precision" >&2
      "$driver" time "$file" "$threads" 64 "$prefill" 64 3 2>/dev/null \
        | sed "s/^{/{\"round\": $round, \"shape\": \"$shape\", \"format\": \"$format\", /" >> "$results"
      batch=0
      [ "$round" = 1 ] && batch=64 # rwkv.cpp has no batching across conversations
      java_side "$file" "$precision" "$prefill" "$batch" \
        | sed "s/^{/{\"round\": $round, \"shape\": \"$shape\", \"format\": \"$format\", /" >> "$results"
    done
  done
done

[ -n "$out" ] && cp "$results" "${out%.md}.jsonl"
/usr/bin/env python3 - "$results" "$rounds" "$threads" <<'PY' | tee ${out:+"$out"}
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rounds, threads = sys.argv[2], sys.argv[3]
def cell(engine, shape, fmt, key, digits):
    v = [r[key] for r in rows if r['engine'] == engine and r['shape'] == shape and r['format'] == fmt and r.get(key)]
    if not v:
        return ''
    f = '%.' + str(digits) + 'f'
    m = f % statistics.median(v)
    return m if len(v) == 1 else '%s (%s–%s)' % (m, f % min(v), f % max(v))
print('Same files, alternately, %s rounds, %s threads each (medians, range over the rounds in brackets).' % (rounds, threads))
print()
print('| | Finchstream bf16 (FP16 file) | Finchstream int8 (Q8_0 file) | rwkv.cpp FP16 | rwkv.cpp Q8_0 |')
print('|---|---|---|---|---|')
shapes = sorted({r['shape'] for r in rows}, key=lambda s: int(s.split('-')[0][1:]))
for shape in shapes:
    print('| %s decode, ms/token | %s | %s | %s | %s |' % (shape,
        cell('finchstream', shape, 'FP16', 'decode_ms_per_token', 1), cell('finchstream', shape, 'Q8_0', 'decode_ms_per_token', 1),
        cell('rwkv.cpp', shape, 'FP16', 'decode_ms_per_token', 1), cell('rwkv.cpp', shape, 'Q8_0', 'decode_ms_per_token', 1)))
for shape in shapes:
    print('| %s prefill (chunks of 64), tokens/s | %s | %s | %s | %s |' % (shape,
        cell('finchstream', shape, 'FP16', 'prefill_tokens_per_second', 0), cell('finchstream', shape, 'Q8_0', 'prefill_tokens_per_second', 0),
        cell('rwkv.cpp', shape, 'FP16', 'prefill_tokens_per_second', 0), cell('rwkv.cpp', shape, 'Q8_0', 'prefill_tokens_per_second', 0)))
for shape in shapes:
    print('| %s batched decode, 64 conversations, tokens/s | %s | %s | no batching across conversations | |' % (shape,
        cell('finchstream', shape, 'FP16', 'batch_tokens_per_second', 0), cell('finchstream', shape, 'Q8_0', 'batch_tokens_per_second', 0)))
PY

#!/usr/bin/env bash
# Device check: the gated-ABMIL training step at N 8000, D 1024 on webgpu,
# blas and wasm in one process, with each CPU backend's time over webgpu's
# (target on a GPU: ≥ 10× over blas), then the built-in encoder's tiles/s
# on webgpu over ONNX Runtime on the CPU (target ≥ 10×). Prints the adapter
# first; on a software adapter (lavapipe) the figures are not targets.
#
# Offline: uses the Deno binary and npm packages bench/gpu_prepare.sh put in
# .cache/gpu/ when they are there (unpacked into a temp folder), else deno
# on PATH (or $DENO) with the project's own npm setup.
#
#   bench/gpu.sh                               # N 8000, D 1024, 5 steps
#   bench/gpu.sh --n 500 --d 128 --steps 2     # a small end-to-end check
#   GPU_BENCH_OUT=gpu.md bench/gpu.sh          # also write the tables there
#   GPU_EMBED_ARGS="--batch 4 --batches 1" bench/gpu.sh   # a smaller embed run
#   GPU_EMBED=0 bench/gpu.sh                   # the training step only
# Other options go to bench/gpu_step.ts (--backends, --warmup, --threads).
set -euo pipefail
cd "$(dirname "$0")/.."

prep=.cache/gpu
permissions=(--allow-ffi --allow-read --allow-write --allow-env --allow-sys)
if [ -f "$prep/deno.xz" ] && [ -f "$prep/deps.tar.xz" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  xz -dc "$prep/deno.xz" > "$tmp/deno"
  chmod +x "$tmp/deno"
  tar -C "$tmp" -xJf "$prep/deps.tar.xz"
  model=()
  if [ -f "$prep/mobilenet_v2.onnx.xz" ]; then
    xz -dc "$prep/mobilenet_v2.onnx.xz" > "$tmp/mobilenet_v2.onnx"
    model=(--model "$tmp/mobilenet_v2.onnx")
  fi
  export DENO_DIR="$tmp/deno_dir"
  deno=("$tmp/deno" run --cached-only --no-check --node-modules-dir=none
    --config "$tmp/deno.json" --lock="$tmp/deno.lock" --frozen)
  echo "gpu.sh: offline, with $prep ($("$tmp/deno" --version | head -1))"
else
  deno=("${DENO:-deno}" run --no-check)
  # The built-in encoder, converted on first use as asmil embed does.
  model=(--model "$("${deno[@]}" --allow-read --allow-write --allow-env --allow-sys \
    --allow-ffi - <<< 'import { mobileNetV2OnnxPath } from "./stages/embed/mobilenet_v2.ts";
console.log(await mobileNetV2OnnxPath());')")
  echo "gpu.sh: $prep not prepared (bench/gpu_prepare.sh); using $("${DENO:-deno}" --version | head -1) and the project's npm setup"
fi

# What WebGPU can run on: the Vulkan drivers installed (an NVIDIA GPU needs
# nvidia_icd.json from its driver's Vulkan part, not only CUDA).
drivers=$(ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null | grep '\.json$' | tr '\n' ' ' || true)
echo "gpu.sh: Vulkan drivers: ${drivers:-none}"
command -v nvidia-smi > /dev/null &&
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader |
  sed 's/^/gpu.sh: nvidia-smi: /' || true

out=()
[ -n "${GPU_BENCH_OUT:-}" ] && out=(--out "$GPU_BENCH_OUT.step")
"${deno[@]}" "${permissions[@]}" bench/gpu_step.ts "$@" "${out[@]}"
if [ "${GPU_EMBED:-1}" != 0 ]; then
  echo
  [ -n "${GPU_BENCH_OUT:-}" ] && out=(--out "$GPU_BENCH_OUT.embed")
  # shellcheck disable=SC2086 # GPU_EMBED_ARGS is a list of options
  "${deno[@]}" "${permissions[@]}" bench/gpu_embed.ts "${model[@]}" \
    ${GPU_EMBED_ARGS:-} "${out[@]}"
fi
if [ -n "${GPU_BENCH_OUT:-}" ]; then
  cat "$GPU_BENCH_OUT.step" "$GPU_BENCH_OUT.embed" 2>/dev/null > "$GPU_BENCH_OUT"
  rm -f "$GPU_BENCH_OUT.step" "$GPU_BENCH_OUT.embed"
fi

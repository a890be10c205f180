#!/usr/bin/env bash
# Prepares what bench/gpu.sh needs to run on a machine with a GPU and no
# network, in .cache/gpu/ (ignored by git; carry it with the working tree):
#   deno.xz      this machine's Deno binary (Linux x86-64), compressed
#   deps.tar.xz  a DENO_DIR holding only the npm packages bench/gpu_step.ts
#                and bench/gpu_embed.ts load (tfjs 4.22 with its cpu, wasm
#                and webgpu backends; onnxruntime-node for this platform;
#                onnxruntime-web's WebGPU build), without source maps,
#                browser bundles and other platforms' binaries, plus the
#                config and lockfile that pin them
#   mobilenet_v2.onnx.xz  the built-in encoder, converted (bench/gpu_embed.ts)
# Run from a clone on a machine that reaches the npm registry:
#   bench/gpu_prepare.sh
set -euo pipefail
cd "$(dirname "$0")/.."

out=.cache/gpu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

deno_bin=$(command -v deno) || {
  echo "gpu_prepare: no deno on PATH (npx -y deno@2.9.6 … works too)" >&2
  exit 1
}
deno_bin=$(readlink -f "$deno_bin")

# The tfjs and ONNX Runtime imports of deno.json, at the versions it pins.
deno eval --quiet '
  const { imports, allowScripts } = JSON.parse(Deno.readTextFileSync("deno.json"));
  const keep = Object.fromEntries(
    Object.entries(imports).filter(([name]) =>
      name.startsWith("@tensorflow/") || name.startsWith("onnxruntime-")
    ),
  );
  const config = { imports: keep, allowScripts };
  Deno.writeTextFileSync(Deno.args[0], JSON.stringify(config, null, 2));
' "$work/deno.json"

echo "gpu_prepare: fetching the bench's npm packages into a fresh DENO_DIR"
DENO_DIR="$work/deno_dir" deno cache --quiet --config "$work/deno.json" \
  --node-modules-dir=none --lock="$work/deno.lock" bench/gpu_step.ts \
  bench/gpu_embed.ts

# Deno loads each tfjs package's "main" (dist/*.node.js) and the wasm
# binaries; the rest (source maps, browser bundles, sources) is 90 % of it.
npm="$work/deno_dir/npm/registry.npmjs.org"
find "$npm" -name '*.map' -delete
for pkg in "$npm"/@tensorflow/*/*/; do
  rm -rf "$pkg/src" "$pkg/.rollup.cache" "$pkg/tools" "$pkg/scripts"
  find "$pkg/dist" -mindepth 1 -maxdepth 1 \
    ! -name '*.node.js' ! -name '*.wasm' ! -name 'package.json' \
    -exec rm -rf {} +
done
# onnxruntime-node: this platform's binaries only; onnxruntime-web: the
# WebGPU build onnxruntime-web/webgpu resolves to and the wasm it loads
# (the asyncify variant, in 1.30).
arch=$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
for pkg in "$npm"/onnxruntime-node/*/; do
  find "$pkg/bin"/napi-v*/ -mindepth 2 -maxdepth 2 ! -path "*/linux/$arch" \
    -exec rm -rf {} +
done
for pkg in "$npm"/onnxruntime-web/*/; do
  find "$pkg/dist" -mindepth 1 -maxdepth 1 \
    ! -name 'ort.webgpu.bundle.min.mjs' ! -name 'ort-wasm-simd-threaded.asyncify.*' \
    -exec rm -rf {} +
  rm -rf "$pkg/lib"
done

# The built-in encoder, converted once (asmil embed does the same).
model=$(deno eval --quiet '
  const { mobileNetV2OnnxPath } = await import("./stages/embed/mobilenet_v2.ts");
  console.log(await mobileNetV2OnnxPath());
')
nice xz -T2 -6 -c "$model" > "$out/mobilenet_v2.onnx.xz"

echo "gpu_prepare: compressing (Deno $(deno --version | head -1 | cut -d' ' -f2), $(du -sh "$work/deno_dir" | cut -f1) of packages)"
tar -C "$work" -cf - deno_dir deno.json deno.lock | nice xz -T2 -6 > "$out/deps.tar.xz"
version=$("$deno_bin" --version | head -1)
if [ "$(cat "$out/deno.version" 2>/dev/null)" != "$version" ] || [ ! -f "$out/deno.xz" ]; then
  nice xz -T2 -6 -c "$deno_bin" > "$out/deno.xz"
  echo "$version" > "$out/deno.version"
fi
du -ch "$out/deno.xz" "$out/deps.tar.xz" "$out/mobilenet_v2.onnx.xz" | sed 's/^/gpu_prepare: /'
echo "gpu_prepare: done; bench/gpu.sh uses $out when it exists"

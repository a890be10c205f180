#!/usr/bin/env bash
# Prepares what bench/gpu.sh needs to run on a machine with a GPU and no
# network, in .cache/gpu/ (ignored by git; carry it with the working tree):
#   deno.xz      this machine's Deno binary (Linux x86-64), compressed
#   deps.tar.xz  a DENO_DIR holding only the npm packages bench/gpu_step.ts
#                loads (tfjs 4.22 with its cpu, wasm and webgpu backends),
#                without source maps and browser bundles, plus the config
#                and lockfile that pin them
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

# The three tfjs imports of deno.json, at the versions it pins.
deno eval --quiet '
  const { imports } = JSON.parse(Deno.readTextFileSync("deno.json"));
  const keep = Object.fromEntries(
    Object.entries(imports).filter(([name]) => name.startsWith("@tensorflow/")),
  );
  // core-js (a tfjs dependency) has a postinstall banner; deno.json denies it too.
  const config = { imports: keep, allowScripts: { deny: ["npm:core-js"] } };
  Deno.writeTextFileSync(Deno.args[0], JSON.stringify(config, null, 2));
' "$work/deno.json"

echo "gpu_prepare: fetching the bench's npm packages into a fresh DENO_DIR"
DENO_DIR="$work/deno_dir" deno cache --quiet --config "$work/deno.json" \
  --node-modules-dir=none --lock="$work/deno.lock" bench/gpu_step.ts

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

echo "gpu_prepare: compressing (Deno $(deno --version | head -1 | cut -d' ' -f2), $(du -sh "$work/deno_dir" | cut -f1) of packages)"
tar -C "$work" -cf - deno_dir deno.json deno.lock | nice xz -T2 -6 > "$out/deps.tar.xz"
nice xz -T2 -6 -c "$deno_bin" > "$out/deno.xz"
du -ch "$out/deno.xz" "$out/deps.tar.xz" | sed 's/^/gpu_prepare: /'
echo "gpu_prepare: done; bench/gpu.sh uses $out when it exists"

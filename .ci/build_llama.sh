#!/usr/bin/env bash
# Builds the pinned llama-cpp-python from its sdist, with the patches in .ci/patches/, and the
# llama.cpp tools the project runs from the same vendored source (llama-server: the LLM process of
# `rag serve`, with parallel slots; llama-bench: kernel benchmarks). Prints the cache folder.
#
# Why not `pip install llama-cpp-python`: that build compiles with -march=native, which turns on
# ggml's AMX kernels on CPUs that have AMX, and the unpatched tile-config code faults there
# (SIGSEGV on the first answer). The patch fixes that code; rag.llm.cpu_probe also checks each
# machine in a child process before the product loads a model in-process.
#
# The result is cached per (version, patch set, CPU flags): a wheel built with -march=native on
# another CPU could hold instructions this one lacks, so it is never reused across CPU kinds.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=0.3.36
SDIST_SHA256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
PY="${1:-.venv/bin/python}"

cpu_key=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | sort | sha256sum | cut -c1-10)
patch_key=$(cat .ci/patches/*.patch | sha256sum | cut -c1-10)
CACHE="${RAG_BUILD_CACHE:-$HOME/.cache/rag-chat/llama}"
OUT="$CACHE/$VERSION-p$patch_key-cpu$cpu_key"

if [ -f "$OUT/done" ]; then
  echo "$OUT"
  exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "building llama-cpp-python $VERSION from source with $(ls .ci/patches | wc -l) patch(es); ~15 min on 2 cores" >&2
"$PY" -m pip download -q --no-binary :all: --no-deps "llama-cpp-python==$VERSION" -d "$WORK" >&2
SDIST="$WORK/llama_cpp_python-$VERSION.tar.gz"
echo "$SDIST_SHA256  $SDIST" | sha256sum -c --quiet - >&2 || {
  echo "error: llama-cpp-python $VERSION sdist does not match its recorded sha256" >&2
  echo "fix: check the package index; the pin and checksum live in .ci/build_llama.sh" >&2
  exit 1
}
tar xzf "$SDIST" -C "$WORK"
SRC="$WORK/llama_cpp_python-$VERSION"
for p in .ci/patches/*.patch; do
  patch -s -d "$SRC/vendor/llama.cpp" -p1 < "$p"
done

# Tools on (server, bench). LLAVA_BUILD off: with tools on, llama.cpp adds tools/mtmd itself (and the
# project does not use multimodal models); the server web UI is not needed.
export CMAKE_ARGS="-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF ${CMAKE_ARGS:-}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
mkdir -p "$WORK/wheel"
"$PY" -m pip wheel -q --no-deps --no-cache-dir -w "$WORK/wheel" -C "build-dir=$WORK/build" "$SRC" >&2

mkdir -p "$OUT.tmp/bin"
cp "$WORK"/wheel/*.whl "$OUT.tmp/"
for tool in llama-server llama-bench; do
  found=$(find "$WORK/build" -type f -name "$tool" -perm -u+x | head -1)
  [ -n "$found" ] || { echo "error: $tool was not built" >&2; exit 1; }
  cp "$found" "$OUT.tmp/bin/"
done
# The tools link the shared libraries of this same build; keep them beside the tools.
find "$WORK/build" -name 'lib*.so*' -exec cp -P {} "$OUT.tmp/bin/" \;
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
touch "$OUT/done"
echo "$OUT"

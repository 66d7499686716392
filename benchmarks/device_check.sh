#!/usr/bin/env bash
# One call on a lent GPU machine: the GPU tests, then the benchmark suite on CuPy.
#
# The machine has CuPy, JAX, PyTorch, pytest and pytest-benchmark but no package registry:
# optree (a runtime dependency) and autograd (a peer) travel as wheels in .whl/, fetched here
# beforehand (benchmarks/README.md, "On a GPU"). Results land in $OUT (the device tool's
# folder, or /tmp/gpugrad-device): gpu.txt, info.txt, gpu-tests.log, bench/ and the
# RESULTS.md with the new run appended, to copy back into the repository.
set -u -o pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpugrad-device}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD"
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH="/tmp/site:$PWD"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv \
    | tee "$OUT/gpu.txt"
python3 -m gpugrad info | tee "$OUT/info.txt"
echo "== GPU tests (pytest -m gpu) =="
# About 1,400 tests, most of which compile a kernel with NVRTC at first launch: spread them
# over the machine's cores when pytest-xdist came in .whl/ (one GPU serves all workers).
parallel=()
if python3 -c "import xdist" 2>/dev/null; then parallel=(-n "${GPU_TEST_WORKERS:-8}"); fi
timeout "${GPU_TESTS_SECONDS:-300}" python3 -m pytest -q -m gpu -p no:cacheprovider -rfE \
    "${parallel[@]}" tests > "$OUT/gpu-tests.log" 2>&1
echo "pytest exit status: $?"
tail -n 15 "$OUT/gpu-tests.log"
echo "== NCCL (gpugrad.distributed) =="
# One process on one GPU checks NCCL's calls on CuPy buffers; with mpi4py (from .whl/) and
# two GPUs or more, one process per GPU under mpiexec (NCCL refuses two ranks on one GPU).
timeout 120 python3 -m tools.distributed_worker nccl > "$OUT/nccl.log" 2>&1
echo "NCCL check exit status: $?"
gpus=$(nvidia-smi --list-gpus | wc -l)
mpiexec=$(dirname "$(command -v python3)")/mpiexec
if [ "$gpus" -ge 2 ] && python3 -c "import mpi4py" 2>/dev/null && [ -x "$mpiexec" ]; then
    timeout 120 "$mpiexec" -n "$gpus" python3 -m tools.distributed_worker nccl \
        >> "$OUT/nccl.log" 2>&1
    echo "NCCL check on $gpus processes exit status: $?"
fi
tail -n 5 "$OUT/nccl.log"
echo "== benchmarks on CuPy =="
cp benchmarks/RESULTS.md "$OUT/RESULTS.md"
timeout "${BENCH_SECONDS:-300}" python3 -m benchmarks.run --backend cupy --out "$OUT/bench" \
    --append-results "$OUT/RESULTS.md" > "$OUT/bench.log" 2>&1
echo "benchmarks exit status: $?"
tail -n 70 "$OUT/bench.log"

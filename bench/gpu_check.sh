#!/usr/bin/env bash
# The GPU checks of issue 9, in one call on a machine with a CUDA GPU (about 5-8 minutes on one H100):
#   the tests marked cuda (mixed precision, GradScaler, channels_last, out-of-memory message,
#   torchrun + NCCL), fp32 vs bf16 + channels_last engine throughput on the CIFAR-10 convnet and
#   ResNet-18 shapes, a 1-GPU torchrun run from the command line, and the streamed-folder bench.
# Usage: bash bench/gpu_check.sh [OUTDIR]   (PYTHON=... to choose the interpreter; output also in OUTDIR/gpu_check.log)
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
OUT=${1:-${OUT:-/tmp}}
mkdir -p "$OUT"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
exec > >(tee "$OUT/gpu_check.log") 2>&1
step() { echo; echo "=== $* ($(date -u +%H:%M:%S))"; }

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'gpus', torch.cuda.device_count(), 'bf16', torch.cuda.is_bf16_supported())"

step "tests marked cuda"
timeout 300 $PY -m pytest tests -m cuda -q -p no:cacheprovider -rs

for model in cifar10_convnet resnet18; do
  step "$model: fp32, NCHW"
  timeout 200 $PY bench/train_throughput.py --device cuda --model $model --precision fp32 --no-channels-last \
      --batch-size 256 --epochs 4 --rounds 1 --no-window
  step "$model: bf16 + channels_last"
  timeout 200 $PY bench/train_throughput.py --device cuda --model $model --precision bf16 \
      --batch-size 256 --epochs 4 --rounds 1 --no-window
done

step "1-GPU torchrun from the command line (LeNet-5 on MNIST 5k)"
rm -rf "$OUT/torchrun-run"
timeout 200 $PY -m torch.distributed.run --standalone --nproc-per-node 1 -m cnnstudio train \
    sample_projects/lenet5.cnnproj --device cuda --epochs 3 --out "$OUT/torchrun-run"
$PY -c "import json,sys; d=json.load(open(sys.argv[1])); print({k: d.get(k) for k in ('status','world_size','backend','devices','precision','channels_last')})" "$OUT/torchrun-run/run.json"

step "streamed folder vs ImageFolder + DataLoader on CUDA (20,000 JPEGs)"
timeout 300 $PY bench/stream.py --device cuda --rounds 1

#!/usr/bin/env bash
# Hostile-but-realistic runs of the fcn command line (docs/fails-well.md), by hand: every case prints its exit code and
# the first line of what the user sees. Needs a few images with masks (any dataset; nothing of it is kept).
#   tools/hostile/run.sh IMAGES_DIR MASKS_DIR CLASSES IGNORE_LABEL      (works in a new folder under $TMPDIR, printed first)
set -uo pipefail
images=${1:?images folder}; masks=${2:?masks folder}; classes=${3:?number of classes}; ignore=${4:?ignore label}
work=$(mktemp -d); echo "work folder: $work"
root=$(cd "$(dirname "$0")/../.." && pwd)
dll="$root/samples/Fcn.Cli/bin/Release/net10.0/fcn.dll"
fcn() { dotnet "$dll" "$@"; }
mkdir -p "$work" && cd "$work" || exit 1
mkdir img msk bad
for f in $(ls "$images" | head -3); do cp "$images/$f" img/; cp "$masks/${f%.*}.png" msk/; done
first=$(ls img | head -1)
fcn build --backbone resnet18 --arch fcn8s --num-classes "$classes" --output m.onnx --overwrite >/dev/null
fcn import --onnx m.onnx --output m.zip --overwrite >/dev/null
# bad files
head -c 4000 /dev/urandom > bad/noise.png; : > bad/empty.png
head -c $(( $(stat -c %s "img/$first") / 2 )) "img/$first" > bad/truncated.png
python3 - "$work/img/$first" "$work/bad/huge.png" <<'PY'
import sys, struct, zlib
data = open(sys.argv[1], 'rb').read()
ihdr = bytearray(data[8:33]); ihdr[8:16] = struct.pack('>II', 60000, 60000)
ihdr[21:25] = struct.pack('>I', zlib.crc32(bytes(ihdr[4:21])) & 0xffffffff)
open(sys.argv[2], 'wb').write(data[:8] + bytes(ihdr) + data[33:])
PY
head -c 5000 /dev/urandom > noise.zip; head -c 20000 m.zip > truncated.zip
echo hello > note.txt; python3 -c "import zipfile; z=zipfile.ZipFile('text.zip','w'); z.write('note.txt'); z.close()"
: > file-not-folder


run() { local label=$1; shift; local out; out=$(fcn "$@" 2>&1); local rc=$?; local line; line=$(echo "$out" | grep -m1 -E '^fcn [a-z]+:|^skipped|^wrote|^pixel acc' || echo "$out" | head -1)
  printf '%s\t%s\t%s\n' "$label" "$rc" "$(echo "$line" | cut -c1-240)"; }
P=(--model m.zip --input img)
run "predict --output = --input" predict "${P[@]}" --output img
run "predict --output = --masks" predict "${P[@]}" --output msk --masks msk
run "predict into existing maps" predict "${P[@]}" --output out1
run "  ... again, no --overwrite" predict "${P[@]}" --output out1
run "predict --output is a file" predict "${P[@]}" --output file-not-folder
run "predict --help" predict --help
run "random bytes .png" predict --model m.zip --input bad/noise.png --output out2
run "0-byte .png" predict --model m.zip --input bad/empty.png --output out2
run "truncated PNG" predict --model m.zip --input bad/truncated.png --output out2
run "PNG header 60000x60000" predict --model m.zip --input bad/huge.png --output out2
cp bad/noise.png img/zz-noise.png
run "bad image in a batch" predict "${P[@]}" --output out3
run "  ... with --skip-bad" predict "${P[@]}" --output out3 --skip-bad
rm img/zz-noise.png
run "model: random bytes .zip" predict --model noise.zip --input img --output out4
run "model: truncated zip" predict --model truncated.zip --input img --output out4
run "model: zip, not ML.NET" predict --model text.zip --input img --output out4
T=(train --model m.onnx --images img --masks msk --num-classes "$classes" --ignore-label "$ignore" --iterations 1)
run "train --weight-decay nan" "${T[@]}" --output t.onnx --weight-decay nan
run "train --lr-policy step:0" "${T[@]}" --output t.onnx --lr-policy step:0
run "train --num-classes 2000000000" train --model m.onnx --images img --masks msk --num-classes 2000000000 --output t.onnx
run "train --checkpoint-dir is a file" "${T[@]}" --output t.onnx --checkpoint-dir file-not-folder
run "train --output = --model" "${T[@]}" --output m.onnx
fcn build --backbone resnet18 --arch fcn32s --num-classes 2 --output m2.onnx >/dev/null
run "train labels >= classes" train --model m2.onnx --images img --masks msk --num-classes 2 --output t.onnx --iterations 1
run "train (first run)" "${T[@]}" --output t.onnx --checkpoint-dir ck
run "  ... again, no --resume" "${T[@]}" --output t2.onnx --checkpoint-dir ck
run "  ... --resume" train --model m.onnx --images img --masks msk --num-classes "$classes" --ignore-label "$ignore" --iterations 3 --output t.onnx --checkpoint-dir ck --resume
run "import --classes 3 names" import --onnx m.onnx --output c.zip --classes <(printf 'a\nb\nc\n')
run "evaluate --json exists" evaluate --model m.zip --images img --masks msk --num-classes "$classes" --ignore-label "$ignore" --json note.txt
ls -a ck | tr '\n' ' '; echo
printf 'sizes: model %s bytes, checkpoint %s bytes\n' "$(stat -c %s m.onnx)" "$(stat -c %s ck/checkpoint.fcn.zip)"
# kill -9 at a moment of training (possibly during a checkpoint write), then resume: left-overs are removed
K=(train --model m.onnx --images img --masks msk --num-classes "$classes" --ignore-label "$ignore" --epochs 40 --output k.onnx --checkpoint-dir ck9)
dotnet "$dll" "${K[@]}" >/dev/null 2>&1 & pid=$!   # the process itself, so kill -9 reaches it
sleep $(( 20 + RANDOM % 15 )); kill -9 $pid; wait $pid 2>/dev/null
echo "after kill -9: $(ls -a ck9 | tr '\n' ' ')"
run "  ... --resume after kill -9" "${K[@]}" --resume
echo "then: $(ls -a ck9 | tr '\n' ' ')"
# a full disk when the finished model is written (needs root for a small tmpfs)
mkdir -p full && if mount -t tmpfs -o size=16m tmpfs full 2>/dev/null; then
  run "output on a full disk" "${T[@]}" --output full/t.onnx --checkpoint-dir ckfull
  echo "kept: $(ls ckfull | tr '\n' ' ')"; umount full
fi
echo "left in ${TMPDIR:-/tmp} by these runs: $(find "${TMPDIR:-/tmp}" -maxdepth 2 -newer m.zip \( -name '*.tmp*' -o -path '*fcn-cli/*' \) 2>/dev/null | wc -l) file(s)"

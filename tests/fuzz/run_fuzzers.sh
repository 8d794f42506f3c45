#!/usr/bin/env bash
# Bounded libFuzzer runs of every target (see README.md here).
#   bash tests/fuzz/run_fuzzers.sh BUILD_DIR SECONDS [TARGET...]
# BUILD_DIR was configured with -DVOXCONV_FUZZ=ON (clang) and built with --target voxconv_fuzzers.
# Each target starts from its committed corpus (tests/fuzz/corpus/<target>) plus the project's and
# ../shared/realdata's files (read in place); new inputs go to BUILD_DIR/fuzz-corpus/<target>.
# A crash in voxconv's code stops that target, leaves the input in BUILD_DIR/fuzz-artifacts/<target>/
# and fails the script. fuzz_hdf5_weights is different, see below.
# VOXCONV_BIN (optional): a voxconv binary; every input that crashes or hangs libhdf5 must make it
# exit 2 with one line naming the file (it reads weights in a child process).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:?build dir}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : $# ))
targets=("$@")
((${#targets[@]})) || targets=(fuzz_layer_config fuzz_hdf5_weights fuzz_npy fuzz_volume_header)
realdata=../shared/realdata

# libFuzzer takes folders only: seed files are linked (read in place) into BUILD_DIR/fuzz-seeds/<target>.
seed_dirs() {
  local links="$build/fuzz-seeds/$1"; shift
  rm -rf "$links"; mkdir -p "$links"
  for p in "$@"; do
    if [[ -d $p ]]; then echo "$p"; elif [[ -f $p ]]; then ln -s "$(realpath "$p")" "$links/$(basename "$p")"; fi
  done
  echo "$links"
}

# The first stack frame of a replayed crash that is not an interceptor, allocator, libc or the
# fuzzing harness (libFuzzer and its main). An out-of-memory input is replayed with a lower
# malloc limit: libhdf5 can allocate and free blocks just under the 2 GiB limit a few times, and
# then RSS (ASan's quarantine) trips the limit with a memory profile naming only the harness's own
# allocations; the lower limit stops at the first big allocation and prints who asked for it.
crash_frame() {
  local limit=()
  [[ $(basename "$2") == oom-* ]] && limit=(-malloc_limit_mb=256)
  "$build/tests/fuzz/$1" -timeout=5 "${limit[@]}" "$2" 2>&1 | grep -E '^    #[0-9]+ ' |
    grep -v -E 'in (__interceptor_|__asan|__sanitizer|__ubsan|fuzzer::|strdup|strlen|memcpy|memmove|memset|__mem|malloc|calloc|realloc|free|operator new)|in (main|_start|__libc_start_main|__libc_start_call_main) |libFuzzer|/libc\.so' |
    head -1 || true
}

# libhdf5 1.10 (not instrumented) reads out of bounds, crashes and loops forever on some corrupt
# files; voxconv cannot prevent that in-process and reads weights in a child process instead. So the
# HDF5 target runs in libFuzzer's fork mode, which keeps fuzzing past crashes, and each crash is
# then judged: inside libhdf5 -> a known hazard (reported; voxconv must refuse it cleanly), anywhere
# else -> a failure. Its memory requests of absurd sizes are answered NULL as glibc would.
judge_hdf5_artifacts() {
  local artifacts=$1 failed=0 frame f
  for f in "$artifacts"/*; do
    [[ -s $f ]] || continue  # fork mode saves an empty unit for a job that leaked at exit
    frame=$(crash_frame fuzz_hdf5_weights "$f")
    if [[ -z $frame ]]; then
      echo "   $(basename "$f"): does not reproduce in-process (kept for inspection)"
    elif [[ $frame == *libhdf5* ]]; then
      echo "   $(basename "$f"): inside libhdf5 (known hazard):${frame#*in }"
    else
      echo "   $(basename "$f"): IN VOXCONV:$frame" >&2; failed=1
    fi
    if [[ -n ${VOXCONV_BIN:-} ]]; then
      local err rc=0
      err=$(VOXCONV_HDF5_TIMEOUT=3 "$VOXCONV_BIN" info --config configs/brainchop_model5ae_layer21.json \
              --weights "$f" 2>&1 >/dev/null) || rc=$?
      if [[ $rc -ne 2 || $(printf '%s\n' "$err" | wc -l) -ne 1 || $err != *"$f"* ]]; then
        echo "   $(basename "$f"): voxconv did not refuse it cleanly (exit $rc): $err" >&2; failed=1
      fi
    fi
  done
  return $failed
}

# The judge itself, on the committed libhdf5 reproducers (tests/fuzz/README.md), named as
# libFuzzer names its artifacts: each must get its known verdict, so a judge that would blame
# voxconv for libhdf5's crashes (or miss them) fails here, before any fuzzing.
check_judge() {
  local dir="$build/fuzz-judge-check" name prefix verdicts
  declare -A expected=([segv_global_heap_read.h5]="inside libhdf5" [hang_global_heap_protect.h5]="inside libhdf5"
                       [asan_attribute_name_overread.h5]="inside libhdf5" [oom_vlen_string_conversion.h5]="inside libhdf5"
                       [asan_huge_metadata_allocation.h5]="does not reproduce")  # libhdf5 handles the NULL in-process
  rm -rf "$dir"; mkdir -p "$dir"
  for f in tests/fuzz/libhdf5_hazards/*.h5; do
    name=$(basename "$f")
    case $name in hang_*) prefix=timeout-;; oom_*) prefix=oom-;; *) prefix=crash-;; esac
    cp "$f" "$dir/$prefix$name"
  done
  verdicts=$(judge_hdf5_artifacts "$dir" 2>&1) || { echo "== the fuzz judge failed on libhdf5's known hazards:" >&2; echo "$verdicts" >&2; return 1; }
  for name in "${!expected[@]}"; do
    if ! grep -q -F -- "-$name: ${expected[$name]}" <<<"$verdicts"; then
      echo "== the fuzz judge's verdict on $name is not '${expected[$name]}':" >&2; echo "$verdicts" >&2; return 1
    fi
  done
  echo "== fuzz judge: the $(ls "$dir" | wc -l) libhdf5 reproducers get their known verdicts"
}

status=0
for t in "${targets[@]}"; do
  work="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t"
  mkdir -p "$work" "$artifacts"
  unset ASAN_OPTIONS
  case $t in
    fuzz_layer_config)  opts=(-max_len=8192 -dict=tests/fuzz/dict/layer_config.dict)
                        seeds=(configs tests/bad_inputs/configs
                               "$realdata/models/3dcnn_keras_mengkunzhao/3dcnn_300_32_depth.json") ;;
    fuzz_hdf5_weights)  opts=(-max_len=262144 -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
                        export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=0
                        seeds=(tests/data/weights data/model5ae.h5 "$realdata/models/brainchop/model11ae.h5") ;;
    fuzz_npy)           opts=(-max_len=4096 -dict=tests/fuzz/dict/npy.dict)
                        seeds=(tests/data/npy tests/bad_inputs/arrays) ;;
    fuzz_volume_header) opts=(-max_len=65536)
                        seeds=(tests/bad_inputs/volumes "$realdata/volumes/nibabel/standard.nii.gz" "$realdata/volumes/nibabel/example_nifti2.nii.gz"
                               "$realdata/volumes/nibabel/functional.nii" "$realdata/volumes/pynrrd"
                               "$realdata/volumes/itk_examples/BrainProtonDensity3Slices.mha") ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
  [[ $t == fuzz_hdf5_weights ]] && { check_judge || exit 1; }
  mapfile -t present < <(seed_dirs "$t" "tests/fuzz/corpus/$t" "${seeds[@]}")
  echo "== fuzz $t for ${seconds} s"
  log="$build/fuzz-$t.log"
  rc=0
  # rss_limit: a guard that lets a header allocate gigabytes shows up as a failure.
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "${opts[@]}" "$work" "${present[@]}" >"$log" 2>&1 || rc=$?
  if [[ $t == fuzz_hdf5_weights ]]; then
    grep -E '^#[0-9]+: .*exec/s' "$log" | tail -1 || true
    judge_hdf5_artifacts "$artifacts" || status=1
  elif [[ $rc -ne 0 ]]; then
    echo "== fuzz $t FAILED: see $log and $artifacts/" >&2
    grep -m1 -A30 'ERROR\|runtime error\|deadly signal' "$log" >&2 || tail -40 "$log" >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$log" | tr -s ' \n' ' '; echo
  fi
done
exit $status

#!/bin/bash
# The buildpack (v2a) lifecycle of dokku's herokuish builder, run in a container of the stack
# image as `bash /tmp/dokku/build APP [QUIET]`, with:
#   /app                     the app's source (the build folder)
#   /cache                   the app's build cache, kept between builds
#   /tmp/env                 ENV_DIR: one file per config var
#   /tmp/buildpacks/NN-NAME  the buildpacks, in order; /tmp/dokku/buildpacks lists them as
#                            `NN-NAME<TAB>LOCATION` lines
#   /tmp/dokku/runner        the script installed as /start and /exec
# Each buildpack in turn: bin/detect /app (one that refuses is skipped), bin/compile /app
# /cache /tmp/env (its output streams as it comes), bin/release /app (its
# default_process_types are merged into /app/.release). No buildpack accepting the app, or a
# failed compile, fails the build.
set -o pipefail

app=${1:?usage: build APP [QUIET]}
quiet=${2:-}
build_dir=/app
cache_dir=/cache
env_dir=/tmp/env
bp_root=/tmp/buildpacks
work=/tmp/dokku

info() { [[ -n $quiet ]] || printf -- '-----> %s\n' "$*"; }
verbose() { [[ -n $quiet ]] || printf '       %s\n' "$*"; }
# die CODE MESSAGE: one error line, then exit CODE.
die() {
  local code=$1
  shift
  printf ' !     %s\n' "$*" >&2
  exit "$code"
}

# shellcheck source=runner.sh
. "$work/runner" || die 1 "cannot load $work/runner"

mkdir -p "$build_dir" "$cache_dir" "$env_dir"
export HOME=$build_dir CACHE_PATH=$cache_dir

mapfile -t entries <"$work/buildpacks"
compiled=()
refused=()
for entry in "${entries[@]}"; do
  dir=${entry%%$'\t'*}
  location=${entry#*$'\t'}
  bp=$bp_root/$dir
  for step in detect compile; do
    [[ -x $bp/bin/$step ]] || die 1 "Buildpack $location has no executable bin/$step"
  done
  if ! framework=$("$bp/bin/detect" "$build_dir" </dev/null); then
    refused+=("$location")
    [[ ${#entries[@]} -gt 1 ]] && verbose "Buildpack $location does not apply (bin/detect refused the app); skipping it"
    continue
  fi
  framework=${framework%%$'\n'*}
  info "${framework:-${dir#*-}} app detected"
  code=0
  "$bp/bin/compile" "$build_dir" "$cache_dir" "$env_dir" </dev/null || code=$?
  if ((code != 0)); then
    die "$code" "Failed to compile $app with buildpack $location (bin/compile exited $code)"
  fi
  # Multi-buildpack convention: a buildpack may hand variables to the next ones.
  # shellcheck disable=SC1091
  [[ -f $bp/export ]] && . "$bp/export"
  if [[ -x $bp/bin/release ]]; then
    "$bp/bin/release" "$build_dir" </dev/null >"$work/release.$dir" \
      || die 1 "bin/release of buildpack $location failed"
  fi
  compiled+=("$dir")
done

if ((${#compiled[@]} == 0)); then
  joined=$(printf '%s, ' "${refused[@]}")
  die 1 "No buildpack applies to $app: bin/detect of ${joined%, } refused the app"
fi

# The buildpacks' default process types, a later buildpack's winning for the same type.
declare -A commands=()
order=()
for dir in "${compiled[@]}"; do
  [[ -f $work/release.$dir ]] || continue
  while IFS=$'\t' read -r name cmd; do
    [[ -n ${commands[$name]+set} ]] || order+=("$name")
    commands[$name]=$cmd
  done < <(__dokku_release_types "$work/release.$dir")
done
{
  echo "---"
  if ((${#order[@]} == 0)); then
    echo "default_process_types: {}"
  else
    echo "default_process_types:"
    for name in "${order[@]}"; do
      printf "  %s: '%s'\n" "$name" "${commands[$name]//\'/\'\'}"
    done
  fi
} >"$build_dir/.release" || die 1 "cannot write $build_dir/.release"

info "Discovering process types"
if [[ -f $build_dir/Procfile ]]; then
  types=$(__dokku_procfile_types "$build_dir/Procfile" | cut -f1 | paste -sd, - | sed 's/,/, /g')
  verbose "Procfile declares types -> ${types:-(none)}"
fi
if ((${#order[@]} > 0)); then
  types=$(printf '%s, ' "${order[@]}")
  verbose "Default types for buildpack -> ${types%, }"
fi

install -m 0755 "$work/runner" /start || die 1 "cannot install /start"
install -m 0755 "$work/runner" /exec || die 1 "cannot install /exec"
# Nothing of the build inputs (config values among them) stays in the image.
rm -rf "$bp_root" "$env_dir" "$work"
exit 0

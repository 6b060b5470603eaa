#!/bin/bash
# The entry points of an image built by dokku's herokuish builder, installed as /start and
# /exec (one script; it looks at the name it was started by):
#   /start [TYPE]      runs process type TYPE (default web): its command from /app/Procfile,
#                      else from the buildpacks' default_process_types kept in /app/.release
#   /exec [CMD ARGS…]  runs CMD with its arguments; a single argument is a shell command line
#                      (`/exec 'rake db:migrate && echo ok'`); none starts bash
# Both run in /app with HOME=/app, PORT (5000 unless set) and /app/.profile.d/*.sh (then
# /app/.profile) sourced, and replace themselves with the command, so that signals reach it.
# Sourced (the builder does, at build time), it only defines its functions.

# Prints VALUE without the YAML quotes around it ('…' with '' for ', or "…" with \" and \\).
__dokku_unquote() {
  local v=$1
  if [[ ${#v} -ge 2 && $v == \'*\' ]]; then
    v=${v:1:${#v}-2}
    v=${v//\'\'/\'}
  elif [[ ${#v} -ge 2 && $v == \"*\" ]]; then
    v=${v:1:${#v}-2}
    v=${v//\\\"/\"}
    v=${v//\\\\/\\}
  fi
  printf '%s' "$v"
}

# Prints `TYPE<TAB>COMMAND` for every process type of a Procfile.
__dokku_procfile_types() {
  local line re='^[[:space:]]*([A-Za-z0-9][A-Za-z0-9_-]*)[[:space:]]*:[[:space:]]*(.*[^[:space:]])[[:space:]]*$'
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    [[ $line =~ $re ]] || continue
    printf '%s\t%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  done <"$1"
}

# Prints `TYPE<TAB>COMMAND` for every entry of default_process_types in a bin/release output.
__dokku_release_types() {
  local line inside=0 re='^[[:space:]]+([A-Za-z0-9][A-Za-z0-9_-]*)[[:space:]]*:[[:space:]]*(.*[^[:space:]])[[:space:]]*$'
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    if [[ $line =~ ^default_process_types[[:space:]]*: ]]; then
      inside=1
      continue
    fi
    ((inside)) || continue
    [[ -z ${line//[[:space:]]/} || $line =~ ^[[:space:]]*# ]] && continue
    [[ $line =~ ^[^[:space:]] ]] && break
    [[ $line =~ $re ]] || continue
    printf '%s\t%s\n' "${BASH_REMATCH[1]}" "$(__dokku_unquote "${BASH_REMATCH[2]}")"
  done <"$1"
}

# Prints the command of process type TYPE from FILE, read by LISTER; fails when it has none.
__dokku_command_of() {
  local type=$1 file=$2 lister=$3 name cmd
  [[ -f $file ]] || return 1
  while IFS=$'\t' read -r name cmd; do
    if [[ $name == "$type" ]]; then
      printf '%s' "$cmd"
      return 0
    fi
  done < <("$lister" "$file")
  return 1
}

# Sourced: the functions are all that is wanted.
if (return 0 2>/dev/null); then
  return 0
fi

cd /app || exit 1
export HOME=/app
export PORT=${PORT:-5000}
for __dokku_profile in /app/.profile.d/*.sh; do
  # shellcheck disable=SC1090
  [[ -r $__dokku_profile ]] && . "$__dokku_profile"
done
# shellcheck disable=SC1091
[[ -r /app/.profile ]] && . /app/.profile
unset __dokku_profile

case ${0##*/} in
  exec)
    if (($# == 0)); then
      exec bash
    elif (($# == 1)); then
      exec bash -c "$1"
    fi
    exec "$@"
    ;;
  *)
    __dokku_type=${1:-web}
    if __dokku_cmd=$(__dokku_command_of "$__dokku_type" /app/Procfile __dokku_procfile_types); then
      :
    elif __dokku_cmd=$(__dokku_command_of "$__dokku_type" /app/.release __dokku_release_types); then
      :
    else
      echo " !     No process type $__dokku_type: neither /app/Procfile nor the buildpacks' default process types (/app/.release) declare it" >&2
      exit 1
    fi
    unset __dokku_type
    exec bash -c "$__dokku_cmd"
    ;;
esac

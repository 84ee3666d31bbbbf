#!/bin/sh
# Lists the commits of a release range, oldest first, one per line:
#   <short sha> <subject> (<author>)
# Usage: collect-changes.sh [FROM [TO]]
#   FROM defaults to the latest tag reachable from TO; TO defaults to HEAD.
#   Without any tag, the whole history up to TO is listed.

set -eu

if [ "$#" -gt 2 ]; then
  echo "usage: $0 [FROM [TO]]" >&2
  exit 2
fi

if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "error: not inside a git repository; run this from the repository to release" >&2
  exit 2
fi

to=${2:-HEAD}
if ! git rev-parse --verify --quiet "$to^{commit}" >/dev/null; then
  echo "error: \"$to\" is not a commit, tag or branch" >&2
  exit 2
fi

if [ "$#" -ge 1 ]; then
  from=$1
  if ! git rev-parse --verify --quiet "$from^{commit}" >/dev/null; then
    echo "error: \"$from\" is not a commit, tag or branch; list tags with: git tag --sort=-v:refname" >&2
    exit 2
  fi
  range="$from..$to"
elif from=$(git describe --tags --abbrev=0 "$to" 2>/dev/null); then
  range="$from..$to"
else
  from=""
  range=$to
fi

if [ -n "$from" ]; then
  echo "# Commits in $range" >&2
else
  echo "# No tag found: commits up to $to" >&2
fi

git log --no-merges --reverse --format='%h %s (%an)' "$range"

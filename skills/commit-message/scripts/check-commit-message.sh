#!/bin/sh
# Checks a git commit message against the rules in SKILL.md.
# Usage: check-commit-message.sh [FILE]   (reads standard input without FILE)
# Exit status: 0 when the message passes, 1 when a rule is broken, 2 on misuse.

set -u

max_subject=72
max_body=72

if [ "$#" -gt 1 ]; then
  echo "usage: $0 [FILE]" >&2
  exit 2
fi

if [ "$#" -eq 1 ]; then
  if [ ! -r "$1" ]; then
    echo "error: cannot read $1: pass a readable message file" >&2
    exit 2
  fi
  input=$1
else
  input=-
fi

# Drop comment lines as git does, then let awk check the rest.
grep -v '^#' "$input" | awk -v max_subject="$max_subject" -v max_body="$max_body" '
  { lines[NR] = $0 }
  END {
    problems = 0
    # Skip leading blank lines, as git does.
    first = 1
    while (first <= NR && lines[first] ~ /^[[:space:]]*$/) first++
    if (first > NR) {
      print "error: the message is empty"
      exit 1
    }
    subject = lines[first]
    if (length(subject) > max_subject) {
      printf "line %d: the subject is %d characters; keep it at %d or fewer\n", first, length(subject), max_subject
      problems++
    }
    if (subject ~ /\.$/) {
      printf "line %d: the subject ends with a period; remove it\n", first
      problems++
    }
    if (subject ~ /^[a-z]/ && subject !~ /^[a-z0-9_-]+(\([^)]*\))?!?: /) {
      printf "line %d: the subject starts with a lowercase letter; capitalise it\n", first
      problems++
    }
    word = subject
    sub(/^[a-z0-9_-]+(\([^)]*\))?!?: /, "", word)
    sub(/[[:space:]].*$/, "", word)
    # Verbs whose base form ends in "ed" or "ing" are not past tense or gerunds.
    base_forms = "^(Embed|Exceed|Feed|Need|Proceed|Seed|Shed|Speed|Succeed|Bring|Ping|Ring|String|Swing)$"
    if ((word ~ /^[A-Za-z]+(ed|ing)$/ && word !~ base_forms) || word ~ /^(Adds|Fixes|Removes|Updates|Changes|Makes|Uses)$/) {
      printf "line %d: \"%s\" is not imperative; write the subject as a command (\"Add\", \"Fix\")\n", first, word
      problems++
    }
    if (first + 1 <= NR && lines[first + 1] !~ /^[[:space:]]*$/) {
      printf "line %d: the second line must be blank, to separate the subject from the body\n", first + 1
      problems++
    }
    for (i = first + 2; i <= NR; i++) {
      # URLs and trailers cannot be wrapped.
      if (length(lines[i]) > max_body && lines[i] !~ /https?:\/\// && lines[i] !~ /^[A-Za-z-]+: /) {
        printf "line %d: the body line is %d characters; wrap it at %d\n", i, length(lines[i]), max_body
        problems++
      }
    }
    exit problems > 0 ? 1 : 0
  }
'

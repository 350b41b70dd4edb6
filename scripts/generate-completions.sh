#!/usr/bin/env bash
# generate-completions.sh -- regenerates the shell completions (completions/) and the man page
# (man/sou.1) from the sou executable's own help, with swift-argument-parser's generators:
#   completions/sou.bash, completions/_sou (zsh), completions/sou.fish  -- sou --generate-completion-script SHELL
#   man/sou.help.json  -- sou --experimental-dump-help: the help the man page is made from
#   man/sou.1          -- swift-argument-parser's generate-manual tool (what its `generate-manual`
#                         package plugin runs), built here from the checked-out dependency: works offline
# The test "completions and the man page are current" (CompletionsTests) fails when a command's
# help changed and this script was not run.
# Usage: scripts/generate-completions.sh  (SOU=path/to/sou to use another build)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SOU:-}" ]; then
  swift build --product sou >&2
  SOU=$(swift build --show-bin-path)/sou
fi
mkdir -p completions man
"$SOU" --generate-completion-script bash > completions/sou.bash
"$SOU" --generate-completion-script zsh > completions/_sou
"$SOU" --generate-completion-script fish > completions/sou.fish
"$SOU" --experimental-dump-help > man/sou.help.json

parser=.build/checkouts/swift-argument-parser
[ -d "$parser" ] || swift package resolve >&2
swift build --package-path "$parser" --scratch-path .build/generate-manual --product generate-manual >&2
tool=$(swift build --package-path "$parser" --scratch-path .build/generate-manual --show-bin-path)/generate-manual
# generate-manual drops every non-ASCII character (its mdoc escaping keeps ASCII only), and the
# help is full of CJK examples: it is given a wrapper that spells each non-ASCII character as an
# ASCII placeholder, which is then turned into the roff escape \[uXXXX] (groff and mandoc).
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cat > "$work/sou" <<WRAP
#!/bin/sh
"$(cd "$(dirname "$SOU")" && pwd)/$(basename "$SOU")" "\$@" | python3 -c 'import sys; sys.stdout.write("".join(c if ord(c) < 128 else "QQU%04XQQ" % ord(c) for c in sys.stdin.read()))'
WRAP
chmod +x "$work/sou"
# a fixed date (the last commit's) keeps the page reproducible
date=$(git log -1 --format=%cs 2>/dev/null || date +%F)
"$tool" "$work/sou" --date "$date" --section 1 --authors "the Sou authors" --output-directory "$work" >&2
# (an empty line of a discussion becomes .Pp: mdoc warns about empty input lines)
sed -E -e 's/QQU([0-9A-F]+)QQ/\\[u\1]/g' -e 's/^$/.Pp/' "$work/sou.1" > man/sou.1
echo "wrote completions/sou.bash completions/_sou completions/sou.fish man/sou.help.json man/sou.1" >&2

# build-stamp.sh -- sourced by scripts that build in a scratch folder of their own
# (sanitize.sh, fuzz.sh).
#
# fresh_if_tree_changed SCRATCH [KEEP...]: when the tree (HEAD, status and diff) differs from
# the one SCRATCH was last built from, removes SCRATCH's build products, keeping the package
# checkouts and the names given in KEEP; then records the tree. SwiftPM's incremental builds in
# such folders were seen keeping stale products: objects of a test module compiled against an
# older layout of a changed type (AddressSanitizer then reported the stale code), and a build
# plan of the root package, used as a path dependency, that lacked its newer source files.
fresh_if_tree_changed() {
  local scratch=$1
  shift
  local stamp
  stamp=$(cd "$ROOT" && { git rev-parse HEAD; git status --porcelain; git diff; } 2>/dev/null | cksum)
  if [ -d "$scratch" ] && [ "$(cat "$scratch/.sou-tree" 2>/dev/null)" != "$stamp" ]; then
    echo "the tree changed since $scratch was built: building afresh" >&2
    local args=(! -name checkouts ! -name repositories ! -name artifacts ! -name workspace-state.json ! -name .sou-tree)
    local keep
    for keep in "$@"; do args+=(! -name "$keep"); done
    find "$scratch" -mindepth 1 -maxdepth 1 "${args[@]}" -exec rm -rf {} +
  fi
  mkdir -p "$scratch"
  echo "$stamp" > "$scratch/.sou-tree"
}

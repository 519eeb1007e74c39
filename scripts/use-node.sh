# shellcheck shell=bash
# Puts the project's Node first on PATH: `source scripts/use-node.sh` (a developer's shell) and
# .ci/run both use it. The version is the one in .nvmrc. When the machine's own `node` is older,
# the pinned release is taken from the npm registry (the `node-<os>-<arch>` package holds the
# official binary; npm runs on it unchanged) into .cache/node/<version>/ (git-ignored, outside
# node_modules so `npm ci` never deletes it) and reused by every later run. Nothing but the
# registry is contacted. Sourced: it changes only PATH (and prints one line on stderr).

_axb_use_node() {
  local root want have platform arch cache tmp
  root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd) || return 1
  want=$(tr -d ' \r\n' <"$root/.nvmrc")
  want=${want#v}
  have=$(node -p 'process.versions.node' 2>/dev/null || echo 0)

  # The machine's node when it is at least the pinned release (sort -V orders versions).
  if [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n 1)" = "$want" ]; then
    echo "use-node: Node $have at $(command -v node) (pinned: $want)" >&2
    return 0
  fi

  # The registry carries Node 24 for Linux only (node-darwin-* stops at 18): elsewhere, a version
  # manager reads .nvmrc (`nvm install`, `fnm use`).
  case "$(uname -s)" in
    Linux) platform=linux ;;
    *)
      echo "use-node: no registry build of Node $want for $(uname -s); install it yourself (nvm install)" >&2
      return 1
      ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *)
      echo "use-node: no registry build of Node for $(uname -m); install Node $want yourself" >&2
      return 1
      ;;
  esac

  cache="$root/.cache/node/$want"
  if [ "$("$cache/bin/node" -p 'process.versions.node' 2>/dev/null)" != "$want" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "use-node: npm is needed once to fetch node-$platform-$arch@$want" >&2
      return 1
    fi
    echo "use-node: fetching node-$platform-$arch@$want from the npm registry into .cache/node/" >&2
    mkdir -p "$root/.cache/node" || return 1
    tmp=$(mktemp -d "$root/.cache/node/.fetch.XXXXXX") || return 1
    # npm pack checks the tarball against the registry's integrity hash; no install script runs.
    if ! (cd "$tmp" && npm pack --silent "node-$platform-$arch@$want" >/dev/null &&
      mkdir unpacked && tar -xzf node-*.tgz -C unpacked --strip-components=1 &&
      [ "$(unpacked/bin/node -p 'process.versions.node')" = "$want" ]); then
      echo "use-node: could not fetch or run node-$platform-$arch@$want" >&2
      rm -rf "$tmp"
      return 1
    fi
    # A rename, so a concurrent run never sees half a folder; whoever comes second drops its copy.
    rm -rf "$cache.old"
    [ -d "$cache" ] && mv "$cache" "$cache.old"
    mv "$tmp/unpacked" "$cache" || true
    rm -rf "$tmp" "$cache.old"
  fi
  case ":$PATH:" in
    *":$cache/bin:"*) ;;
    *) PATH="$cache/bin:$PATH" ;;
  esac
  export PATH
  hash -r 2>/dev/null || true
  echo "use-node: Node $want from .cache/node/$want (the machine's node is $have)" >&2
}

_axb_use_node
_axb_use_node_status=$?
unset -f _axb_use_node
# `return` when sourced (the caller's shell keeps running); a plain run can only report.
# shellcheck disable=SC2317
return "$_axb_use_node_status" 2>/dev/null || exit "$_axb_use_node_status"

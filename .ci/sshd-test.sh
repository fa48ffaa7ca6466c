#!/usr/bin/env bash
# The ssh:// storage driver and `ringshift apply` against a real OpenSSH sshd on loopback:
# installs openssh-server with apt-get when sshd is missing (root, or passwordless sudo), makes a
# throwaway host key and user key, starts sshd on a free high port as the current user's login,
# runs test/ssh-openssh.test.ts and test/plan-ssh-openssh.test.ts with RINGSHIFT_SSHD_TEST describing the server, and stops sshd.
# Non-interactive (no stdin needed). Exit status: the tests'. Without sshd and no way to install it:
# exit 1, or 0 with a notice when RINGSHIFT_SSHD_OPTIONAL=1.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'sshd-test: %s\n' "$*" >&2; }

find_sshd() {
  command -v sshd 2>/dev/null || { [ -x /usr/sbin/sshd ] && echo /usr/sbin/sshd; } || true
}

SSHD="$(find_sshd)"
if [ -z "$SSHD" ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
  fi
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; }; then
    log "installing openssh-server"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >/dev/null
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server </dev/null >/dev/null
    SSHD="$(find_sshd)"
  fi
fi
if [ -z "$SSHD" ]; then
  if [ "${RINGSHIFT_SSHD_OPTIONAL:-0}" = 1 ]; then
    log "no sshd and no way to install openssh-server here: skipped (RINGSHIFT_SSHD_OPTIONAL=1)"
    exit 0
  fi
  log "no sshd, and openssh-server cannot be installed (needs apt-get as root or passwordless sudo)"
  exit 1
fi
for tool in ssh-keygen flock sha256sum find sync; do
  command -v "$tool" >/dev/null 2>&1 || { log "missing $tool on this machine (the driver runs it on the node)"; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/ringshift-sshd.XXXXXX")"
chmod 755 "$work"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

ssh-keygen -q -t ed25519 -N '' -C ringshift-test-host -f "$work/host_ed25519" </dev/null
ssh-keygen -q -t ed25519 -N '' -C ringshift-test-user -f "$work/id_ed25519" </dev/null
cp "$work/id_ed25519.pub" "$work/authorized_keys"
chmod 600 "$work/authorized_keys" "$work/id_ed25519" "$work/host_ed25519"

# A free high port (the kernel picks one; a race with another process is unlikely and retried).
free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

user="$(id -un)"
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd && chmod 755 /run/sshd

started=0
for attempt in 1 2 3; do
  port="$(free_port)"
  cat >"$work/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $work/host_ed25519
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $user
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
LogLevel ERROR
CONF
  rm -f "$work/sshd.pid"
  if "$SSHD" -f "$work/sshd_config" -E "$work/sshd.log" </dev/null; then
    for _ in $(seq 1 50); do
      if [ -s "$work/sshd.pid" ] && node -e "require('net').connect($port,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"; then
        started=1
        break
      fi
      sleep 0.1
    done
  fi
  [ "$started" = 1 ] && break
  [ -s "$work/sshd.pid" ] && kill "$(cat "$work/sshd.pid")" 2>/dev/null || true
  log "sshd did not start on port $port (attempt $attempt): $(cat "$work/sshd.log" 2>/dev/null || true)"
done
if [ "$started" != 1 ]; then
  log "could not start sshd"
  exit 1
fi
pid="$(cat "$work/sshd.pid")"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$work/host_ed25519.pub")" >"$work/known_hosts"
mkdir "$work/data"
log "sshd $("$SSHD" -V 2>&1 | head -1 || true) on 127.0.0.1:$port (pid $pid), user $user"

# The kill -9 cases run the built CLI.
[ -f dist/commands/apply.js ] || npm run build </dev/null

export RINGSHIFT_SSHD_TEST="{\"host\":\"127.0.0.1\",\"port\":$port,\"user\":\"$user\",\"identity\":\"$work/id_ed25519\",\"knownHosts\":\"$work/known_hosts\",\"dir\":\"$work/data\"}"
status=0
npx vitest run test/ssh-openssh.test.ts test/plan-ssh-openssh.test.ts </dev/null || status=$?
if [ "$status" != 0 ] && [ -s "$work/sshd.log" ]; then
  log "sshd log:"
  cat "$work/sshd.log" >&2
fi
exit "$status"

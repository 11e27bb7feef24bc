# Sourced by scripts/demo --rootless (after its setup and build; $bin, $host, $outside, $work and
# wire_outside come from there). A throwaway unprivileged user, made here as the rootless tests make
# one (Tests/TestSupport/RootlessUser.swift: a random name and uid, a subordinate uid/gid range of its
# own, /run/user/UID owned by it), runs pontoonctl inside the private host: rootless by itself, since
# it is not root. Everything (containers, the rootless netns and its slirp4netns, the user with its
# home, ranges and runtime directory, the namespaces) is removed on the way out, also on failure.

user=pdemo$(printf '%04x%04x' $RANDOM $RANDOM)
uid= gid= range= runtime= outside_pid= web_pid=

# As the user, with a login's environment only, inside the private host.
as_user() {
    nsenter --net="/run/netns/$host" setpriv --reuid="$uid" --regid="$gid" --init-groups -- \
        env -i HOME="/home/$user" XDG_RUNTIME_DIR="$runtime" PATH=/usr/local/bin:/usr/bin:/bin USER="$user" LOGNAME="$user" "$@"
}
uctl() { as_user "$work/bin/pontoonctl" "$@"; }
ushow() { echo "$user\$ pontoonctl $*"; uctl "$@"; }
# A command in a container's network namespace, reached (as the user) through the rootless netns.
inside() {
    local key
    key=$(uctl inspect "$1" --format json | jq -r .NetworkSettings.SandboxKey)
    shift
    uctl rootless-netns exec -- nsenter --net="$key" -- "$@"
}

rootless_cleanup() {
    status=$?
    set +e
    for pid in $web_pid $outside_pid; do kill -KILL "$pid" 2>/dev/null; done
    if [[ -n $uid ]]; then
        for name in $(uctl ps -a --format '{{.Names}}' 2>/dev/null); do uctl rm --force "$name" >/dev/null 2>&1; done
        for name in $(uctl network ls --format json 2>/dev/null | jq -r '.[].network.name'); do
            uctl network rm --force "$name" >/dev/null 2>&1
        done
        # Whatever an interrupted step left running as the user (slirp4netns, the pause process, servers).
        for _ in $(seq 50); do pkill -KILL -U "$uid" 2>/dev/null; pgrep -U "$uid" >/dev/null || break; sleep 0.1; done
        for mount in $(awk -v d="$runtime" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
            umount -l "$mount" 2>/dev/null
        done
        rm -rf "$runtime"
    fi
    if getent passwd "$user" >/dev/null; then
        [[ -n $range ]] && usermod --del-subuids "$range" --del-subgids "$range" "$user"
        userdel --remove "$user" 2>/dev/null
    fi
    rm -rf "/home/$user"
    for ns in "$outside" "$host"; do ip netns delete "$ns" 2>/dev/null; done
    rm -rf "$work"
    [[ $status -ne 0 ]] && echo "== rootless demo FAILED (exit $status); everything it made is removed (user $user too)" >&2
    exit $status
}
trap rootless_cleanup EXIT
# Ctrl-C or a kill: exit, so the EXIT trap removes everything.
trap "exit 130" INT TERM
wire_outside

echo "== a throwaway user, $user: a subordinate id range and /run/user/UID, as a login would give it"
for _ in $(seq 20); do
    candidate=$((251000 + RANDOM % 1000))
    getent passwd "$candidate" >/dev/null && continue
    # Debian's useradd would allocate a subordinate range itself: off, the range is the demo's own.
    # Above useradd's own range (so never a uid it would give): its warning about that is dropped.
    useradd --uid "$candidate" --create-home --home-dir "/home/$user" --shell /usr/sbin/nologin --user-group \
        -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$user" 2> >(grep -v 'outside of the UID_MIN' >&2) && uid=$candidate && break
done
[[ -n $uid ]] || { echo "no free uid for the demo's user" >&2; exit 1; }
gid=$(id -g "$user")
# Above login.defs' SUB_UID_MAX, the tests' and the benchmark's ranges: no one else's.
start=$((4100000000 + (uid - 251000) * 65536)); range="$start-$((start + 65535))"
touch /etc/subuid /etc/subgid
usermod --add-subuids "$range" --add-subgids "$range" "$user"
runtime=/run/user/$uid
mkdir -p /run/user && install -d -m 0700 -o "$uid" -g "$gid" "$runtime"
# Binaries the user can run (a checkout may not be readable by others), and the demo's small servers.
chmod 0755 "$work" && mkdir -m 0755 "$work/bin"
cp "$bin/pontoonctl" "$bin/pontoon" "$work/bin/"
cat >"$work/bin/peer.py" <<'PY'
# serve PORT LABEL: answer each connection with who answered and the peer's address.
# resolve SERVER NAME: one DNS A query over UDP (no resolver tool needed): the address.
import socket, struct, sys
if sys.argv[1] == "serve":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[2]))); s.listen(16)
    while True:
        c, peer = s.accept()
        c.recv(1024)
        body = f"{sys.argv[3]} answers; it sees you as {peer[0]}\n".encode()
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body); c.close()
else:
    name = b"".join(bytes([len(p)]) + p.encode() for p in sys.argv[3].split(".")) + b"\0"
    q = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); q.settimeout(2)
    q.sendto(struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + name + struct.pack(">HH", 1, 1), (sys.argv[2], 53))
    print(socket.inet_ntoa(q.recv(512)[-4:]))
PY
chmod 0755 "$work/bin/"*
echo "uid $uid, $(grep "^$user:" /etc/subuid | sed 's/^/subuid /'), XDG_RUNTIME_DIR=$runtime"

echo "== a rootless bridge network (MTU 65520 by default: through the connector 1500 costs throughput)"
ushow network create demo
ushow network ls

echo "== two containers: web publishes 8080 -> 80 (the first run brings up the rootless netns and slirp4netns)"
ushow run web --network demo -p 8080:80
ushow run client --network demo
ushow ps
echo "the user's processes: $(ps -o comm= -u "$uid" | sort | uniq -c | awk '{printf "%s %s  ", $2, ($1 > 1 ? "×" $1 : "")}')"
echo "the rootless netns (the connector's tap0, the network's bridge), as the user sees it:"
uctl rootless-netns exec -- ip -br addr | sed 's/^/   /'

echo "== addresses (inspect, and what the namespaces really have)"
web_ip=$(uctl inspect web --format json | jq -r .NetworkSettings.Networks.demo.IPAddress)
client_ip=$(uctl inspect client --format json | jq -r .NetworkSettings.Networks.demo.IPAddress)
gateway=$(uctl inspect web --format json | jq -r .NetworkSettings.Networks.demo.Gateway)
echo "web $web_ip, client $client_ip, gateway $gateway"
echo "inside web:    $(inside web ip -br addr show dev eth0)"
echo "inside client: $(inside client ip -br addr show dev eth0)"

echo "== outbound: client -> a server in the outside (198.51.100.2:9000), through pontoon's masquerade and slirp4netns"
ip netns exec "$outside" python3 "$work/bin/peer.py" serve 9000 "the outside" </dev/null >/dev/null 2>&1 &
outside_pid=$!
for _ in $(seq 50); do ip netns exec "$outside" ss -Hltn | grep -q ':9000 ' && break; sleep 0.1; done
echo "client: $(inside client curl -s -m 5 http://198.51.100.2:9000/)  (the private host's address: slirp4netns connected from it)"
kill "$outside_pid"; wait "$outside_pid" 2>/dev/null || true; outside_pid=

echo "== names: client asks aardvark-dns (at the gateway $gateway, inside the rootless netns) for web"
resolved=$(inside client python3 "$work/bin/peer.py" resolve "$gateway" web)
echo "web -> $resolved"
[[ $resolved == "$web_ip" ]] || { echo "web resolved to '$resolved', not $web_ip" >&2; exit 1; }

echo "== a published port: a server in web on 80, reached from outside at 198.51.100.1:8080 through pontoonctl's transparent port proxy"
web_pid=$(inside web /bin/sh -c "python3 $work/bin/peer.py serve 80 web </dev/null >/dev/null 2>&1 & echo \$!")
for _ in $(seq 50); do inside web ss -Hltn | grep -q ':80 ' && break; sleep 0.1; done
echo "from outside (198.51.100.2): $(ip netns exec "$outside" curl -s -m 5 http://198.51.100.1:8080/)"
echo "   (the client's own address: podman 4.3's rootlessport would show web's gateway or its own address)"
echo "from client, to web's resolved address: $(inside client curl -s -m 5 "http://$resolved/")"
kill "$web_pid"; web_pid=

echo "== rm both, then the network: the last container out stops slirp4netns and the rootless netns"
ushow rm --force web client
ushow network rm demo
# Exited ones are reparented to this machine's PID 1, which may reap them a moment later: not counted.
echo "the user's processes still running: $(ps -o stat= -u "$uid" | grep -vc '^Z' || true)"
echo "namespace files left under $runtime/netns: $(find "$runtime/netns" -mindepth 1 2>/dev/null | wc -l)"
echo "listening on 8080 in the private host: $(ip netns exec "$host" ss -Hltn | grep -c ':8080 ' || true)"
echo "== rootless demo complete; removing the user $user"

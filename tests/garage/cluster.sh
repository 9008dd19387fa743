#!/usr/bin/env bash
# tests/garage/cluster.sh — a real three-node Garage cluster on 127.0.0.1 for the object-store
# tests (issue 17): zones home, embassy and vault, replication factor 3, one bucket and one key.
#
#   cluster.sh start DIR     start it under DIR (empty or missing); prints the S3 endpoint.
#                            Writes DIR/aws/config and DIR/aws/credentials (profile custody-test,
#                            the AWS conventions: region, endpoint_url; the key in the credentials
#                            file only, mode 0600) and DIR/cluster.env (GARAGE_* and AWS_* file
#                            paths for a test to source; no secret in it).
#   cluster.sh stop DIR      stop every node (SIGTERM, then SIGKILL) and remove nothing else.
#   cluster.sh node-stop DIR ZONE / node-start DIR ZONE   stop or restart one node.
#
# Needs the garage binary: $GARAGE, else garage on PATH, else $CARGO_HOME/bin/garage (CI builds it
# once with `cargo install garage --locked` and finds it there again).
set -euo pipefail

ZONES=(home embassy vault)

garage_bin() {
    local bin=${GARAGE:-$(type -P garage || echo "${CARGO_HOME:-$HOME/.cargo}/bin/garage")}
    [[ -x $bin ]] || {
        echo "cluster.sh: no garage binary (set GARAGE, or: cargo install garage --locked)" >&2
        exit 1
    }
    printf '%s\n' "$bin"
}

# g ZONE ARGS...: the garage CLI against ZONE's node.
g() {
    local zone=$1
    shift
    "$GARAGE_BIN" -c "$DIR/$zone/garage.toml" "$@"
}

start_node() {
    local zone=$1
    # The binary itself in the background (not through `g`: $! would be a subshell's).
    "$GARAGE_BIN" -c "$DIR/$zone/garage.toml" server >"$DIR/$zone/server.log" 2>&1 &
    echo $! >"$DIR/$zone/pid"
    local i
    for i in $(seq 1 100); do
        g "$zone" node id -q >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "cluster.sh: node $zone did not start; its log:" >&2
    tail -20 "$DIR/$zone/server.log" >&2
    exit 1
}

stop_node() {
    local zone=$1 pid
    [[ -f $DIR/$zone/pid ]] || return 0
    pid=$(cat "$DIR/$zone/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$DIR/$zone/pid"
}

start() {
    mkdir -p "$DIR"
    [[ -z $(ls -A "$DIR") ]] || { echo "cluster.sh: $DIR is not empty" >&2; exit 2; }
    local secret base i zone port
    secret=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
    base=$((20000 + RANDOM % 20000))
    for i in "${!ZONES[@]}"; do
        zone=${ZONES[i]} port=$((base + 10 * i))
        mkdir -p "$DIR/$zone/meta" "$DIR/$zone/data"
        (umask 077 && cat >"$DIR/$zone/garage.toml" <<TOML
metadata_dir = "$DIR/$zone/meta"
data_dir = "$DIR/$zone/data"
db_engine = "sqlite"
replication_factor = 3
rpc_bind_addr = "127.0.0.1:$port"
rpc_public_addr = "127.0.0.1:$port"
rpc_secret = "$secret"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$((port + 1))"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$((port + 3))"
TOML
        )
        echo "$((port + 1))" >"$DIR/$zone/s3-port"
        start_node "$zone"
    done
    local id
    for zone in embassy vault; do
        id=$(g "$zone" node id -q)
        g home node connect "$id" >/dev/null
    done
    for zone in "${ZONES[@]}"; do
        id=$(g "$zone" node id -q)
        g home layout assign -z "$zone" -c 1G "${id%%@*}" >/dev/null
    done
    g home layout apply --version 1 >/dev/null
    local key_out key_id key_secret
    key_out=$(g home key create custody-test)
    key_id=$(printf '%s\n' "$key_out" | sed -n 's/^Key ID: *\(GK[0-9a-f]*\).*/\1/p' | head -n1)
    key_secret=$(printf '%s\n' "$key_out" | sed -n 's/^Secret key: *\([0-9a-f]*\).*/\1/p' | head -n1)
    [[ -n $key_id && -n $key_secret ]] || { echo "cluster.sh: could not read the new key:" >&2; printf '%s\n' "$key_out" >&2; exit 1; }
    g home bucket create custody >/dev/null
    g home bucket allow --read --write --owner custody --key custody-test >/dev/null
    local endpoint=http://127.0.0.1:$(cat "$DIR/home/s3-port")
    mkdir -p -m 700 "$DIR/aws"
    (umask 077
        printf '[profile custody-test]\nregion = garage\nendpoint_url = %s\n' "$endpoint" >"$DIR/aws/config"
        printf '[custody-test]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$key_id" "$key_secret" >"$DIR/aws/credentials")
    cat >"$DIR/cluster.env" <<ENV
export AWS_CONFIG_FILE=$DIR/aws/config
export AWS_SHARED_CREDENTIALS_FILE=$DIR/aws/credentials
export AWS_PROFILE=custody-test
export GARAGE_S3_ENDPOINT=$endpoint
export GARAGE_BUCKET=custody
ENV
    echo "garage cluster up: zones ${ZONES[*]}, replication factor 3, bucket custody at $endpoint"
}

[[ $# -ge 2 ]] || { echo "usage: cluster.sh start|stop DIR | node-stop|node-start DIR ZONE" >&2; exit 2; }
command=$1 DIR=$(realpath -m "$2")
GARAGE_BIN=$(garage_bin)
case $command in
    start) start ;;
    stop) for zone in "${ZONES[@]}"; do stop_node "$zone"; done ;;
    node-stop) stop_node "${3:?zone}" ;;
    node-start) start_node "${3:?zone}" ;;
    *) echo "usage: cluster.sh start|stop DIR | node-stop|node-start DIR ZONE" >&2; exit 2 ;;
esac

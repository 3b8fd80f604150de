#!/bin/bash
# Drives pactown-gateway, running as its own system user, against pactownd in the throwaway
# systemd: every REST route, its JSON, the bearer token and the error statuses.
# Runs inside tests/integration/pactownd-sandbox, which sets PACTOWN_BUILD_DIR.
set -euo pipefail

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect_equal() { [[ $2 == "$3" ]] || fail "$1: expected '$3', got '$2'"; }

[[ -n ${PACTOWN_BUILD_DIR-} ]] || { echo "gateway-test: run me through tests/integration/pactownd-sandbox" >&2; exit 1; }
gateway=$PACTOWN_BUILD_DIR/src/gateway/pactown-gateway

# The bus policy and pactownd admit pactown-gateway by name, looked up when they load.
systemd-sysusers "$PACTOWN_SOURCE_DIR/units/pactown-gateway.sysusers.conf"
busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
systemctl restart pactownd.service
token_file=/etc/pactown/gateway.token
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$token_file"
chown pactown-gateway "$token_file"
chmod 0600 "$token_file"
token=$(cat "$token_file")

log=/run/gateway.log
setpriv --reuid=pactown-gateway --regid=pactown-gateway --clear-groups \
    "$gateway" --token-file "$token_file" --listen 127.0.0.1:0 >"$log" 2>&1 &
gateway_pid=$!
trap 'kill $gateway_pid 2>/dev/null || true' EXIT
port=""
for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$log" | head -n1)
    [[ -n $port ]] && break
    sleep 0.1
done
[[ -n $port ]] || { cat "$log" >&2; echo "gateway-test: the gateway did not start" >&2; exit 1; }
base=http://127.0.0.1:$port/runner/isolation

# Prints "STATUS BODY" of a request with the token.
request() {
    local method=$1 url=$2
    curl -s -o /run/body -w '%{http_code}' -X "$method" -H "Authorization: Bearer $token" "$url"
    echo " $(cat /run/body)"
}

response=$(request GET "$base/user/auth0%7C123456")
expect_equal "create status" "${response%% *}" 200
user=${response#* }
expect_equal "saas id" "$(jq -r .saas_user_id <<<"$user")" "auth0|123456"
name=$(jq -r .linux_username <<<"$user")
[[ $name =~ ^pactown_[0-9a-f]{8}$ ]] || fail "linux name '$name'"
expect_equal "account" "$(getent passwd "$name" | cut -d: -f7)" /usr/sbin/nologin
expect_equal "same record on second call" "$(request GET "$base/user/auth0%7C123456")" "200 $user"

response=$(request GET "$base/users")
expect_equal "list status" "${response%% *}" 200
expect_equal "list count" "$(jq .count <<<"${response#* }")" 1
expect_equal "list entry" "$(jq -c '.users[0]' <<<"${response#* }")" "$(jq -c . <<<"$user")"

response=$(request GET "$base/user/auth0%7C123456/stats")
expect_equal "stats status" "${response%% *}" 200
expect_equal "stats keys" "$(jq -c '[.user.saas_user_id, .sandbox_count, (.total_size_mb|type)]' <<<"${response#* }")" \
    '["auth0|123456",0,"number"]'

expect_equal "unknown tenant" "$(request GET "$base/user/nobody-here/stats" | cut -d' ' -f1)" 404
expect_equal "control character" "$(request GET "$base/user/bad%01id" | cut -d' ' -f1)" 400
expect_equal "unknown route" "$(request GET "http://127.0.0.1:$port/other" | cut -d' ' -f1)" 404
expect_equal "no token" "$(curl -s -o /dev/null -w '%{http_code}' "$base/users")" 401
expect_equal "wrong token" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' "$base/users")" 401

response=$(request DELETE "$base/user/auth0%7C123456?delete_home=true")
expect_equal "delete" "$response" '200 {"success":true,"user_id":"auth0|123456"}'
getent passwd "$name" >/dev/null && fail "the account survived delete"
expect_equal "list after delete" "$(request GET "$base/users" | cut -d' ' -f2- | jq .count)" 0

if [[ $failures -gt 0 ]]; then
    echo "gateway-test: $failures checks failed; gateway log:" >&2
    cat "$log" >&2
    exit 1
fi
echo "gateway-test: all checks passed"

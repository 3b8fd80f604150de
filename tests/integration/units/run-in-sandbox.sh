#!/bin/bash
# Runs the SystemdUnits integration tests as root inside a throwaway systemd, with a test account
# created in the sandbox's private /etc, and stops the sandbox afterwards.
# Usage: run-in-sandbox.sh BUILD_DIR [STATE_DIR] [GTEST_ARGS...]
set -euo pipefail

source_root=$(cd "$(dirname "$0")/../../.." && pwd)
build_dir=$(cd "${1:?usage: run-in-sandbox.sh BUILD_DIR [STATE_DIR] [GTEST_ARGS...]}" && pwd)
state_dir=${2:-$build_dir/sandbox/units-$$}
shift $(($# < 2 ? $# : 2))
harness=$source_root/tests/harness/sandbox-systemd
test_user=pactown_itest

SANDBOX_KEEP_PATHS=$source_root:$build_dir "$harness" start "$state_dir" "$source_root/units/pactown.slice" >/dev/null
trap '"$harness" stop "$state_dir"; rm -rf "$state_dir"' EXIT

"$harness" enter "$state_dir" useradd --system --no-create-home --shell /usr/sbin/nologin "$test_user"
"$harness" enter "$state_dir" env PACTOWN_TEST_USER="$test_user" \
    "$build_dir/tests/integration/units/units-integration-tests" "$@"

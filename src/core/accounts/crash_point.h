#pragma once

#include <string>
#include <string_view>

namespace pactown {

// A test hook that kills the process with SIGKILL at a named point of a multi-step operation,
// so that tests can check what a crash there leaves behind and what the next call repairs.
//
// It is armed by the environment variable PACTOWN_TEST_CRASH_AT=<point>:<n>, read once at
// the first crashPoint() call, or by armCrashPoint(). The process dies when it reaches
// `point` for the n-th time (n counts from 1). Unarmed, crashPoint() costs one atomic load.
// Production code never sets the variable; it exists for the crash tests only.
void crashPoint(std::string_view point);

// Arms the hook in this process, replacing the environment's setting. Used by tests in a
// child created by fork(), which has already read the parent's environment.
void armCrashPoint(std::string point, unsigned occurrence);

} // namespace pactown

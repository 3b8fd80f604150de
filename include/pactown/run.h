#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <sys/types.h>

namespace pactown {

// Resource limits of one run. An unset field takes the configured default.
struct RunLimits {
    std::optional<unsigned> cpuQuotaPercent; // 100 = one CPU
    std::optional<uint64_t> memoryMaxBytes;
    std::optional<uint64_t> tasksMax;
    std::optional<bool> privateNetwork;
};

// Limits with every field decided.
struct EffectiveLimits {
    std::optional<unsigned> cpuQuotaPercent; // nullopt = no quota
    std::optional<uint64_t> memoryMaxBytes;  // nullopt = no limit
    std::optional<uint64_t> tasksMax;        // nullopt = no limit
    bool privateNetwork = false;
};

struct RunRequest {
    // A string runs as "/bin/sh -c STRING", as in the reference; a vector is the argv itself.
    std::variant<std::string, std::vector<std::string>> command;
    // The tenant's sandbox to run in; empty for the home directory. Ignored when cwd is set.
    std::string serviceId;
    // Working directory; must be inside the tenant's home. Empty for the sandbox or home.
    std::filesystem::path cwd;
    // The only variables besides HOME, USER, LOGNAME, PATH and LANG that the run sees.
    std::map<std::string, std::string> environment;
    RunLimits limits;
    // Descriptors for the run's standard input, output and error; -1 for the defaults
    // (/dev/null and the journal). The caller keeps ownership.
    int stdinFd = -1;
    int stdoutFd = -1;
    int stderrFd = -1;
};

// The end of a run, as systemd reports it.
struct RunResult {
    std::string result;     // systemd's Result= of the unit: "success", "exit-code", "signal", "oom-kill", ...
    std::string exitCode;   // "exited", "killed" or "dumped" (from ExecMainCode)
    int exitStatus = 0;     // exit status, or the signal number when killed or dumped
    bool success() const { return result == "success"; }
};

// A run as listed: the unit and whom it belongs to.
struct RunInfo {
    std::string unitName;
    std::string invocationId; // 32 hex digits
    std::string saasUserId;
    std::string serviceId;
    pid_t mainPid = 0;
    std::string activeState;
    EffectiveLimits limits;
};

// A started run. Waiting and stopping are safe from any thread.
class Run {
public:
    virtual ~Run() = default;
    virtual const RunInfo& info() const = 0;
    // Blocks until the run ends or the timeout passes; nullopt on timeout.
    virtual std::optional<RunResult> wait(std::optional<std::chrono::milliseconds> timeout = std::nullopt) = 0;
    // Stops every process of the run (KillMode=control-group) and waits until the unit is inactive.
    virtual void stop() = 0;
};

} // namespace pactown

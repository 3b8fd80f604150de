#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include <pactown/run.h>
#include <pactown/stats.h>

namespace pactown {

// A transient service to start, with every setting decided by the caller.
struct TransientService {
    // "pactown-run-<linux name>-<16 hex digits>.service", from makeRunUnitName().
    std::string unitName;
    // Readable by every user of the host, so it must not contain the saas user id.
    std::string description;
    // The tenant's slice, from tenantSliceName().
    std::string slice;
    // The tenant's account; unset for runs of the user manager, which runs everything as its user.
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
    std::filesystem::path workingDirectory;
    // The command; argv[0] is an absolute path.
    std::vector<std::string> argv;
    // The complete environment of the run. Variables of the service manager's own environment
    // that are not in this map are unset.
    std::map<std::string, std::string> environment;
    EffectiveLimits limits;
    // Descriptors for standard input, output and error, or -1 for /dev/null (input) and the
    // journal (output and error). They are duplicated; the caller keeps its own.
    int stdinFd = -1;
    int stdoutFd = -1;
    int stderrFd = -1;
    // Copied into the RunInfo of the run, never sent to systemd.
    std::string saasUserId;
    std::string serviceId;
};

// A run started by SystemdUnits.
class UnitRun : public Run {
public:
    // Whether the limits were read back from the kernel. False when the run ended before they
    // could be read, because its cgroup and processes were gone; such a run was not refused.
    virtual bool limitsVerified() const = 0;
};

// Starts, lists and stops runs as transient services of a systemd service manager, over D-Bus.
// Safe to use from several threads. Destroying it closes the bus connection: systemd then
// collects the runs' units when they end, and a Run still waiting throws SystemError.
class SystemdUnits {
public:
    enum class Bus {
        System, // the system manager, on the system bus; runs may have User= and Group=
        User,   // the caller's user manager, on its session bus
    };

    // Connects and subscribes to the manager's signals. cgroupMountRoot is where the cgroup
    // hierarchies are mounted. Throws SystemError when the bus or systemd cannot be reached.
    explicit SystemdUnits(Bus bus, std::filesystem::path cgroupMountRoot = "/sys/fs/cgroup");
    ~SystemdUnits();
    SystemdUnits(const SystemdUnits&) = delete;
    SystemdUnits& operator=(const SystemdUnits&) = delete;

    // Starts the service and returns once its start job is done and the kernel has its limits.
    // Throws InvalidArgumentError for a malformed service (bad unit name, relative argv[0]) or
    // one that systemd rejects; SystemError when the start job fails, for example for a command
    // that does not exist (the message has systemd's result and exit status) or times out;
    // LimitsNotAppliedError, after stopping the unit, when the cgroup does not hold a requested
    // limit or the process is not in a network namespace of its own.
    std::shared_ptr<UnitRun> start(const TransientService& service);

    // Returns every active, activating or deactivating unit named pactown-run-*.service, also
    // those started by other processes (their saasUserId and serviceId are empty).
    std::vector<RunInfo> listRuns();

    // Stops the run and waits until its unit is inactive. Throws NoSuchRunError when the name is
    // not a run unit name or systemd has no such unit, SystemError when the stop job fails.
    void stop(const std::string& unitName);

    // Sums the memory, CPU time and tasks of the active runs in the slice.
    RunUsage usageOfSlice(const std::string& slice);

    // Freezes or thaws every process of the run: FreezeUnit and ThawUnit on a unified cgroup
    // hierarchy, SIGSTOP and SIGCONT to all its processes elsewhere, because systemd 252 freezes
    // units only on the unified hierarchy. Throws NoSuchRunError as stop() does, and SystemError
    // when systemd fails.
    void freeze(const std::string& unitName);
    void thaw(const std::string& unitName);

    // Sets the function called once when a run that start() returned ends, whether or not
    // anybody waits for it. It is called on an internal thread and must not block for long.
    void setRunFinishedCallback(std::function<void(const RunInfo&, const RunResult&)> callback);

    // Defined in the library's sources; declared public so that run handles can refer to it.
    class Impl;

private:
    std::shared_ptr<Impl> impl_;
};

} // namespace pactown

#include "units/systemd_units_impl.h"

#include <pactown/errors.h>

#include <cerrno>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "units/cgroup_limits.h"
#include "units/unit_names.h"
#include "units/unit_properties.h"

namespace pactown {

namespace {

// Longer than systemd's default start timeout of 90 seconds, so that systemd decides first.
constexpr auto startJobTimeout = std::chrono::seconds(120);

// Explains the exit statuses that systemd's service manager itself uses when it cannot set up
// or execute the command (systemd.exec(5), "Process Exit Codes").
std::string explainExitStatus(int status)
{
    switch (status) {
    case 200: return " (the working directory could not be entered)";
    case 203: return " (the command could not be executed)";
    case 216: return " (the group could not be set)";
    case 217: return " (the user could not be set)";
    case 225: return " (the network namespace could not be set up)";
    case 226: return " (the mount namespace could not be set up)";
    default: return "";
    }
}

// Whether the exit status is one that systemd's service manager uses for a failure to set up or
// execute the command (200 to 243 in systemd 252). A command that exits with such a status
// itself is taken for one that could not start.
bool isSetupFailure(const RunResult& result)
{
    return result.exitCode == "exited" && result.exitStatus >= 200 && result.exitStatus <= 243;
}

std::string describeResult(const RunResult& result)
{
    std::string text = "unit result '" + result.result + "'";
    if (result.exitCode == "exited")
        return text + ", exit status " + std::to_string(result.exitStatus) + explainExitStatus(result.exitStatus);
    if (!result.exitCode.empty())
        return text + ", " + result.exitCode + " by signal " + std::to_string(result.exitStatus);
    return text;
}

std::optional<std::string> readNetworkNamespace(const std::string& procPath)
{
    char target[64];
    ssize_t size = readlink(procPath.c_str(), target, sizeof target);
    if (size < 0) {
        if (errno == ENOENT || errno == ESRCH)
            return std::nullopt;
        throwSystemError("cannot read the network namespace link '" + procPath + "'", errno);
    }
    return std::string(target, static_cast<size_t>(size));
}

} // namespace

std::shared_ptr<UnitRun> SystemdUnits::Impl::start(const TransientService& service)
{
    if (!isRunUnitName(service.unitName))
        throw InvalidArgumentError("unit name '" + service.unitName +
                                   "' does not have the form pactown-run-<linux name>-<16 hex digits>.service");
    if (service.slice.empty() || !service.slice.ends_with(".slice"))
        throw InvalidArgumentError("slice '" + service.slice + "' of run unit '" + service.unitName +
                                   "' is not a slice unit name");

    auto run = std::make_shared<RunState>();
    run->objectPath = unitObjectPath(service.unitName);
    run->info.unitName = service.unitName;
    run->info.saasUserId = service.saasUserId;
    run->info.serviceId = service.serviceId;
    run->info.limits = service.limits;

    // Tracking and the job watch begin before the unit exists, so that no signal is missed.
    track(run);
    JobWatch watch(*client_, service.unitName);
    bool submitted = false;
    try {
        std::string job = submit(service);
        submitted = true;
        bool running = awaitStartJob(service.unitName, run->objectPath, job);
        std::string controlGroup;
        readRunProperties(*run, controlGroup);
        if (running) {
            verifyLimits(service, *run, controlGroup);
            watchOomKills(service, *run, controlGroup);
        }
    } catch (...) {
        untrack(run->objectPath);
        RunResult ignored;
        detectOomKill(*run, ignored);
        if (submitted)
            discardUnit(service.unitName);
        throw;
    }

    spdlog::debug("run unit '{}' started with main PID {}", service.unitName, run->info.mainPid);
    markStarted(run);
    return makeUnitRun(run, weak_from_this());
}

// Sends StartTransientUnit and returns the path of its job. Throws InvalidArgumentError or
// SystemError when systemd rejects the unit.
std::string SystemdUnits::Impl::submit(const TransientService& service)
{
    try {
        UnitProperties properties = makeTransientProperties(service, client_->managerEnvironment());
        return client_->startTransientUnit(service.unitName, properties);
    } catch (const sdbus::Error& error) {
        std::string what = "systemd rejected run unit '" + service.unitName + "'";
        if (error.getName() == "org.freedesktop.DBus.Error.InvalidArgs" ||
            error.getName() == "org.freedesktop.systemd1.UnitExists")
            throw InvalidArgumentError(what + ": " + error.getMessage());
        throwBusError(what, error);
    }
}

// Returns true when the command runs, false when it ran and ended before its start job was done:
// with Type=exec, a command that ends fast with a failure fails the job. Throws SystemError when
// the command could not be started at all.
bool SystemdUnits::Impl::awaitStartJob(const std::string& unitName, const std::string& objectPath,
                                       const std::string& job)
{
    auto jobResult = client_->waitForJob(unitName, job, std::chrono::steady_clock::now() + startJobTimeout);
    if (!jobResult)
        throw SystemError("the start job of run unit '" + unitName + "' did not finish within " +
                          std::to_string(startJobTimeout.count()) + " seconds");
    if (*jobResult == "done")
        return true;

    std::optional<RunResult> result;
    try {
        result = readRunResult(objectPath);
    } catch (const sdbus::Error& error) {
        spdlog::debug("cannot read the result of run unit '{}', ignoring: {}", unitName, error.getMessage());
    }
    if (*jobResult == "failed" && result && !result->exitCode.empty() && !isSetupFailure(*result))
        return false;

    std::string details = result ? ", " + describeResult(*result) : std::string();
    throw SystemError("run unit '" + unitName + "' failed to start: job result '" + *jobResult + "'" + details);
}

void SystemdUnits::Impl::readRunProperties(RunState& run, std::string& controlGroup)
{
    try {
        controlGroup = client_->getProperty(run.objectPath, serviceInterface, "ControlGroup").get<std::string>();
        run.info.mainPid = static_cast<pid_t>(
            client_->getProperty(run.objectPath, serviceInterface, "MainPID").get<uint32_t>());
        run.info.invocationId =
            toHexString(client_->getProperty(run.objectPath, unitInterface, "InvocationID").get<std::vector<uint8_t>>());
        run.info.activeState = activeState(run.objectPath);
    } catch (const sdbus::Error& error) {
        throwBusError("cannot read the properties of run unit '" + run.info.unitName + "'", error);
    }
}

// Compares the limits the kernel has with the requested ones. A run that ended before the
// comparison cannot be checked any more, so it is accepted with limitsVerified false.
void SystemdUnits::Impl::verifyLimits(const TransientService& service, RunState& run, const std::string& controlGroup)
{
    const std::string& unitName = service.unitName;
    if (controlGroup.empty() || !controlGroupExists(cgroupMountRoot_, controlGroup)) {
        spdlog::debug("run unit '{}' ended before its limits could be read back", unitName);
        return;
    }

    EffectiveLimits actual;
    std::optional<std::string> mismatch;
    try {
        actual = readCgroupLimits(cgroupMountRoot_, controlGroup);
        mismatch = findLimitMismatch(service.limits, actual, static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
    } catch (const SystemError&) {
        if (controlGroupExists(cgroupMountRoot_, controlGroup))
            throw;
    }
    // Files that vanish with an ending run read as "no limit", so a mismatch counts only while
    // the control group exists.
    if (!controlGroupExists(cgroupMountRoot_, controlGroup)) {
        spdlog::debug("run unit '{}' ended while its limits were read back", unitName);
        return;
    }
    if (mismatch)
        throw LimitsNotAppliedError("run unit '" + unitName + "' was stopped: its " + *mismatch);

    actual.privateNetwork = service.limits.privateNetwork;
    if (service.limits.privateNetwork && !verifyPrivateNetwork(unitName, run.info.mainPid))
        return;
    run.info.limits = actual;
    run.limitsVerified = true;
}

// Returns false when the main process is gone, so that its namespace cannot be compared.
// Throws LimitsNotAppliedError when it shares the caller's network namespace.
bool SystemdUnits::Impl::verifyPrivateNetwork(const std::string& unitName, pid_t mainPid)
{
    if (mainPid <= 0)
        return false;
    auto own = readNetworkNamespace("/proc/self/ns/net");
    auto runs = readNetworkNamespace("/proc/" + std::to_string(mainPid) + "/ns/net");
    if (!runs) {
        spdlog::debug("run unit '{}' ended before its network namespace could be read", unitName);
        return false;
    }
    if (runs == own)
        throw LimitsNotAppliedError("run unit '" + unitName + "' was stopped: a private network was requested "
                                    "but its main process " + std::to_string(mainPid) +
                                    " shares the network namespace '" + *own + "' of the caller");
    return true;
}

// Stops and releases a unit that start() will not return. Errors are only logged, because the
// error that made start() give up is the one to report.
void SystemdUnits::Impl::discardUnit(const std::string& unitName)
{
    try {
        stopAndWait(unitName);
    } catch (const std::exception& error) {
        spdlog::debug("cannot stop run unit '{}', ignoring: {}", unitName, error.what());
    }
    unref(unitName);
}

} // namespace pactown

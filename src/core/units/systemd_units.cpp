#include "units/systemd_units.h"

#include <pactown/errors.h>

#include <csignal>
#include <limits>

#include <spdlog/spdlog.h>

#include "units/cgroup_limits.h"
#include "units/systemd_units_impl.h"
#include "units/unit_names.h"

namespace pactown {

namespace {

// Longer than systemd's default stop timeout of 90 seconds, after which it sends SIGKILL.
constexpr auto stopJobTimeout = std::chrono::seconds(180);
constexpr uint64_t unknownValue = std::numeric_limits<uint64_t>::max();
constexpr const char* noSuchUnitError = "org.freedesktop.systemd1.NoSuchUnit";
const std::vector<std::string> runningStates = {"active", "activating", "deactivating", "reloading"};

std::string exitCodeName(int32_t code)
{
    // ExecMainCode is the si_code of the process's end: CLD_EXITED, CLD_KILLED or CLD_DUMPED.
    switch (code) {
    case 1: return "exited";
    case 2: return "killed";
    case 3: return "dumped";
    default: return "";
    }
}

std::optional<uint64_t> knownValue(uint64_t value)
{
    return value == unknownValue ? std::nullopt : std::optional<uint64_t>(value);
}

void checkRunUnitName(const std::string& unitName)
{
    if (!isRunUnitName(unitName))
        throw NoSuchRunError("unit '" + unitName +
                             "' is not a run: its name does not have the form pactown-run-<linux name>-<16 hex digits>.service");
}

} // namespace

std::string toHexString(const std::vector<uint8_t>& bytes)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    for (uint8_t byte : bytes) {
        text += digits[byte >> 4];
        text += digits[byte & 0xf];
    }
    return text;
}

void throwBusError(const std::string& what, const sdbus::Error& error)
{
    throw SystemError(what + ": " + error.getName() + ": " + error.getMessage());
}

SystemdUnits::Impl::Impl(Bus bus, std::filesystem::path cgroupMountRoot)
    : cgroupMountRoot_(std::move(cgroupMountRoot))
{
    if (detectCgroupLayout(cgroupMountRoot_) == CgroupLayout::Legacy)
        oomWatcher_ = std::make_unique<OomWatcher>();
    startWorker();
    try {
        client_ = std::make_unique<SystemdClient>(bus, [this](const std::string& path) { onUnitChanged(path); });
    } catch (...) {
        stopWorker();
        throw;
    }
}

SystemdUnits::Impl::~Impl()
{
    // The worker uses the client, so it ends first; signals after that only fill the queue.
    stopWorker();
    client_.reset();
    abandonRuns();
}

std::vector<RunInfo> SystemdUnits::Impl::listRuns()
{
    std::vector<std::string> names;
    try {
        names = client_->listUnitsByPatterns(runningStates, {"pactown-run-*.service"});
    } catch (const sdbus::Error& error) {
        throwBusError("cannot list the run units", error);
    }

    std::vector<RunInfo> runs;
    for (const auto& name : names) {
        if (!isRunUnitName(name))
            continue;
        std::string objectPath = unitObjectPath(name);
        try {
            auto tracked = findStartedRun(objectPath);
            RunInfo info = tracked ? tracked->info : readForeignRunInfo(name, objectPath);
            info.activeState = activeState(objectPath);
            if (!isInactiveState(info.activeState))
                runs.push_back(std::move(info));
        } catch (const sdbus::Error& error) {
            // The unit may have ended and been collected since it was listed.
            spdlog::debug("cannot read run unit '{}', ignoring: {}", name, error.getMessage());
        }
    }
    return runs;
}

RunInfo SystemdUnits::Impl::readForeignRunInfo(const std::string& unitName, const std::string& objectPath)
{
    auto properties = client_->getAllProperties(objectPath, serviceInterface);
    auto invocationId = client_->getProperty(objectPath, unitInterface, "InvocationID").get<std::vector<uint8_t>>();

    RunInfo info;
    info.unitName = unitName;
    info.invocationId = toHexString(invocationId);
    info.mainPid = static_cast<pid_t>(properties.at("MainPID").get<uint32_t>());

    // These are the unit's settings, not read back from the kernel.
    auto quota = knownValue(properties.at("CPUQuotaPerSecUSec").get<uint64_t>());
    if (quota)
        info.limits.cpuQuotaPercent = static_cast<unsigned>(*quota / 10000);
    info.limits.memoryMaxBytes = knownValue(properties.at("MemoryMax").get<uint64_t>());
    info.limits.tasksMax = knownValue(properties.at("TasksMax").get<uint64_t>());
    info.limits.privateNetwork = properties.at("PrivateNetwork").get<bool>();
    return info;
}

void SystemdUnits::Impl::stop(const std::string& unitName)
{
    checkRunUnitName(unitName);
    if (auto run = findStartedRun(unitObjectPath(unitName))) {
        stopRun(run);
        return;
    }
    stopAndWait(unitName);
}

void SystemdUnits::Impl::stopAndWait(const std::string& unitName)
{
    JobWatch watch(*client_, unitName);
    std::string job;
    try {
        job = client_->stopUnit(unitName);
    } catch (const sdbus::Error& error) {
        if (error.getName() == noSuchUnitError)
            throw NoSuchRunError("run unit '" + unitName + "' is not loaded: " + error.getMessage());
        throwBusError("cannot stop run unit '" + unitName + "'", error);
    }

    auto result = client_->waitForJob(unitName, job, std::chrono::steady_clock::now() + stopJobTimeout);
    if (!result)
        throw SystemError("the stop job of run unit '" + unitName + "' did not finish within " +
                          std::to_string(stopJobTimeout.count()) + " seconds");
    if (*result != "done")
        throw SystemError("the stop job of run unit '" + unitName + "' ended with result '" + *result + "'");
}

RunUsage SystemdUnits::Impl::usageOfSlice(const std::string& slice)
{
    RunUsage usage;
    try {
        for (const auto& name : client_->listUnitsByPatterns(runningStates, {"pactown-run-*.service"})) {
            std::string objectPath = unitObjectPath(name);
            if (!isRunUnitName(name) || client_->getProperty(objectPath, serviceInterface, "Slice").get<std::string>() != slice)
                continue;
            addUsage(usage, objectPath);
        }
    } catch (const sdbus::Error& error) {
        throwBusError("cannot read the usage of slice '" + slice + "'", error);
    }
    return usage;
}

// Adds one active run; a figure that systemd does not know (accounting off) counts as 0.
void SystemdUnits::Impl::addUsage(RunUsage& usage, const std::string& objectPath)
{
    auto read = [&](const char* name) {
        return knownValue(client_->getProperty(objectPath, serviceInterface, name).get<uint64_t>()).value_or(0);
    };
    ++usage.activeRuns;
    usage.memoryBytes += read("MemoryCurrent");
    usage.cpuTimeNanoseconds += read("CPUUsageNSec");
    usage.tasks += read("TasksCurrent");
}

void SystemdUnits::Impl::callFreezerMethod(const char* method, const std::string& unitName)
{
    checkRunUnitName(unitName);
    try {
        // systemd 252 freezes units through the cgroup v2 freezer only. Elsewhere every process
        // of the unit gets SIGSTOP, and SIGCONT to thaw. systemd's KillUnit repeats its pass
        // over the cgroup until it finds no new process, so a fork during the pass is caught.
        if (detectCgroupLayout(cgroupMountRoot_) != CgroupLayout::Unified)
            client_->killUnit(unitName, std::string_view(method) == "FreezeUnit" ? SIGSTOP : SIGCONT);
        else
            client_->callUnitMethod(method, unitName);
    } catch (const sdbus::Error& error) {
        if (error.getName() == noSuchUnitError)
            throw NoSuchRunError("run unit '" + unitName + "' is not loaded: " + error.getMessage());
        throwBusError(std::string(method) + " of run unit '" + unitName + "' failed", error);
    }
}

std::string SystemdUnits::Impl::activeState(const std::string& objectPath)
{
    return client_->getProperty(objectPath, unitInterface, "ActiveState").get<std::string>();
}

RunResult SystemdUnits::Impl::readRunResult(const std::string& objectPath)
{
    RunResult result;
    result.result = client_->getProperty(objectPath, serviceInterface, "Result").get<std::string>();
    result.exitCode = exitCodeName(client_->getProperty(objectPath, serviceInterface, "ExecMainCode").get<int32_t>());
    result.exitStatus = client_->getProperty(objectPath, serviceInterface, "ExecMainStatus").get<int32_t>();
    return result;
}

void SystemdUnits::Impl::unref(const std::string& unitName)
{
    try {
        client_->callUnitMethod("UnrefUnit", unitName);
    } catch (const sdbus::Error& error) {
        spdlog::debug("cannot release run unit '{}', ignoring: {}", unitName, error.getMessage());
    }
}

SystemdUnits::SystemdUnits(Bus bus, std::filesystem::path cgroupMountRoot)
    : impl_(std::make_shared<Impl>(bus, std::move(cgroupMountRoot)))
{
}

SystemdUnits::~SystemdUnits() = default;

std::shared_ptr<UnitRun> SystemdUnits::start(const TransientService& service)
{
    return impl_->start(service);
}

std::vector<RunInfo> SystemdUnits::listRuns()
{
    return impl_->listRuns();
}

void SystemdUnits::stop(const std::string& unitName)
{
    impl_->stop(unitName);
}

RunUsage SystemdUnits::usageOfSlice(const std::string& slice)
{
    return impl_->usageOfSlice(slice);
}

void SystemdUnits::freeze(const std::string& unitName)
{
    impl_->callFreezerMethod("FreezeUnit", unitName);
}

void SystemdUnits::thaw(const std::string& unitName)
{
    impl_->callFreezerMethod("ThawUnit", unitName);
}

void SystemdUnits::setRunFinishedCallback(std::function<void(const RunInfo&, const RunResult&)> callback)
{
    impl_->setRunFinishedCallback(std::move(callback));
}

} // namespace pactown

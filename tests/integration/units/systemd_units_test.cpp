// Integration tests of SystemdUnits against a real systemd. They run as root inside the throwaway
// systemd of tests/harness/sandbox-systemd, never on a host. They need a test account created
// there, which run-in-sandbox.sh beside this file does.

#include "units/systemd_units.h"

#include <pactown/errors.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <thread>
#include <grp.h>
#include <mutex>
#include <poll.h>
#include <pwd.h>
#include <sstream>
#include <unistd.h>

#include <gtest/gtest.h>

#include "units/cgroup_limits.h"
#include "units/unit_names.h"

namespace pactown {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The environment variable that the harness gives the sandbox's systemd, its PID 1.
constexpr std::string_view sandboxMarker = "container=pactown-sandbox";
constexpr const char* defaultTestUser = "pactown_itest";
constexpr auto runDeadline = 60s;

struct TestAccount {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
};

bool insideSandbox()
{
    std::ifstream environ("/proc/1/environ");
    for (std::string variable; std::getline(environ, variable, '\0');) {
        if (variable == sandboxMarker)
            return true;
    }
    return false;
}

// A pipe whose ends close with it.
struct Pipe {
    int readEnd = -1;
    int writeEnd = -1;
    Pipe()
    {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe2 failed");
        readEnd = fds[0];
        writeEnd = fds[1];
    }
    ~Pipe()
    {
        closeWriteEnd();
        close(readEnd);
    }
    void closeWriteEnd()
    {
        if (writeEnd >= 0)
            close(writeEnd);
        writeEnd = -1;
    }
    // Reads until end of file or the deadline.
    std::string readAll(Clock::time_point deadline) const
    {
        std::string text;
        while (Clock::now() < deadline) {
            pollfd entry{readEnd, POLLIN, 0};
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (poll(&entry, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0)
                continue;
            char buffer[4096];
            ssize_t size = read(readEnd, buffer, sizeof buffer);
            if (size <= 0)
                break;
            text.append(buffer, static_cast<size_t>(size));
        }
        return text;
    }
};

// Runs a shell command inside the sandbox and returns its standard output.
std::string commandOutput(const std::string& command)
{
    std::string text;
    FILE* stream = popen(command.c_str(), "r");
    if (!stream)
        return text;
    char buffer[4096];
    size_t size;
    while ((size = fread(buffer, 1, sizeof buffer, stream)) > 0)
        text.append(buffer, size);
    pclose(stream);
    return text;
}

template <typename Predicate>
bool waitUntil(Clock::time_point deadline, Predicate predicate)
{
    while (!predicate()) {
        if (Clock::now() >= deadline)
            return false;
        poll(nullptr, 0, 20);
    }
    return true;
}

bool processExists(pid_t pid)
{
    return kill(pid, 0) == 0 || errno != ESRCH;
}

std::vector<pid_t> processesOfUid(uid_t uid)
{
    std::vector<pid_t> pids;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::ifstream status(entry.path() / "status");
        std::string line;
        while (std::getline(status, line)) {
            if (line.starts_with("Uid:")) {
                std::istringstream fields(line.substr(4));
                uid_t real = 0;
                fields >> real;
                if (real == uid)
                    pids.push_back(std::stoi(name));
                break;
            }
        }
    }
    return pids;
}

class SystemdUnitsSandbox : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_EQ(geteuid(), 0u) << "these tests start system services and must run as root inside the sandbox";
        ASSERT_TRUE(insideSandbox())
            << "these tests must run inside tests/harness/sandbox-systemd, never on a host; see run-in-sandbox.sh";

        const char* name = getenv("PACTOWN_TEST_USER");
        account_.name = name ? name : defaultTestUser;
        passwd* entry = getpwnam(account_.name.c_str());
        ASSERT_NE(entry, nullptr) << "test account '" << account_.name
                                  << "' does not exist in the sandbox; create it with useradd first";
        account_.uid = entry->pw_uid;
        account_.gid = entry->pw_gid;

        units_ = std::make_unique<SystemdUnits>(SystemdUnits::Bus::System);
    }

    TransientService service(std::vector<std::string> argv, EffectiveLimits limits = {}) const
    {
        TransientService service;
        service.unitName = makeRunUnitName(account_.name);
        service.description = "pactown integration test run of " + account_.name;
        service.slice = tenantSliceName(account_.name);
        service.uid = account_.uid;
        service.gid = account_.gid;
        service.workingDirectory = "/";
        service.argv = std::move(argv);
        service.environment = {{"PATH", "/usr/bin:/bin"}, {"LANG", "C.UTF-8"}};
        service.limits = limits;
        return service;
    }

    static std::vector<std::string> shell(const std::string& script) { return {"/bin/sh", "-c", script}; }

    static RunResult waitFor(UnitRun& run)
    {
        auto result = run.wait(runDeadline);
        if (!result)
            throw std::runtime_error("run '" + run.info().unitName + "' did not end within 60 seconds");
        return *result;
    }

    TestAccount account_;
    std::unique_ptr<SystemdUnits> units_;
};

TEST_F(SystemdUnitsSandbox, RunsAsAccountWithoutSupplementaryGroups)
{
    Pipe output;
    TransientService request = service(shell("id -u; id -g; id -G"));
    request.stdoutFd = output.writeEnd;

    auto run = units_->start(request);
    output.closeWriteEnd();
    std::string text = output.readAll(Clock::now() + runDeadline);
    RunResult result = waitFor(*run);

    std::string gid = std::to_string(account_.gid);
    EXPECT_EQ(text, std::to_string(account_.uid) + "\n" + gid + "\n" + gid + "\n");
    EXPECT_TRUE(result.success()) << result.result;
}

TEST_F(SystemdUnitsSandbox, LimitsAppearInSystemctlAndCgroup)
{
    EffectiveLimits limits;
    limits.cpuQuotaPercent = 20;
    limits.memoryMaxBytes = 64ull << 20;
    limits.tasksMax = 32;
    auto run = units_->start(service({"/bin/sleep", "1000"}, limits));

    std::string shown = commandOutput("systemctl show -p CPUQuotaPerSecUSec -p MemoryMax -p TasksMax " +
                                      run->info().unitName);
    std::string controlGroup =
        commandOutput("systemctl show -p ControlGroup --value " + run->info().unitName);
    controlGroup.erase(controlGroup.find_last_not_of('\n') + 1);
    EffectiveLimits kernel = readCgroupLimits("/sys/fs/cgroup", controlGroup);
    units_->stop(run->info().unitName);

    EXPECT_TRUE(run->limitsVerified());
    EXPECT_NE(shown.find("CPUQuotaPerSecUSec=200ms"), std::string::npos) << shown;
    EXPECT_NE(shown.find("MemoryMax=67108864"), std::string::npos) << shown;
    EXPECT_NE(shown.find("TasksMax=32"), std::string::npos) << shown;
    EXPECT_EQ(kernel.cpuQuotaPercent, 20u);
    EXPECT_EQ(kernel.memoryMaxBytes, 64ull << 20);
    EXPECT_EQ(kernel.tasksMax, 32u);
    EXPECT_EQ(run->info().limits.memoryMaxBytes, 64ull << 20);
}

TEST_F(SystemdUnitsSandbox, MemoryHogIsKilled)
{
    // dd fills a 256 MiB buffer from /dev/zero, four times the memory max. It starts once start()
    // has returned, as a long-running service would run out of memory.
    Pipe input;
    EffectiveLimits limits;
    limits.memoryMaxBytes = 64ull << 20;
    TransientService request = service(shell("read line; exec dd if=/dev/zero of=/dev/null bs=256M count=1"), limits);
    request.stdinFd = input.readEnd;

    auto run = units_->start(request);
    ASSERT_EQ(write(input.writeEnd, "go\n", 3), 3);
    RunResult result = waitFor(*run);

    EXPECT_EQ(result.result, "oom-kill");
    EXPECT_EQ(result.exitCode, "killed");
    EXPECT_EQ(result.exitStatus, SIGKILL);
}

TEST_F(SystemdUnitsSandbox, SigkillIsNotReportedAsOomKill)
{
    EffectiveLimits limits;
    limits.memoryMaxBytes = 64ull << 20;
    auto run = units_->start(service(shell("kill -KILL $$"), limits));

    RunResult result = waitFor(*run);

    EXPECT_EQ(result.result, "signal");
    EXPECT_EQ(result.exitStatus, SIGKILL);
}

TEST_F(SystemdUnitsSandbox, ForkLoopStopsAtTasksMax)
{
    Pipe output;
    EffectiveLimits limits;
    limits.tasksMax = 8;
    TransientService request =
        service(shell("i=0; while [ $i -lt 50 ]; do sleep 1000 & i=$((i+1)); echo $i; done"), limits);
    request.stdoutFd = output.writeEnd;

    auto run = units_->start(request);
    output.closeWriteEnd();
    RunResult result = waitFor(*run);
    std::string text = output.readAll(Clock::now() + runDeadline);

    int started = 0;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        started = std::atoi(line.c_str());
    EXPECT_GE(started, 1) << "output: " << text;
    EXPECT_LT(started, 8) << "the shell itself is one of the 8 tasks";
    EXPECT_EQ(result.result, "exit-code");
    EXPECT_TRUE(processesOfUid(account_.uid).empty());
}

TEST_F(SystemdUnitsSandbox, LimitNotHeldStopsRun)
{
    // A cgroup mount root whose files show no task limit, as a kernel would that ignored it.
    TransientService request = service({"/bin/sleep", "1000"});
    request.limits.tasksMax = 8;
    std::filesystem::path fakeRoot = "/tmp/pactown-fake-cgroup";
    std::filesystem::path unitGroup = std::filesystem::path("pactown.slice") / request.slice / request.unitName;
    std::filesystem::create_directories(fakeRoot / "systemd" / unitGroup);
    std::filesystem::create_directories(fakeRoot / "pids" / unitGroup);
    std::ofstream(fakeRoot / "pids" / unitGroup / "pids.max") << "max\n";
    SystemdUnits units(SystemdUnits::Bus::System, fakeRoot);

    try {
        units.start(request);
        FAIL() << "a run whose task limit the cgroup does not hold was started";
    } catch (const LimitsNotAppliedError& error) {
        std::string message = error.what();
        EXPECT_NE(message.find("tasks max"), std::string::npos) << message;
        EXPECT_NE(message.find("8"), std::string::npos) << message;
    }
    std::filesystem::remove_all(fakeRoot);

    for (const auto& info : units.listRuns())
        EXPECT_NE(info.unitName, request.unitName);
    EXPECT_TRUE(processesOfUid(account_.uid).empty());
}

TEST_F(SystemdUnitsSandbox, PrivateNetworkHasOnlyLoopback)
{
    Pipe output;
    EffectiveLimits limits;
    limits.privateNetwork = true;
    TransientService request = service(shell("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"), limits);
    request.stdoutFd = output.writeEnd;

    auto run = units_->start(request);
    output.closeWriteEnd();
    std::string text = output.readAll(Clock::now() + runDeadline);
    RunResult result = waitFor(*run);

    EXPECT_EQ(text, "lo\n");
    EXPECT_TRUE(result.success()) << result.result;
}

TEST_F(SystemdUnitsSandbox, PrivateNetworkIsVerifiedWhileRunning)
{
    EffectiveLimits limits;
    limits.privateNetwork = true;
    auto run = units_->start(service({"/bin/sleep", "1000"}, limits));

    bool verified = run->limitsVerified();
    run->stop();

    EXPECT_TRUE(verified);
    EXPECT_TRUE(run->info().limits.privateNetwork);
}

TEST_F(SystemdUnitsSandbox, StopLeavesNoBackgroundChild)
{
    auto run = units_->start(service(shell("sleep 1000 & sleep 1000")));
    ASSERT_TRUE(waitUntil(Clock::now() + runDeadline, [&] { return processesOfUid(account_.uid).size() >= 3; }))
        << "the shell and its two sleeps did not appear";
    std::vector<pid_t> pids = processesOfUid(account_.uid);

    run->stop();
    auto result = run->wait(0ms);

    ASSERT_TRUE(result.has_value()) << "stop() returned before the run ended";
    EXPECT_EQ(result->exitCode, "killed");
    EXPECT_EQ(result->exitStatus, SIGTERM);
    for (pid_t pid : pids)
        EXPECT_FALSE(processExists(pid)) << "process " << pid << " survived the stop";
    EXPECT_TRUE(processesOfUid(account_.uid).empty());
}

TEST_F(SystemdUnitsSandbox, StopByNameEndsRun)
{
    auto run = units_->start(service({"/bin/sleep", "1000"}));

    units_->stop(run->info().unitName);

    EXPECT_TRUE(run->wait(0ms).has_value());
}

TEST_F(SystemdUnitsSandbox, MissingCommandFailsWithoutHanging)
{
    TransientService request = service({"/nonexistent/command"});

    try {
        units_->start(request);
        FAIL() << "starting a missing command succeeded";
    } catch (const SystemError& error) {
        std::string message = error.what();
        EXPECT_NE(message.find(request.unitName), std::string::npos) << message;
        EXPECT_NE(message.find("203"), std::string::npos) << message;
    }

    for (const auto& info : units_->listRuns())
        EXPECT_NE(info.unitName, request.unitName);
}

TEST_F(SystemdUnitsSandbox, ExitStatusAndSignalAreReported)
{
    auto exited = units_->start(service(shell("exit 7")));
    auto killed = units_->start(service(shell("kill -KILL $$")));

    RunResult exitResult = waitFor(*exited);
    RunResult killResult = waitFor(*killed);

    EXPECT_EQ(exitResult.result, "exit-code");
    EXPECT_EQ(exitResult.exitCode, "exited");
    EXPECT_EQ(exitResult.exitStatus, 7);
    EXPECT_EQ(killResult.result, "signal");
    EXPECT_EQ(killResult.exitCode, "killed");
    EXPECT_EQ(killResult.exitStatus, SIGKILL);
}

TEST_F(SystemdUnitsSandbox, FastCommandIsAcceptedUnverified)
{
    EffectiveLimits limits;
    limits.memoryMaxBytes = 64ull << 20;
    auto run = units_->start(service({"/bin/true"}, limits));

    RunResult result = waitFor(*run);

    EXPECT_TRUE(result.success()) << result.result;
    EXPECT_EQ(result.exitCode, "exited");
}

TEST_F(SystemdUnitsSandbox, RunFinishedCallbackFiresOncePerRun)
{
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::pair<RunInfo, RunResult>> finished;
    units_->setRunFinishedCallback([&](const RunInfo& info, const RunResult& result) {
        std::lock_guard lock(mutex);
        finished.emplace_back(info, result);
        changed.notify_all();
    });

    auto first = units_->start(service({"/bin/true"}));
    auto second = units_->start(service(shell("exit 3")));
    std::unique_lock lock(mutex);
    bool both = changed.wait_for(lock, runDeadline, [&] { return finished.size() >= 2; });
    lock.unlock();
    waitFor(*first);
    waitFor(*second);
    units_.reset();

    ASSERT_TRUE(both) << "the callback fired " << finished.size() << " times";
    EXPECT_EQ(finished.size(), 2u);
    for (const auto& [info, result] : finished) {
        if (info.unitName == first->info().unitName)
            EXPECT_TRUE(result.success());
        else
            EXPECT_EQ(result.exitStatus, 3);
    }
}

TEST_F(SystemdUnitsSandbox, PipesCarryOutputAndErrors)
{
    Pipe output;
    Pipe errors;
    Pipe input;
    TransientService request = service(shell("read line; echo out:$line; echo err:$line >&2"));
    request.stdinFd = input.readEnd;
    request.stdoutFd = output.writeEnd;
    request.stderrFd = errors.writeEnd;

    auto run = units_->start(request);
    output.closeWriteEnd();
    errors.closeWriteEnd();
    ASSERT_EQ(write(input.writeEnd, "hello\n", 6), 6);
    input.closeWriteEnd();

    EXPECT_EQ(output.readAll(Clock::now() + runDeadline), "out:hello\n");
    EXPECT_EQ(errors.readAll(Clock::now() + runDeadline), "err:hello\n");
    EXPECT_TRUE(waitFor(*run).success());
}

TEST_F(SystemdUnitsSandbox, ErrorsStayOutOfOutputPipe)
{
    Pipe output;
    TransientService request = service(shell("echo out; echo err >&2"));
    request.stdoutFd = output.writeEnd;

    auto run = units_->start(request);
    output.closeWriteEnd();

    EXPECT_EQ(output.readAll(Clock::now() + runDeadline), "out\n");
    EXPECT_TRUE(waitFor(*run).success());
}

TEST_F(SystemdUnitsSandbox, EnvironmentIsOnlyWhatWasGiven)
{
    Pipe output;
    TransientService request = service({"/usr/bin/env"});
    request.environment["PACTOWN_TEST"] = "value with spaces";
    request.stdoutFd = output.writeEnd;

    auto run = units_->start(request);
    output.closeWriteEnd();
    std::string text = output.readAll(Clock::now() + runDeadline);
    waitFor(*run);

    EXPECT_NE(text.find("PACTOWN_TEST=value with spaces\n"), std::string::npos) << text;
    EXPECT_NE(text.find("PATH=/usr/bin:/bin\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("container="), std::string::npos) << text;
}

TEST_F(SystemdUnitsSandbox, ListsRunsAndSliceUsage)
{
    EffectiveLimits limits;
    limits.tasksMax = 16;
    auto run = units_->start(service({"/bin/sleep", "1000"}, limits));

    std::vector<RunInfo> runs = units_->listRuns();
    RunUsage usage = units_->usageOfSlice(tenantSliceName(account_.name));
    units_->stop(run->info().unitName);

    auto listed = std::find_if(runs.begin(), runs.end(),
                               [&](const RunInfo& info) { return info.unitName == run->info().unitName; });
    ASSERT_NE(listed, runs.end());
    EXPECT_EQ(listed->invocationId.size(), 32u);
    EXPECT_EQ(listed->invocationId, run->info().invocationId);
    EXPECT_EQ(listed->mainPid, run->info().mainPid);
    EXPECT_EQ(listed->activeState, "active");
    EXPECT_EQ(listed->limits.tasksMax, 16u);
    EXPECT_GE(usage.activeRuns, 1u);
    EXPECT_GE(usage.tasks, 1u);
    EXPECT_GT(usage.memoryBytes, 0u);
}

TEST_F(SystemdUnitsSandbox, WaitTimesOutWhileRunning)
{
    auto run = units_->start(service({"/bin/sleep", "1000"}));

    auto result = run->wait(50ms);
    run->stop();

    EXPECT_FALSE(result.has_value());
}

TEST_F(SystemdUnitsSandbox, StopRejectsOtherUnits)
{
    EXPECT_THROW(units_->stop("dbus.service"), NoSuchRunError);
    EXPECT_THROW(units_->stop(makeRunUnitName(account_.name)), NoSuchRunError);
}

// Polls condition until it holds or 10 seconds pass.
bool waitUntil(const std::function<bool()>& condition)
{
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

// The state letter of /proc/PID/stat: 'T' for stopped, 't' traced, 'S' sleeping.
char processState(pid_t pid)
{
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto closing = content.rfind(')');
    return closing == std::string::npos || closing + 2 >= content.size() ? '?' : content[closing + 2];
}

TEST_F(SystemdUnitsSandbox, FreezeStopsAndThawResumes)
{
    auto run = units_->start(service({"/bin/sleep", "1000"}));
    pid_t pid = run->info().mainPid;

    units_->freeze(run->info().unitName);
    if (detectCgroupLayout("/sys/fs/cgroup") != CgroupLayout::Unified) {
        // On v1 a frozen run's processes are stopped by SIGSTOP; the v2 freezer shows no state letter.
        EXPECT_TRUE(waitUntil([&] { return processState(pid) == 'T'; })) << "state " << processState(pid);
    }
    units_->thaw(run->info().unitName);
    EXPECT_TRUE(waitUntil([&] { return processState(pid) == 'S'; })) << "state " << processState(pid);
    run->stop();
}

} // namespace
} // namespace pactown

#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "units/oom_watcher.h"
#include "units/systemd_client.h"
#include "units/systemd_units.h"

namespace pactown {

// The state of one run, shared by its UnitRun handle and SystemdUnits::Impl.
struct RunState {
    RunInfo info;       // set before the run is handed out, read-only afterwards
    std::string objectPath;
    bool limitsVerified = false;
    // The OomWatcher id of the run's memory group; 0 when not watched.
    unsigned oomWatch = 0;

    std::mutex mutex;
    std::condition_variable changed;
    bool ended = false;
    bool abandoned = false; // the bus connection closed before the end was seen
    RunResult result;
};

class SystemdUnits::Impl : public std::enable_shared_from_this<SystemdUnits::Impl> {
public:
    Impl(Bus bus, std::filesystem::path cgroupMountRoot);
    ~Impl();

    std::shared_ptr<UnitRun> start(const TransientService& service);
    std::vector<RunInfo> listRuns();
    void stop(const std::string& unitName);
    void stopRun(const std::shared_ptr<RunState>& run);
    RunUsage usageOfSlice(const std::string& slice);
    void callFreezerMethod(const char* method, const std::string& unitName);
    void setRunFinishedCallback(std::function<void(const RunInfo&, const RunResult&)> callback);

private:
    struct TrackedRun {
        std::shared_ptr<RunState> state;
        bool started = false; // start() returned it; before that, start() itself watches the unit
    };

    // run_tracker.cpp: the end of runs, seen on a worker thread.
    void startWorker();
    void stopWorker();
    void onUnitChanged(const std::string& objectPath);
    void enqueue(const std::string& objectPath);
    void runWorker();
    void checkRun(const std::string& objectPath);
    void finishRun(const std::shared_ptr<RunState>& run, const RunResult& result);
    void abandonRuns();
    void track(const std::shared_ptr<RunState>& run);
    void untrack(const std::string& objectPath);
    void markStarted(const std::shared_ptr<RunState>& run);
    std::shared_ptr<RunState> findStartedRun(const std::string& objectPath);

    // run_start.cpp: the steps of start().
    std::string submit(const TransientService& service);
    bool awaitStartJob(const std::string& unitName, const std::string& objectPath, const std::string& job);
    void watchOomKills(const TransientService& service, RunState& run, const std::string& controlGroup);
    void detectOomKill(RunState& run, RunResult& result);
    void readRunProperties(RunState& run, std::string& controlGroup);
    void verifyLimits(const TransientService& service, RunState& run, const std::string& controlGroup);
    bool verifyPrivateNetwork(const std::string& unitName, pid_t mainPid);
    void discardUnit(const std::string& unitName);

    // systemd_units.cpp
    std::string activeState(const std::string& objectPath);
    RunResult readRunResult(const std::string& objectPath);
    RunInfo readForeignRunInfo(const std::string& unitName, const std::string& objectPath);
    void addUsage(RunUsage& usage, const std::string& objectPath);
    void stopAndWait(const std::string& unitName);
    void unref(const std::string& unitName);

    std::filesystem::path cgroupMountRoot_;
    std::unique_ptr<SystemdClient> client_;
    std::unique_ptr<OomWatcher> oomWatcher_; // only on legacy and hybrid hosts

    std::mutex mutex_;
    std::map<std::string, TrackedRun> runs_; // by object path
    std::function<void(const RunInfo&, const RunResult&)> runFinished_;
    std::deque<std::string> queue_;          // object paths of runs to check
    std::condition_variable queueChanged_;
    bool stopping_ = false;
    std::thread worker_;
};

// Returns the handle of a started run; stopping it goes through owner while that exists.
std::shared_ptr<UnitRun> makeUnitRun(std::shared_ptr<RunState> run, std::weak_ptr<SystemdUnits::Impl> owner);

// Whether systemd's ActiveState means that the unit's processes are gone.
inline bool isInactiveState(const std::string& state)
{
    return state == "inactive" || state == "failed";
}

// Returns the bytes as lowercase hex digits, two per byte.
std::string toHexString(const std::vector<uint8_t>& bytes);

// Returns "<what>: <error name>: <message>" of a D-Bus error as SystemError.
[[noreturn]] void throwBusError(const std::string& what, const sdbus::Error& error);

} // namespace pactown

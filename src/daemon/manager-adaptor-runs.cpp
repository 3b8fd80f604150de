// The runs that this process started, kept so that WaitRun can wait for them.
#include "manager-adaptor.h"

#include <pactown/errors.h>

#include <chrono>

namespace pactown {

namespace {

using namespace std::chrono_literals;

// More concurrent WaitRun calls than this are rejected with Busy, because each holds a thread.
constexpr std::size_t kMaxWaiters = 256;
// Runs remembered for WaitRun; beyond this, finished runs are forgotten.
constexpr std::size_t kMaxRememberedRuns = 4096;
// How often a waiter checks whether pactownd is stopping.
constexpr auto kWaitSlice = 250ms;

bool hasFinished(Run& run)
{
    return run.wait(0ms).has_value();
}

} // namespace

void ManagerAdaptor::rememberRun(std::shared_ptr<Run> run)
{
    std::lock_guard lock(runsMutex_);
    if (runs_.size() >= kMaxRememberedRuns)
        std::erase_if(runs_, [](const auto& entry) { return hasFinished(*entry.second); });
    const std::string unitName = run->info().unitName;
    runs_[unitName] = std::move(run);
}

std::shared_ptr<Run> ManagerAdaptor::findRun(const std::string& unitName)
{
    std::lock_guard lock(runsMutex_);
    auto run = runs_.find(unitName);
    if (run == runs_.end())
        throw NoSuchRunError("unit '" + unitName + "' is not a run that this pactownd started");
    return run->second;
}

void ManagerAdaptor::startWaiter(std::shared_ptr<sdbus::Result<std::string, std::string, int32_t>> result,
                                 std::shared_ptr<Run> run)
{
    std::lock_guard lock(waitersMutex_);
    waiters_.remove_if([](const Waiter& waiter) { return waiter.done->load(); });
    if (waiters_.size() >= kMaxWaiters)
        throw BusyError(std::to_string(kMaxWaiters) + " WaitRun calls are pending already; retry later");

    auto done = std::make_shared<std::atomic<bool>>(false);
    std::jthread thread([result, run, done](std::stop_token stop) {
        std::optional<RunResult> outcome;
        while (!outcome && !stop.stop_requested())
            outcome = run->wait(kWaitSlice);
        try {
            if (outcome)
                result->returnResults(outcome->result, outcome->exitCode, outcome->exitStatus);
            else
                result->returnError(makeDbusError("Failed", "pactownd is stopping; the run goes on"));
        } catch (...) {
            // The caller has left the bus, so there is nobody to reply to.
        }
        done->store(true);
    });
    waiters_.push_back({std::move(thread), std::move(done)});
}

} // namespace pactown

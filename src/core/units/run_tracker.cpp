#include "units/systemd_units_impl.h"

#include <pactown/errors.h>

#include <spdlog/spdlog.h>

namespace pactown {

namespace {

class UnitRunImpl : public UnitRun {
public:
    UnitRunImpl(std::shared_ptr<RunState> run, std::weak_ptr<SystemdUnits::Impl> owner)
        : run_(std::move(run)), owner_(std::move(owner))
    {
    }

    const RunInfo& info() const override { return run_->info; }
    bool limitsVerified() const override { return run_->limitsVerified; }

    std::optional<RunResult> wait(std::optional<std::chrono::milliseconds> timeout) override
    {
        std::unique_lock lock(run_->mutex);
        auto done = [this] { return run_->ended || run_->abandoned; };
        if (!timeout)
            run_->changed.wait(lock, done);
        else if (!run_->changed.wait_for(lock, *timeout, done))
            return std::nullopt;

        if (!run_->ended)
            throw SystemError("the connection to systemd was closed before run unit '" + run_->info.unitName +
                              "' ended");
        return run_->result;
    }

    void stop() override
    {
        {
            std::lock_guard lock(run_->mutex);
            if (run_->ended)
                return;
        }
        auto owner = owner_.lock();
        if (!owner)
            throw SystemError("cannot stop run unit '" + run_->info.unitName +
                              "': its connection to systemd is closed");
        owner->stopRun(run_);
    }

private:
    std::shared_ptr<RunState> run_;
    std::weak_ptr<SystemdUnits::Impl> owner_;
};

} // namespace

std::shared_ptr<UnitRun> makeUnitRun(std::shared_ptr<RunState> run, std::weak_ptr<SystemdUnits::Impl> owner)
{
    return std::make_shared<UnitRunImpl>(std::move(run), std::move(owner));
}

void SystemdUnits::Impl::startWorker()
{
    worker_ = std::thread([this] { runWorker(); });
}

void SystemdUnits::Impl::stopWorker()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    queueChanged_.notify_all();
    if (worker_.joinable())
        worker_.join();
}

// Runs on the event loop thread for every unit of the manager, so it only queues runs we track.
void SystemdUnits::Impl::onUnitChanged(const std::string& objectPath)
{
    std::lock_guard lock(mutex_);
    auto tracked = runs_.find(objectPath);
    if (tracked == runs_.end() || !tracked->second.started)
        return;
    queue_.push_back(objectPath);
    queueChanged_.notify_all();
}

void SystemdUnits::Impl::enqueue(const std::string& objectPath)
{
    std::lock_guard lock(mutex_);
    queue_.push_back(objectPath);
    queueChanged_.notify_all();
}

// The worker makes the D-Bus calls that a signal calls for, because a call made on the event
// loop thread would hold up every other signal until its reply.
void SystemdUnits::Impl::runWorker()
{
    while (true) {
        std::string objectPath;
        {
            std::unique_lock lock(mutex_);
            queueChanged_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_)
                return;
            objectPath = std::move(queue_.front());
            queue_.pop_front();
        }

        try {
            checkRun(objectPath);
        } catch (const std::exception& error) {
            spdlog::debug("cannot read the state of unit object '{}', ignoring: {}", objectPath, error.what());
        }
    }
}

void SystemdUnits::Impl::checkRun(const std::string& objectPath)
{
    auto run = findStartedRun(objectPath);
    if (!run)
        return;

    try {
        if (!isInactiveState(activeState(objectPath)))
            return;
        RunResult result = readRunResult(objectPath);
        detectOomKill(*run, result);
        finishRun(run, result);
    } catch (const sdbus::Error& error) {
        throwBusError("cannot read the result of run unit '" + run->info.unitName + "'", error);
    }
}

void SystemdUnits::Impl::finishRun(const std::shared_ptr<RunState>& run, const RunResult& result)
{
    std::function<void(const RunInfo&, const RunResult&)> callback;
    {
        std::lock_guard lock(mutex_);
        // A second signal of the same end may have queued the run twice.
        if (runs_.erase(run->objectPath) == 0)
            return;
        callback = runFinished_;
    }

    // The reference taken by AddRef kept the unit loaded until now, so that its result could be read.
    unref(run->info.unitName);
    spdlog::debug("run unit '{}' ended with result '{}', {} {}", run->info.unitName, result.result,
                  result.exitCode, result.exitStatus);
    {
        std::lock_guard lock(run->mutex);
        run->result = result;
        run->ended = true;
    }
    run->changed.notify_all();

    if (!callback)
        return;
    try {
        callback(run->info, result);
    } catch (const std::exception& error) {
        spdlog::debug("the run-finished callback of unit '{}' failed, ignoring: {}", run->info.unitName,
                      error.what());
    }
}

void SystemdUnits::Impl::abandonRuns()
{
    std::map<std::string, TrackedRun> runs;
    {
        std::lock_guard lock(mutex_);
        runs.swap(runs_);
    }
    for (auto& [objectPath, tracked] : runs) {
        {
            std::lock_guard lock(tracked.state->mutex);
            tracked.state->abandoned = true;
        }
        tracked.state->changed.notify_all();
    }
}

void SystemdUnits::Impl::track(const std::shared_ptr<RunState>& run)
{
    std::lock_guard lock(mutex_);
    runs_[run->objectPath] = TrackedRun{run, false};
}

void SystemdUnits::Impl::untrack(const std::string& objectPath)
{
    std::lock_guard lock(mutex_);
    runs_.erase(objectPath);
}

void SystemdUnits::Impl::markStarted(const std::shared_ptr<RunState>& run)
{
    {
        std::lock_guard lock(mutex_);
        runs_.at(run->objectPath).started = true;
    }
    // The run may have ended before it counted as started, when its signals were ignored.
    enqueue(run->objectPath);
}

std::shared_ptr<RunState> SystemdUnits::Impl::findStartedRun(const std::string& objectPath)
{
    std::lock_guard lock(mutex_);
    auto tracked = runs_.find(objectPath);
    if (tracked == runs_.end() || !tracked->second.started)
        return nullptr;
    return tracked->second.state;
}

void SystemdUnits::Impl::stopRun(const std::shared_ptr<RunState>& run)
{
    {
        std::lock_guard lock(run->mutex);
        if (run->ended || run->abandoned)
            return;
    }
    stopAndWait(run->info.unitName);

    // The stop job is done once the unit is inactive, so the worker finds it ended. A check
    // that failed, for example on a bus timeout, is queued again.
    std::unique_lock lock(run->mutex);
    while (!run->ended && !run->abandoned) {
        lock.unlock();
        enqueue(run->objectPath);
        lock.lock();
        run->changed.wait_for(lock, std::chrono::seconds(5), [&] { return run->ended || run->abandoned; });
    }
}

void SystemdUnits::Impl::setRunFinishedCallback(std::function<void(const RunInfo&, const RunResult&)> callback)
{
    std::lock_guard lock(mutex_);
    runFinished_ = std::move(callback);
}

} // namespace pactown

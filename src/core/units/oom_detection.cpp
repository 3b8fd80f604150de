#include "units/systemd_units_impl.h"

#include <csignal>

#include <spdlog/spdlog.h>

namespace pactown {

// On a unified host systemd itself reports "oom-kill", from the unit's memory.events, so only
// legacy and hybrid hosts have an OomWatcher.
// NOTE: a run that runs out of memory before this watch begins, within milliseconds of its
// start, and whose group systemd has already removed, still ends as "signal" with SIGKILL.
void SystemdUnits::Impl::watchOomKills(const TransientService& service, RunState& run,
                                       const std::string& controlGroup)
{
    if (!oomWatcher_ || !service.limits.memoryMaxBytes || controlGroup.empty())
        return;
    run.oomWatch = oomWatcher_->watch(cgroupMountRoot_ / "memory" / std::filesystem::path(controlGroup).relative_path());
}

void SystemdUnits::Impl::detectOomKill(RunState& run, RunResult& result)
{
    if (!run.oomWatch)
        return;
    bool oomSeen = oomWatcher_->finish(run.oomWatch);
    run.oomWatch = 0;
    if (oomSeen && result.result == "signal" && result.exitStatus == SIGKILL) {
        spdlog::debug("run unit '{}' was ended by the kernel's OOM killer", run.info.unitName);
        result.result = "oom-kill";
    }
}

} // namespace pactown

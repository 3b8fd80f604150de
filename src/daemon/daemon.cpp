#include "daemon.h"

#include <pactown/user_isolation_manager.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <memory>
#include <thread>

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include "manager-adaptor.h"
#include "worker-pool.h"

namespace pactown {

namespace {

constexpr const char* kBusName = "com.pactown.Isolation1";
// Threads for the library calls. Each export, import, stats or delete call holds one for its
// length, and a delete waits seconds for stubborn processes. With too few threads, quick calls
// such as RunAsUser queued behind a burst of deletes past the callers' 25-second D-Bus timeout.
// WaitRun has threads of its own.
constexpr unsigned kWorkerThreads = 16;

sigset_t terminationSignals()
{
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    return signals;
}

// Waits for SIGTERM or SIGINT, which every thread blocks, and then ends the bus loop.
std::jthread startSignalWatcher(sdbus::IConnection& connection)
{
    return std::jthread([&connection](std::stop_token stop) {
        const sigset_t signals = terminationSignals();
        const timespec slice{.tv_sec = 0, .tv_nsec = 200'000'000};
        while (!stop.stop_requested()) {
            const int signal = sigtimedwait(&signals, nullptr, &slice);
            if (signal > 0) {
                spdlog::info("received {}, stopping", strsignal(signal));
                connection.leaveEventLoop();
                return;
            }
        }
    });
}

// Completes what killed processes left half done and reports the rest, before serving calls.
void reconcileAtStart(UserIsolationManager& manager)
{
    for (const auto& finding : manager.doctor(true).findings) {
        auto level = finding.outcome == DoctorFinding::Outcome::Repaired ? spdlog::level::info : spdlog::level::warn;
        spdlog::log(level, "doctor: {} '{}': {}: {}", finding.check, finding.subject, toString(finding.outcome),
                    finding.detail);
    }
}

} // namespace

int serveBus(Config config, BusKind bus)
{
    // Blocked before any thread starts, so that every thread inherits the mask and only the
    // watcher receives the signals.
    const sigset_t signals = terminationSignals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    UserIsolationManager manager(std::move(config));
    reconcileAtStart(manager);
    auto connection = bus == BusKind::System ? sdbus::createSystemBusConnection()
                                             : sdbus::createSessionBusConnection();
    auto pool = std::make_unique<WorkerPool>(kWorkerThreads);
    auto adaptor = std::make_unique<ManagerAdaptor>(*connection, manager, *pool);
    adaptor->publishUsers();
    connection->requestName(kBusName);
    auto watcher = startSignalWatcher(*connection);

    sd_notify(0, "READY=1\nSTATUS=Serving com.pactown.Isolation1");
    spdlog::info("serving {} on the {} bus", kBusName, bus == BusKind::System ? "system" : "session");
    connection->enterEventLoop();
    sd_notify(0, "STOPPING=1");

    // Queued calls finish and send their replies while the adaptor and the connection exist.
    watcher.request_stop();
    pool.reset();
    adaptor.reset();
    return 0;
}

} // namespace pactown

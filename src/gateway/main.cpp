// pactown-gateway: the HTTP front of pactownd. It runs unprivileged and turns each REST
// request into a D-Bus call, so that the root daemon never parses HTTP.

#include "bearer_token.h"
#include "dbus_backend.h"
#include "http_server.h"
#include "options.h"
#include "router.h"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <pthread.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <thread>

using namespace pactown::gateway;

namespace {

void setupLogging(spdlog::level::level_enum level)
{
    auto logger = spdlog::stderr_logger_mt("pactown-gateway");
    // Under systemd the journal stamps each line with the time and the program name.
    if (std::getenv("INVOCATION_ID") != nullptr)
        logger->set_pattern("%l: %v");
    logger->set_level(level);
    spdlog::set_default_logger(logger);
}

// Blocks SIGTERM and SIGINT in every thread and stops `server` when one arrives.
std::jthread startSignalWatcher(HttpServer& server, sigset_t signals)
{
    return std::jthread([&server, signals] {
        int received = 0;
        sigwait(&signals, &received);
        spdlog::info("received signal {}, stopping", received);
        sd_notify(0, "STOPPING=1");
        server.stop();
    });
}

int serve(const GatewayOptions& options)
{
    const ListenAddress address = parseListenAddress(options.listen);
    BearerToken token = BearerToken::loadFromFile(options.tokenFile);
    DbusIsolationBackend backend(options.userBus ? DbusIsolationBackend::Bus::Session : DbusIsolationBackend::Bus::System,
                                 options.callTimeout);
    Router router(backend, std::move(token));

    ServerLimits limits;
    limits.workers = options.workers;
    HttpServer server(address, router, limits);

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::jthread watcher = startSignalWatcher(server, signals);

    spdlog::info("listening on {} (port {}), calling pactownd on the {} bus", options.listen, server.port(),
                 options.userBus ? "session" : "system");
    sd_notify(0, "READY=1");
    try {
        server.run();
    } catch (...) {
        // The watcher waits for a signal; give it one so that it can be joined.
        pthread_kill(watcher.native_handle(), SIGTERM);
        throw;
    }
    return EXIT_SUCCESS;
}

} // namespace

int main(int argc, char** argv)
{
    std::optional<GatewayOptions> options;
    try {
        options = parseOptions(argc, argv);
    } catch (const std::invalid_argument& error) {
        std::cerr << "pactown-gateway: " << error.what() << "\n";
        return 2;
    }
    if (!options)
        return EXIT_SUCCESS;

    setupLogging(options->logLevel);
    try {
        return serve(*options);
    } catch (const std::exception& error) {
        spdlog::critical("cannot start: {}", error.what());
        return EXIT_FAILURE;
    }
}

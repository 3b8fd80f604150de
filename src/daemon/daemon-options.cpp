#include "daemon-options.h"

#include <cstdlib>
#include <getopt.h>
#include <stdexcept>
#include <unistd.h>

#include "logging.h"

namespace pactown {

std::string daemonUsage()
{
    return "Usage: pactownd [OPTION]...\n"
           "Serve com.pactown.Isolation1, the tenant isolation manager, on D-Bus.\n"
           "\n"
           "  --config PATH      configuration file; PATH.d/*.conf are read after it\n"
           "                     (default /etc/pactown/isolation.conf)\n"
           "  --log-level LEVEL  trace, debug, info, warning, error, critical or off\n"
           "                     (default $PACTOWN_LOG_LEVEL, else info)\n"
           "  --system           serve on the system bus (default for root)\n"
           "  --session          serve on the session bus (default for other users)\n"
           "  --help             show this help\n";
}

DaemonOptions parseDaemonOptions(int argc, char** argv)
{
    enum : int { Config = 1, LogLevel, System, Session, Help };
    static const option longOptions[] = {
        {"config", required_argument, nullptr, Config},
        {"log-level", required_argument, nullptr, LogLevel},
        {"system", no_argument, nullptr, System},
        {"session", no_argument, nullptr, Session},
        {"help", no_argument, nullptr, Help},
        {nullptr, 0, nullptr, 0},
    };

    DaemonOptions options;
    options.bus = geteuid() == 0 ? BusKind::System : BusKind::Session;
    if (const char* level = std::getenv("PACTOWN_LOG_LEVEL"); level && *level)
        options.logLevel = parseLogLevel(level);

    opterr = 0;
    optind = 1;
    int option = 0;
    while ((option = getopt_long(argc, argv, "", longOptions, nullptr)) != -1) {
        switch (option) {
        case Config: options.configPath = optarg; break;
        case LogLevel: options.logLevel = parseLogLevel(optarg); break;
        case System: options.bus = BusKind::System; break;
        case Session: options.bus = BusKind::Session; break;
        case Help: options.showHelp = true; break;
        default:
            throw std::invalid_argument("option '" + std::string(argv[optind - 1]) +
                                        "' is unknown or lacks its value");
        }
    }
    if (optind < argc)
        throw std::invalid_argument("unexpected argument '" + std::string(argv[optind]) + "'");
    return options;
}

} // namespace pactown

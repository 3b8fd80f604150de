#include <pactown/config.h>
#include <pactown/errors.h>

#include <iostream>

#include "daemon-options.h"
#include "daemon.h"
#include "logging.h"

int main(int argc, char** argv)
{
    using namespace pactown;

    DaemonOptions options;
    try {
        options = parseDaemonOptions(argc, argv);
    } catch (const std::invalid_argument& e) {
        std::cerr << "pactownd: " << e.what() << "\n" << daemonUsage();
        return 2;
    }
    if (options.showHelp) {
        std::cout << daemonUsage();
        return 0;
    }

    setupLogging(options.logLevel);
    try {
        Config config = loadConfig(options.configPath, defaultConfigForCaller());
        return serveBus(std::move(config), options.bus);
    } catch (const std::exception& e) {
        // Standard error reaches the journal too when systemd started pactownd.
        std::cerr << "pactownd: " << e.what() << "\n";
        return 1;
    }
}

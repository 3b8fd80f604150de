#include <iostream>
#include <system_error>

#include <sdbus-c++/Error.h>

#include "cli-options.h"
#include "commands.h"

int main(int argc, char** argv)
{
    using namespace pactown;

    CommandLine line;
    try {
        line = parseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const UsageError& e) {
        std::cerr << "pactownctl: " << e.what() << "\nTry 'pactownctl --help'.\n";
        return 2;
    }
    if (line.help) {
        std::cout << usageText();
        return 0;
    }

    try {
        return runCommand(line);
    } catch (const sdbus::Error& e) {
        // The bus itself rejects callers that its policy does not admit, with a message about
        // matched rules, so print what the caller can do instead.
        if (e.getName() == "org.freedesktop.DBus.Error.AccessDenied")
            std::cerr << "pactownctl: permission denied: pactownd accepts these calls from root only ("
                      << e.getName() << ")\n";
        else
            std::cerr << "pactownctl: " << e.getMessage() << " (" << e.getName() << ")\n";
    } catch (const std::exception& e) {
        std::cerr << "pactownctl: " << e.what() << "\n";
    }
    return 1;
}

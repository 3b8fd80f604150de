#pragma once

#include "cli-options.h"

namespace pactown {

// Runs the parsed command against pactownd and returns pactownctl's exit status.
// Throws sdbus::Error for an error from pactownd or the bus, and std::system_error when a
// local file cannot be opened.
int runCommand(const CommandLine& line);

} // namespace pactown

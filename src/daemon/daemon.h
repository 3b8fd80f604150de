#pragma once

#include <pactown/config.h>

namespace pactown {

enum class BusKind {
    System,
    Session,
};

// Serves com.pactown.Isolation1 on the bus until SIGTERM or SIGINT: creates the manager,
// publishes the objects, requests the name, tells systemd it is ready and runs the bus loop.
// Returns the exit status. Throws what the manager's constructor and the bus throw at start.
int serveBus(Config config, BusKind bus);

} // namespace pactown

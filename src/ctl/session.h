#pragma once

#include <memory>

#include <sdbus-c++/sdbus-c++.h>

#include "cli-options.h"
#include "manager-client.h"

namespace pactown {

// The bus connection and the manager's proxy of one pactownctl invocation.
struct Session {
    std::unique_ptr<sdbus::IConnection> connection;
    std::unique_ptr<ManagerClient> manager;
};

// The commands that need more than a call or two; each returns the exit status.
int startRun(Session& session, const CommandLine& line);
int transferData(Session& session, const CommandLine& line);

} // namespace pactown

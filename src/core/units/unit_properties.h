#pragma once

#include <string>
#include <vector>

#include "units/systemd_client.h"
#include "units/systemd_units.h"

namespace pactown {

// Returns the properties of StartTransientUnit for the service: a Type=exec service with
// KillMode=control-group, CollectMode=inactive-or-failed and AddRef, so that systemd keeps the
// unit until its result was read. managerEnvironment is the service manager's own environment,
// whose variables are unset unless the service sets them. Throws InvalidArgumentError for an
// empty argv, a relative argv[0], or an environment name that is empty or contains '='.
UnitProperties makeTransientProperties(const TransientService& service,
                                       const std::vector<std::string>& managerEnvironment);

} // namespace pactown

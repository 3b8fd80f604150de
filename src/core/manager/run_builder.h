#pragma once

#include <pactown/config.h>
#include <pactown/isolated_user.h>
#include <pactown/run.h>

#include "units/systemd_units.h"
#include "units/unit_names.h"

namespace pactown {

// Turns a caller's run request into the transient service of one tenant. Throws
// InvalidArgumentError for an empty command, a bad environment variable, a working directory
// outside the tenant's home or a limit out of range. Nothing is started then.
TransientService buildTransientService(const Config& config, const IsolatedUser& user, const RunRequest& request);

// Applies the configured defaults to the limits a caller set.
EffectiveLimits resolveLimits(const EffectiveLimits& defaults, const RunLimits& requested);

} // namespace pactown

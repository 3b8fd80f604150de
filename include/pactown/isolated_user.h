#pragma once

#include <filesystem>
#include <string>
#include <sys/types.h>

#include <nlohmann/json_fwd.hpp>

namespace pactown {

enum class AccountMode {
    System,  // a real Linux account in the account files (root mode)
    Virtual, // a registry entry only; files belong to the calling user (non-root mode)
};

// A tenant: the Linux identity that one SaaS user id is mapped to.
struct IsolatedUser {
    std::string saasUserId;
    std::string linuxUsername;
    uid_t linuxUid = 0;
    gid_t linuxGid = 0;
    std::filesystem::path homeDir;
    double createdAt = 0; // seconds since the Unix epoch
    AccountMode mode = AccountMode::System;

    // The reference's to_dict() shape plus "mode" ("system" or "virtual").
    nlohmann::json toJson() const;

    bool operator==(const IsolatedUser&) const = default;
};

const char* toString(AccountMode mode);

} // namespace pactown

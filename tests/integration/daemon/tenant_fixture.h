#pragma once

#include "../support/command.h"
#include "bus_client.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace pactown::testing {

// A client of pactownd on the system bus that deletes, with their homes, the tenants the test
// created.
class DaemonTenantTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        requireSandbox();
        connection_ = openSystemBus();
        manager_ = std::make_unique<RecordingManager>(*connection_);
    }

    void TearDown() override
    {
        for (const auto& id : created_)
            manager_->DeleteUser(id, true);
    }

    sdbus::ObjectPath createTenant(const std::string& saasUserId)
    {
        created_.push_back(saasUserId);
        return manager_->GetOrCreateUser(saasUserId);
    }

    std::unique_ptr<sdbus::IConnection> connection_;
    std::unique_ptr<RecordingManager> manager_;
    std::vector<std::string> created_;
};

} // namespace pactown::testing

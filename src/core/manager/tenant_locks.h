#pragma once

#include <filesystem>
#include <string_view>

namespace pactown {

// Locks that order the multi-step operations on tenants between the threads and processes
// that share one state directory. They are open file description locks (F_OFD_SETLK) on
// bytes of <stateDirectory>/tenants.lock, so the kernel drops them when their holder dies and
// the next holder finds the half-done work of a killed process:
// - byte 0, the creation lock: held from the reservation of a batch of tenants until their
//   rows are active, and by a repair of 'creating' rows. A 'creating' row that is seen while
//   holding it was left by a process that died.
// - one byte per tenant, chosen by a hash of the saas user id: held by a deletion from the
//   moment its row is 'deleting' until the row is gone. Two ids may share a byte, which only
//   makes their deletions wait for each other.
class TenantLock {
public:
    enum class Kind {
        Creation,
        Deletion,
    };

    // Waits for the lock. `saasUserId` is ignored for the creation lock.
    // Throws SystemError naming the lock file when it cannot be opened or locked.
    TenantLock(const std::filesystem::path& stateDirectory, Kind kind, std::string_view saasUserId = {});
    // Returns a held lock, or an unlocked one when another holder has it.
    static TenantLock tryLock(const std::filesystem::path& stateDirectory, Kind kind,
                              std::string_view saasUserId = {});
    ~TenantLock();
    TenantLock(TenantLock&& other) noexcept;
    TenantLock& operator=(TenantLock&&) = delete;
    TenantLock(const TenantLock&) = delete;
    TenantLock& operator=(const TenantLock&) = delete;

    bool held() const { return fd_ >= 0; }

private:
    TenantLock() = default;
    bool acquire(const std::filesystem::path& stateDirectory, Kind kind, std::string_view saasUserId, bool wait);

    int fd_ = -1;
};

} // namespace pactown

#pragma once

#include <string>

#include "data/unique_fd.h"

namespace pactown {

// A new directory <parent>/<prefix><random>, mode 0700, removed again on destruction unless
// it was released.
class StagingDirectory {
public:
    // Throws SystemError when the directory cannot be created.
    StagingDirectory(int parentFd, const std::string& prefix);
    ~StagingDirectory();
    StagingDirectory(const StagingDirectory&) = delete;
    StagingDirectory& operator=(const StagingDirectory&) = delete;

    int fd() const { return fd_.get(); }
    const std::string& name() const { return name_; }
    // After a successful rename the directory is no longer ours to remove.
    void release() { released_ = true; }

private:
    int parentFd_;
    std::string name_;
    UniqueFd fd_;
    bool released_ = false;
};

// A name of `prefix` followed by 16 random hex digits.
std::string randomName(const std::string& prefix);

} // namespace pactown

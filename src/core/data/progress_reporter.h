#pragma once

#include <algorithm>
#include <cstdint>

#include <pactown/progress.h>

namespace pactown {

// Calls a ProgressCallback at most once per `step` bytes and once at the end, so that a caller
// that forwards each report over D-Bus is not flooded.
class ProgressReporter {
public:
    static constexpr uint64_t step = 4 * 1024 * 1024;

    ProgressReporter(const ProgressCallback& callback, uint64_t total) : callback_(callback), total_(total) {}

    void add(uint64_t bytes) { update(done_ + bytes); }

    void update(uint64_t done)
    {
        done_ = done;
        if (callback_ && done_ - reported_ >= step) {
            reported_ = done_;
            report();
        }
    }

    void finish()
    {
        if (callback_)
            report();
    }

private:
    // A file that grew since it was measured must not report more than 100 percent.
    void report() { callback_(done_, total_ == 0 ? 0 : std::max(done_, total_)); }

    const ProgressCallback& callback_;
    uint64_t total_;
    uint64_t done_ = 0;
    uint64_t reported_ = 0;
};

} // namespace pactown

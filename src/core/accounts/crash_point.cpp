#include "accounts/crash_point.h"

#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <unistd.h>

namespace pactown {

namespace {

struct ArmedPoint {
    std::string point;
    unsigned occurrence = 0;
    unsigned reached = 0;
};

std::mutex armedMutex;
ArmedPoint armed;
std::atomic<bool> isArmed{false};
std::once_flag environmentRead;

void readEnvironment()
{
    const char* value = std::getenv("PACTOWN_TEST_CRASH_AT");
    if (!value)
        return;
    std::string_view text(value);
    auto colon = text.rfind(':');
    unsigned occurrence = 1;
    if (colon != std::string_view::npos) {
        auto digits = text.substr(colon + 1);
        std::from_chars(digits.data(), digits.data() + digits.size(), occurrence);
        text = text.substr(0, colon);
    }
    std::lock_guard lock(armedMutex);
    armed = {std::string(text), occurrence, 0};
    isArmed = occurrence > 0;
}

} // namespace

void crashPoint(std::string_view point)
{
    std::call_once(environmentRead, readEnvironment);
    if (!isArmed.load(std::memory_order_relaxed))
        return;

    std::lock_guard lock(armedMutex);
    if (armed.point != point || ++armed.reached != armed.occurrence)
        return;
    ::raise(SIGKILL);
    ::_exit(137);
}

void armCrashPoint(std::string point, unsigned occurrence)
{
    std::call_once(environmentRead, [] {});
    std::lock_guard lock(armedMutex);
    armed = {std::move(point), occurrence, 0};
    isArmed = occurrence > 0;
}

} // namespace pactown

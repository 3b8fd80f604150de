#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pactown {

// A fixed set of threads that run the blocking calls into the library, so that the bus loop
// keeps serving other callers meanwhile. Jobs run in submission order, several at a time.
class WorkerPool {
public:
    explicit WorkerPool(unsigned threads);
    // Runs the jobs already queued, then joins the threads.
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Queues `job`. A job must not throw: the adaptor catches every exception and sends it as the error reply.
    void submit(std::function<void()> job);

private:
    void work();

    std::mutex mutex_;
    std::condition_variable wakeUp_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

} // namespace pactown

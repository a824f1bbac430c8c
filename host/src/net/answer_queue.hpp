// Answers coming back from worker threads to the I/O threads, in batches: a worker appends to a
// vector under a short lock and posts to the io_context only when the batch was empty. One
// post per batch instead of one strand post (two mutexes the I/O thread also takes, an
// operation allocated on one thread and freed on the other) per answer.
#pragma once

#include "http/message.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace berth::host::net {

class session;

class answer_queue {
public:
    explicit answer_queue(boost::asio::io_context& ioc) : ioc_(ioc) {}

    // Any thread: the answer to `session`'s request number `seq`, delivered on its strand.
    void push(std::shared_ptr<session> s, std::uint64_t seq, http::response r);
    // At shutdown, before the io_context goes: drops what was never delivered (the sessions it
    // holds, whose sockets need the io_context to close).
    void clear();

private:
    struct item {
        std::shared_ptr<session> s;
        std::uint64_t seq;
        http::response r;
    };
    void drain();  // I/O thread

    boost::asio::io_context& ioc_;
    std::mutex mutex_;  // guards what follows
    std::vector<item> items_;
    std::vector<item> spare_;  // the drained batch's storage, reused
    bool posted_ = false;      // a drain is queued on the io_context
};

}  // namespace berth::host::net

// core/result.h — errors as data (the cpp-httplib way): a value or a readable message, never an
// exception across layers.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace headstart {

struct Error {
    std::string message;  // readable, for the user: what failed and what to do
};

// E is Error, or a richer error that has a `message` too (cloud/completion_request.h's RequestError).
template <typename T, typename E = Error>
class Result {
public:
    Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
    Result(E error) : v_(std::move(error)) {}  // NOLINT
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    const std::string& error() const { return std::get<1>(v_).message; }
    const E& failure() const { return std::get<1>(v_); }

private:
    std::variant<T, E> v_;
};

// For operations with nothing to return.
struct Ok {};
using Status = Result<Ok>;

}  // namespace headstart

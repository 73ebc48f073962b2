// inr::Status and inr::Result<T>: the error model of the public API.
// No exceptions cross the API; every failure is a Status with one human-readable line of context,
// e.g. "node conv1 (Conv): weight rank 3, expected 4".
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace inr {

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  static Status ok() { return Status(); }
  static Status error(std::string message) {
    Status s;
    s.message_ = std::move(message);
    s.failed_ = true;
    return s;
  }
  bool is_ok() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const std::string& message() const { return message_; }
  // Prefixes context: Status::error("x").with_context("node a") -> "node a: x".
  Status with_context(const std::string& context) const {
    if (!failed_) return *this;
    return error(context + ": " + message_);
  }

 private:
  std::string message_;
  bool failed_ = false;
};

template <typename... Args>
Status error(fmt::format_string<Args...> f, Args&&... args) {
  return Status::error(fmt::format(f, std::forward<Args>(args)...));
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}     // NOLINT(google-explicit-constructor)
  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  Status status() const { return is_ok() ? Status::ok() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace inr

#define INR_CONCAT_INNER_(a, b) a##b
#define INR_CONCAT_(a, b) INR_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function when `expr` failed.
#define INR_TRY(expr)                                   \
  do {                                                  \
    ::inr::Status inr_try_status_ = (expr);             \
    if (!inr_try_status_.is_ok()) return inr_try_status_; \
  } while (0)

// `INR_ASSIGN_OR_RETURN(auto x, make_x());`
#define INR_ASSIGN_OR_RETURN(lhs, expr)                                 \
  auto INR_CONCAT_(inr_result_, __LINE__) = (expr);                     \
  if (!INR_CONCAT_(inr_result_, __LINE__).is_ok())                      \
    return INR_CONCAT_(inr_result_, __LINE__).status();                 \
  lhs = std::move(INR_CONCAT_(inr_result_, __LINE__)).value()

#pragma once
// Sizes read from files, in one place: overflow-checked arithmetic, and the memory guard
// that every reader runs before it allocates what a header asks for, so that an absurd
// header is one error line naming the file instead of an out-of-memory kill.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace voxconv {

// a * b for a, b >= 0; nullopt when the product overflows int64 (or an operand is negative).
std::optional<int64_t> checked_mul(int64_t a, int64_t b);
// a + b for a, b >= 0; nullopt on overflow (or a negative operand).
std::optional<int64_t> checked_add(int64_t a, int64_t b);
// Product of sizes (1 for none); nullopt on a negative size or overflow.
std::optional<int64_t> checked_product(const std::vector<int64_t>& sizes);

// Bytes this process can still allocate: the least of the kernel's MemAvailable, the
// cgroup memory limit minus the cgroup's usage, and RLIMIT_AS minus the address space in
// use; physical memory when none of them can be read.
uint64_t available_memory_bytes();

// Throws ErrorKind::resource "<what>: needs 74.5 GiB (<for_what>), more than the 21.3 GiB of
// memory available" when `bytes` exceed available_memory_bytes(). Requests below 64 MiB
// pass without looking (cheap enough to call for every allocation).
void check_memory(uint64_t bytes, const std::string& what, const std::string& for_what);

// "74.5 GiB", "310 MiB", "12 KiB", "100 bytes".
std::string human_bytes(uint64_t bytes);

}  // namespace voxconv

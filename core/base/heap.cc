#include "core/base/heap.h"

#include <jemalloc/jemalloc.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>

namespace mlb {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
// Address space, reserved PROT_NONE: neither resident nor charged (to the
// commit limit of vm.overcommit_memory=2, to RLIMIT_DATA) until a part is
// handed out and made writable. 5,000 apps take some 60 MB at the peak;
// past the end, extents come from jemalloc's default hook again.
constexpr size_t kReserve = size_t{4} << 30;

std::mutex range_mutex;
char* range_begin = nullptr;
char* range_next = nullptr;
char* range_writable = nullptr;  // [range_begin, range_writable) is read-write
char* range_end = nullptr;

extent_hooks_t* default_hooks = nullptr;
extent_hooks_t hooks;

char* AlignUp(char* p, size_t alignment) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<char*>((a + alignment - 1) & ~(alignment - 1));
}

// The next `size` bytes of the range (at `alignment`), made writable, or
// null when the range has no room left or the kernel refuses them (the
// commit limit, RLIMIT_DATA). The range is madvised as huge pages as a
// whole; the parts handed out one after another merge into one mapping.
char* TakeFromRange(size_t size, size_t alignment) {
  std::lock_guard<std::mutex> lock(range_mutex);
  if (range_next == nullptr) return nullptr;
  char* p = AlignUp(range_next, alignment);
  if (p > range_end || size > static_cast<size_t>(range_end - p)) {
    return nullptr;
  }
  // Made writable up to a huge-page boundary: the kernel gives a 2 MB page
  // only where the whole 2 MB is in the mapping, and a tail left short
  // would be faulted in 4 KB pages before the next part joins it.
  if (p + size > range_writable) {
    char* end = AlignUp(p + size, kHugePage);
    if (mprotect(range_writable, static_cast<size_t>(end - range_writable),
                 PROT_READ | PROT_WRITE) != 0) {
      return nullptr;
    }
    range_writable = end;
  }
  range_next = p + size;
  return p;
}

void* Alloc(extent_hooks_t* /*self*/, void* new_addr, size_t size,
            size_t alignment, bool* zero, bool* commit, unsigned arena_ind) {
  // jemalloc asks for a given address only to grow an extent in place; that
  // and alignments past a huge page are left to its own hook.
  if (new_addr == nullptr && alignment <= kHugePage) {
    if (char* p = TakeFromRange(size, alignment)) {
      *zero = true;  // fresh anonymous memory, never handed out before
      *commit = true;
      return p;
    }
  }
  return default_hooks->alloc(default_hooks, new_addr, size, alignment, zero,
                              commit, arena_ind);
}

// Why the heap should stay jemalloc's own, or "".
std::string Refusal() {
  const char* thp = nullptr;
  size_t length = sizeof(thp);
  if (mallctl("opt.thp", &thp, &length, nullptr, 0) == 0 && thp != nullptr &&
      std::strcmp(thp, "never") == 0) {
    return "MALLOC_CONF has thp:never";
  }
  // The reservation counts against an address-space limit, and would leave
  // the rest of the process too little (threads' stacks, children).
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    return "an address-space limit is set (ulimit -v, LimitAS=)";
  }
  return "";
}

}  // namespace

std::string UseHugePageHeap() {
  if (default_hooks != nullptr) return "";  // installed already
  if (std::string why = Refusal(); !why.empty()) return why;
  extent_hooks_t* current = nullptr;
  size_t length = sizeof(current);
  if (mallctl("arena.0.extent_hooks", &current, &length, nullptr, 0) != 0 ||
      current == nullptr) {
    return "jemalloc's arena 0 has no extent hooks to extend";
  }
  void* raw = mmap(nullptr, kReserve + kHugePage, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) {
    return std::string("cannot reserve the heap's address range: ") +
           std::strerror(errno);
  }
  char* begin = AlignUp(static_cast<char*>(raw), kHugePage);
  if (madvise(begin, kReserve, MADV_HUGEPAGE) != 0) {
    const int error = errno;
    munmap(raw, kReserve + kHugePage);
    return std::string("no transparent huge pages: ") + std::strerror(error);
  }
  {
    std::lock_guard<std::mutex> lock(range_mutex);
    range_begin = begin;
    range_next = begin;
    range_writable = begin;
    range_end = begin + kReserve;
  }
  default_hooks = current;
  hooks = *current;
  hooks.alloc = Alloc;
  extent_hooks_t* mine = &hooks;
  if (mallctl("arena.0.extent_hooks", nullptr, nullptr, &mine,
              sizeof(mine)) != 0) {
    {
      std::lock_guard<std::mutex> lock(range_mutex);
      range_begin = range_next = range_writable = range_end = nullptr;
    }
    default_hooks = nullptr;
    munmap(raw, kReserve + kHugePage);
    return "jemalloc refused the extent hooks";
  }
  return "";
}

HugePageHeapRange HugePageHeap() {
  std::lock_guard<std::mutex> lock(range_mutex);
  HugePageHeapRange range;
  range.begin = range_begin;
  range.end = range_end;
  range.used = static_cast<size_t>(range_next - range_begin);
  return range;
}

}  // namespace mlb

// The controller's heap in transparent huge pages from end to end.
//
// jemalloc (run with thp:always, core/main.cc) asks for huge pages on each
// range it maps, and maps each wherever the kernel puts it: a 2.5 MB extent
// gets at most one 2 MB page, the rest in 4 KB pages, each a page fault of
// its own. On a paravirtualized VM a 4 KB fault costs some 11 us (2.7 ms per
// MB) and a 2 MB one some 0.1 ms once the host has backed the memory
// (docs/performance.md). UseHugePageHeap gives jemalloc's first arena an
// allocation hook that maps every new extent right after the previous one
// inside one reserved, huge-page range, so the whole heap is one area the
// kernel can back with 2 MB pages. Everything else (purging, retaining,
// splitting) stays jemalloc's own.
#pragma once

#include <cstddef>
#include <string>

namespace mlb {

// Installs the hook on jemalloc's arena 0 (with narenas:1, the arena of
// every thread). Call it early in main, before other threads start; a second
// call changes nothing. Returns an empty string on success, or why nothing
// was changed: MALLOC_CONF has thp:never (the operator's opt-out), an
// address-space limit is set (the reservation would count against it), the
// range cannot be reserved, or jemalloc is not the allocator. The heap then
// works as before, only with more page faults.
std::string UseHugePageHeap();

// The reserved range [begin, end) extents are taken from: both null before
// UseHugePageHeap succeeds. `used` is how far it has been handed out.
struct HugePageHeapRange {
  const char* begin = nullptr;
  const char* end = nullptr;
  size_t used = 0;
};
HugePageHeapRange HugePageHeap();

}  // namespace mlb

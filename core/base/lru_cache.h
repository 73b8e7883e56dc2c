// A small least-recently-used map, for marathon-lb's DNS and health caches
// (--lru-cache-capacity): long-running modes must not grow without bound.
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <unordered_map>
#include <utility>

namespace mlb {

template <typename Key, typename Value>
class LruCache {
 public:
  explicit LruCache(size_t capacity = 1000) : capacity_(capacity) {}

  // The value for `key`, which becomes the most recently used.
  std::optional<Value> Get(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) {
      return std::nullopt;
    }
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
  }

  // Inserts or replaces; evicts the least recently used beyond capacity.
  void Put(const Key& key, Value value) {
    if (auto it = index_.find(key); it != index_.end()) {
      it->second->second = std::move(value);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    order_.emplace_front(key, std::move(value));
    index_[key] = order_.begin();
    while (order_.size() > capacity_ && !order_.empty()) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

  size_t size() const { return order_.size(); }

 private:
  size_t capacity_;
  std::list<std::pair<Key, Value>> order_;  // most recent first
  std::unordered_map<Key, typename std::list<std::pair<Key, Value>>::iterator>
      index_;
};

}  // namespace mlb

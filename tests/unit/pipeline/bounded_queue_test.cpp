#include "pipeline/bounded_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace voxconv::pipeline {
namespace {

TEST(BoundedQueue, KeepsOrderAndDrainsAfterClose) {
  BoundedQueue<int> q(2);
  std::vector<int> got;
  std::thread consumer([&] {
    while (auto v = q.pop()) got.push_back(*v);
  });
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(q.push(i));
  q.close();
  consumer.join();
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[static_cast<size_t>(i)], i);
  EXPECT_FALSE(q.push(1));  // closed
  EXPECT_FALSE(q.wait_for_room());
}

TEST(BoundedQueue, AProducerWaitsForRoomBeforeMakingTheNextItem) {
  BoundedQueue<int> q(1);
  ASSERT_TRUE(q.push(0));
  std::atomic<bool> room{false};
  std::thread producer([&] {
    room = q.wait_for_room();  // blocks: the queue is full
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(room.load());
  EXPECT_EQ(q.pop(), 0);
  producer.join();
  EXPECT_TRUE(room.load());
}

TEST(BoundedQueue, CloseWakesAWaitingProducer) {
  BoundedQueue<int> q(1);
  ASSERT_TRUE(q.push(0));
  std::thread producer([&] { EXPECT_FALSE(q.push(1)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  q.close();
  producer.join();
  EXPECT_EQ(q.pop(), 0);  // what was queued before close is still delivered
  EXPECT_EQ(q.pop(), std::nullopt);
}

}  // namespace
}  // namespace voxconv::pipeline

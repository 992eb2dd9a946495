#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <limits>
#include <set>
#include <string>

#include "protocol/errors.h"

using namespace brook::protocol;

namespace {

int16_t value_of(error_code code) { return static_cast<int16_t>(code); }

}  // namespace

TEST(errors, table_runs_without_gaps_from_minus_one_to_the_newest_code) {
  auto errors = all_errors();
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(value_of(errors.front().code), -1);
  for (std::size_t i = 0; i < errors.size(); ++i) {
    EXPECT_EQ(value_of(errors[i].code), static_cast<int>(i) - 1) << errors[i].name;
  }
  // Kafka trunk ends at CONTROLLER_ID_NOT_REGISTERED = 136; a newer Kafka code means a new row.
  EXPECT_EQ(errors.back().code, error_code::controller_id_not_registered);
  EXPECT_EQ(value_of(errors.back().code), 136);
  EXPECT_EQ(errors.size(), 138u);
}

TEST(errors, codes_and_names_are_unique) {
  std::set<int16_t> codes;
  std::set<std::string_view> names;
  for (const auto& e : all_errors()) {
    EXPECT_TRUE(codes.insert(value_of(e.code)).second) << e.name;
    EXPECT_TRUE(names.insert(e.name).second) << e.name;
  }
}

TEST(errors, names_are_upper_snake_and_every_row_has_a_description) {
  for (const auto& e : all_errors()) {
    ASSERT_FALSE(e.name.empty());
    for (char c : e.name) {
      EXPECT_TRUE(std::isupper(static_cast<unsigned char>(c)) || c == '_') << e.name;
    }
    EXPECT_FALSE(e.description.empty()) << e.name;
    EXPECT_EQ(e.description.find('\n'), std::string_view::npos) << e.name;
  }
}

TEST(errors, functions_agree_with_the_table) {
  for (const auto& e : all_errors()) {
    EXPECT_EQ(error_name(e.code), e.name);
    EXPECT_EQ(is_retriable(e.code), e.retriable) << e.name;
    EXPECT_EQ(error_description(e.code), e.description) << e.name;
  }
}

TEST(errors, every_code_round_trips_through_its_number) {
  for (const auto& e : all_errors()) {
    auto back = error_from_int(value_of(e.code));
    ASSERT_TRUE(back.has_value()) << e.name;
    EXPECT_EQ(*back, e.code);
  }
}

TEST(errors, unknown_numbers_give_nullopt) {
  EXPECT_EQ(error_from_int(-2), std::nullopt);
  EXPECT_EQ(error_from_int(137), std::nullopt);
  EXPECT_EQ(error_from_int(1000), std::nullopt);
  EXPECT_EQ(error_from_int(std::numeric_limits<int16_t>::min()), std::nullopt);
  EXPECT_EQ(error_from_int(std::numeric_limits<int16_t>::max()), std::nullopt);
}

TEST(errors, unknown_values_have_a_fallback_name_and_are_not_retriable) {
  const auto stranger = static_cast<error_code>(4242);
  EXPECT_EQ(error_name(stranger), "UNKNOWN_ERROR_CODE");
  EXPECT_FALSE(is_retriable(stranger));
  EXPECT_FALSE(error_description(stranger).empty());
  EXPECT_EQ(error_name(static_cast<error_code>(-2)), "UNKNOWN_ERROR_CODE");
}

// Spot checks against Apache Kafka: code, exact name and whether the mapped exception class
// derives from RetriableException.
struct known_error {
  int16_t value;
  error_code code;
  std::string_view name;
  bool retriable;
};

TEST(errors, spot_checks_against_kafka) {
  const known_error known[] = {
      {-1, error_code::unknown_server_error, "UNKNOWN_SERVER_ERROR", false},
      {0, error_code::none, "NONE", false},
      {1, error_code::offset_out_of_range, "OFFSET_OUT_OF_RANGE", false},
      {2, error_code::corrupt_message, "CORRUPT_MESSAGE", true},
      {3, error_code::unknown_topic_or_partition, "UNKNOWN_TOPIC_OR_PARTITION", true},
      {5, error_code::leader_not_available, "LEADER_NOT_AVAILABLE", true},
      {6, error_code::not_leader_or_follower, "NOT_LEADER_OR_FOLLOWER", true},
      {7, error_code::request_timed_out, "REQUEST_TIMED_OUT", true},
      {9, error_code::replica_not_available, "REPLICA_NOT_AVAILABLE", true},
      {10, error_code::message_too_large, "MESSAGE_TOO_LARGE", false},
      {15, error_code::coordinator_not_available, "COORDINATOR_NOT_AVAILABLE", true},
      {16, error_code::not_coordinator, "NOT_COORDINATOR", true},
      {17, error_code::invalid_topic_exception, "INVALID_TOPIC_EXCEPTION", false},
      {22, error_code::illegal_generation, "ILLEGAL_GENERATION", false},
      {25, error_code::unknown_member_id, "UNKNOWN_MEMBER_ID", false},
      {27, error_code::rebalance_in_progress, "REBALANCE_IN_PROGRESS", false},
      {29, error_code::topic_authorization_failed, "TOPIC_AUTHORIZATION_FAILED", false},
      {35, error_code::unsupported_version, "UNSUPPORTED_VERSION", false},
      {41, error_code::not_controller, "NOT_CONTROLLER", true},
      {42, error_code::invalid_request, "INVALID_REQUEST", false},
      {45, error_code::out_of_order_sequence_number, "OUT_OF_ORDER_SEQUENCE_NUMBER", false},
      {46, error_code::duplicate_sequence_number, "DUPLICATE_SEQUENCE_NUMBER", false},
      {47, error_code::invalid_producer_epoch, "INVALID_PRODUCER_EPOCH", false},
      // Retriable since Kafka 3.4 (ConcurrentTransactionsException extends RetriableException).
      {51, error_code::concurrent_transactions, "CONCURRENT_TRANSACTIONS", true},
      // KafkaStorageException derives from InvalidMetadataException.
      {56, error_code::kafka_storage_error, "KAFKA_STORAGE_ERROR", true},
      {59, error_code::unknown_producer_id, "UNKNOWN_PRODUCER_ID", false},
      {74, error_code::fenced_leader_epoch, "FENCED_LEADER_EPOCH", true},
      {75, error_code::unknown_leader_epoch, "UNKNOWN_LEADER_EPOCH", true},
      {84, error_code::election_not_needed, "ELECTION_NOT_NEEDED", true},
      {89, error_code::throttling_quota_exceeded, "THROTTLING_QUOTA_EXCEEDED", true},
      {90, error_code::producer_fenced, "PRODUCER_FENCED", false},
      {100, error_code::unknown_topic_id, "UNKNOWN_TOPIC_ID", true},
      {106, error_code::fetch_session_topic_id_error, "FETCH_SESSION_TOPIC_ID_ERROR", true},
      {110, error_code::fenced_member_epoch, "FENCED_MEMBER_EPOCH", false},
      {113, error_code::stale_member_epoch, "STALE_MEMBER_EPOCH", false},
      {120, error_code::transaction_abortable, "TRANSACTION_ABORTABLE", false},
      {121, error_code::invalid_record_state, "INVALID_RECORD_STATE", false},
      {122, error_code::share_session_not_found, "SHARE_SESSION_NOT_FOUND", true},
      {123, error_code::invalid_share_session_epoch, "INVALID_SHARE_SESSION_EPOCH", true},
      {124, error_code::fenced_state_epoch, "FENCED_STATE_EPOCH", false},
      {129, error_code::rebootstrap_required, "REBOOTSTRAP_REQUIRED", false},
      {130, error_code::streams_invalid_topology, "STREAMS_INVALID_TOPOLOGY", false},
      {132, error_code::streams_topology_fenced, "STREAMS_TOPOLOGY_FENCED", false},
      {133, error_code::share_session_limit_reached, "SHARE_SESSION_LIMIT_REACHED", true},
      {134, error_code::group_deletion_failed, "GROUP_DELETION_FAILED", false},
      {135, error_code::streams_topology_description_update_failed,
       "STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED", false},
      {136, error_code::controller_id_not_registered, "CONTROLLER_ID_NOT_REGISTERED", false},
  };
  for (const auto& k : known) {
    SCOPED_TRACE(std::string(k.name));
    EXPECT_EQ(value_of(k.code), k.value);
    EXPECT_EQ(error_name(k.code), k.name);
    EXPECT_EQ(is_retriable(k.code), k.retriable);
    EXPECT_EQ(error_from_int(k.value), k.code);
  }
}

TEST(errors, retriable_set_matches_kafka_exactly) {
  // Every code whose Kafka exception class derives from RetriableException; all others are not.
  const std::set<int16_t> retriable = {2,  3,  5,  6,  7,   9,   13,  14,  15,  16, 19,
                                       20, 41, 51, 56, 70,  71,  72,  74,  75,  78, 80,
                                       83, 84, 88, 89, 100, 103, 106, 122, 123, 133};
  for (const auto& e : all_errors()) {
    EXPECT_EQ(e.retriable, retriable.count(value_of(e.code)) == 1) << e.name;
  }
}

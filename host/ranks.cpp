#include "ranks.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>

#if SCALEHAM_HAVE_MPI
#include <mpi.h>
#endif

namespace scaleham {

namespace {

/// This process alone: rank 0 of 1.
class single_process final : public process_group {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  void barrier() override {}
  std::string broadcast(const std::string& text) override { return text; }
  std::vector<std::string> gather(const std::string& text) override { return {text}; }
  int max_over_ranks(int value) override { return value; }
  std::uint64_t take_ticket() override { return next_++; }
  [[noreturn]] void abort(int code) override { std::_Exit(code); }

 private:
  std::uint64_t next_ = 0;
};

#if SCALEHAM_HAVE_MPI
/// The ranks of MPI_COMM_WORLD. Only the main thread calls MPI.
class mpi_world final : public process_group {
 public:
  mpi_world() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local_rank_);
    MPI_Comm_free(&node);
    // The counter lives on rank 0; the others hold no memory in the window.
    MPI_Win_allocate(rank_ == 0 ? MPI_Aint(sizeof(std::uint64_t)) : 0, sizeof(std::uint64_t), MPI_INFO_NULL,
                     MPI_COMM_WORLD, &counter_memory_, &window_);
    if (rank_ == 0) {  // through the window, so every rank sees it
      MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, window_);
      *counter_memory_ = 0;
      MPI_Win_unlock(0, window_);
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
  ~mpi_world() override { MPI_Win_free(&window_); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }
  std::string broadcast(const std::string& text) override {
    unsigned long long length = text.size();
    MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    std::string out = rank_ == 0 ? text : std::string(length, '\0');
    if (length > 0) MPI_Bcast(out.data(), int(length), MPI_CHAR, 0, MPI_COMM_WORLD);
    return out;
  }
  std::vector<std::string> gather(const std::string& text) override {
    int length = int(text.size());
    std::vector<int> lengths(rank_ == 0 ? size_ : 0), offsets(rank_ == 0 ? size_ : 0);
    MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::string all;
    if (rank_ == 0) {
      int total = 0;
      for (int r = 0; r < size_; ++r) offsets[r] = total, total += lengths[r];
      all.resize(std::size_t(total));
    }
    MPI_Gatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0,
                MPI_COMM_WORLD);
    std::vector<std::string> texts;
    for (int r = 0; rank_ == 0 && r < size_; ++r) texts.push_back(all.substr(offsets[r], lengths[r]));
    return texts;
  }
  int max_over_ranks(int value) override {
    int largest = value;
    MPI_Allreduce(&value, &largest, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return largest;
  }
  std::uint64_t take_ticket() override {
    const std::uint64_t one = 1;
    std::uint64_t before = 0;
    MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, window_);
    MPI_Fetch_and_op(&one, &before, MPI_UINT64_T, 0, 0, MPI_SUM, window_);
    MPI_Win_unlock(0, window_);
    return before;
  }
  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

 private:
  int rank_ = 0, size_ = 1, local_rank_ = 0;
  std::uint64_t* counter_memory_ = nullptr;
  MPI_Win window_ = MPI_WIN_NULL;
};

/// Whether an MPI launcher started this process (Open MPI, PMI, PMIx).
bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}
#endif

std::unique_ptr<process_group>& current() {
  static std::unique_ptr<process_group> group = std::make_unique<single_process>();
  return group;
}

#if SCALEHAM_HAVE_MPI
bool mpi_started = false;
#endif

}  // namespace

process_group& start_processes([[maybe_unused]] int& argc, [[maybe_unused]] char**& argv) {
#if SCALEHAM_HAVE_MPI
  if (!mpi_started && launched_by_mpi()) {
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    mpi_started = true;
    // Only the main thread calls MPI, which FUNNELED allows; below it, the
    // backends' threads could not coexist with MPI at all.
    if (provided < MPI_THREAD_FUNNELED) {
      std::fprintf(stderr, "scaleham: this MPI library does not allow threads (MPI_THREAD_FUNNELED)\n");
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    current() = std::make_unique<mpi_world>();
  }
#endif
  return *current();
}

process_group& sweep_processes() { return *current(); }

void stop_processes() {
#if SCALEHAM_HAVE_MPI
  if (mpi_started) {
    current() = std::make_unique<single_process>();  // frees the window before MPI ends
    MPI_Finalize();
    mpi_started = false;
  }
#endif
}

bool built_with_mpi() {
#if SCALEHAM_HAVE_MPI
  return true;
#else
  return false;
#endif
}

}  // namespace scaleham

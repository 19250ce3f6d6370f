// The processes that share one sweep: this process alone, or the ranks of an
// MPI job (`mpirun -np N scaleham run ...`, `srun scaleham run ...`) when the
// build has MPI (SCALEHAM_ENABLE_MPI) and an MPI launcher started us. The
// driver (driver.cpp, distributed.cpp) asks only what it needs: who we are,
// a barrier, rank 0's text to everyone, every rank's text at rank 0, and a
// counter shared by all ranks from which they take batches — dynamic, so
// ranks balance when points differ in cost.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace scaleham {

class process_group {
 public:
  virtual ~process_group() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Rank among the ranks on this node (picks the GPU of a rank).
  virtual int local_rank() const = 0;
  virtual void barrier() = 0;
  /// Rank 0's `text`, on every rank.
  virtual std::string broadcast(const std::string& text) = 0;
  /// Every rank's `text`, in rank order, at rank 0 (empty elsewhere).
  virtual std::vector<std::string> gather(const std::string& text) = 0;
  /// The largest of every rank's `value`, on every rank (so that all ranks
  /// act on one decision, e.g. whether any of them was signalled).
  virtual int max_over_ranks(int value) = 0;
  /// The value of the shared counter before this call added 1 to it (from 0).
  virtual std::uint64_t take_ticket() = 0;
  /// Ends the whole job at once with `code` (a rank that cannot go on).
  [[noreturn]] virtual void abort(int code) = 0;
};

/// Starts MPI when the build has it and an MPI launcher started this process
/// (Open MPI's mpirun, a PMI or PMIx launcher such as srun); call once, first
/// thing in main. Returns the group: the MPI world, or this process alone.
process_group& start_processes(int& argc, char**& argv);

/// The group start_processes made (this process alone before it).
process_group& sweep_processes();

/// Finalizes MPI where start_processes started it; call once, at the end of main.
void stop_processes();

/// Whether this build can run as an MPI job.
bool built_with_mpi();

}  // namespace scaleham

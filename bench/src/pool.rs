//! The fresh batches of the run's table and who gets which. The table is seeded once,
//! large (at least `--table-size` batches, 500,000 by default, plus what the first run
//! will delete), and every run takes a contiguous range of ids from its low end, so
//! that every case deletes from the same big table instead of a table sized to its own
//! run. Before each run the pool makes sure that the table keeps at least its floor of
//! batches *after* that run has taken its share, appending more at the high end when
//! it would not; then it vacuums away the previous run's dead rows.

use crate::database::{BatchData, Seeded};

/// How many batches to append so that `fresh` batches, minus the `count` a run is about
/// to take, still leave `floor` in the table; 0 when they do. With `spare`, a top-up
/// also adds room for one more run of the same size, so that a round tops up about once,
/// not per run.
pub(crate) fn top_up(fresh: i64, floor: i64, count: i64, spare: bool) -> i64 {
    let short = floor + count - fresh;
    match (short <= 0, spare) {
        (true, _) => 0,
        (false, true) => short + count,
        (false, false) => short,
    }
}

/// The fresh ids of the table: `next..=last` have not been handed to any run.
#[derive(Debug)]
pub(crate) struct IdPool {
    next: i64,
    last: i64,
    /// Fewest fresh batches the table keeps while a run deletes.
    floor: i64,
    /// Whether a top-up adds room for one more run (see [`top_up`]).
    spare: bool,
}

impl IdPool {
    /// Empties the table and seeds `floor + reserve` batches.
    pub(crate) async fn seed(data: &BatchData, floor: i64, reserve: i64) -> anyhow::Result<Self> {
        let started = std::time::Instant::now();
        data.empty().await?;
        let seeded = data.append(floor + reserve).await?;
        let inserted = started.elapsed();
        data.settle().await?;
        eprintln!(
            "batch-bench: seeded {} batches in {:.1} s (insert {:.1} s, vacuum and checkpoint {:.1} s)",
            seeded.count(),
            started.elapsed().as_secs_f64(),
            inserted.as_secs_f64(),
            (started.elapsed() - inserted).as_secs_f64()
        );
        Ok(Self {
            next: seeded.first,
            last: seeded.last,
            floor,
            spare: true,
        })
    }

    /// Tops up only what each run needs: the table stays as close to its floor as the
    /// runs allow (the table-size sweep, where the size is the point).
    pub(crate) fn tight(self) -> Self {
        Self {
            spare: false,
            ..self
        }
    }

    /// Raises (or lowers) the fewest fresh batches the table keeps; the next
    /// [`IdPool::take`] appends what is missing at the high end.
    pub(crate) fn set_floor(&mut self, floor: i64) {
        self.floor = floor;
    }

    /// Fresh batches left in the table.
    pub(crate) fn fresh(&self) -> i64 {
        self.last - self.next + 1
    }

    /// Hands out `count` fresh ids, first topping the table up if it would fall below
    /// its floor, then vacuuming. Returns the range and the fresh batches in the table
    /// before the run (the table size the run sees).
    pub(crate) async fn take(
        &mut self,
        data: &BatchData,
        count: i64,
    ) -> anyhow::Result<(Seeded, i64)> {
        let missing = top_up(self.fresh(), self.floor, count, self.spare);
        if missing > 0 {
            eprintln!("batch-bench: topping the table up with {missing} batches");
            let appended = data.append(missing).await?;
            if appended.first != self.last + 1 {
                // Not adjacent (a sequence gap): what was left stays in the table as
                // ballast, and the fresh range starts over.
                self.next = appended.first;
            }
            self.last = appended.last;
        }
        data.settle().await?;
        let table = self.fresh();
        let taken = Seeded {
            first: self.next,
            last: self.next + count - 1,
        };
        self.next += count;
        Ok((taken, table))
    }

    /// Takes back the tail of `taken` that a run did not use (from `next_unclaimed`
    /// on), if nothing was handed out since.
    pub(crate) fn give_back(&mut self, taken: Seeded, next_unclaimed: i64) {
        if self.next == taken.last + 1 && (taken.first..=taken.last + 1).contains(&next_unclaimed) {
            self.next = next_unclaimed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_never_falls_below_its_floor() {
        assert_eq!(top_up(800_000, 500_000, 300_000, true), 0);
        // 100 short: append them, and room for another run like this one.
        assert_eq!(top_up(799_900, 500_000, 300_000, true), 300_100);
        assert_eq!(top_up(0, 500_000, 1_000, true), 502_000);
        // Tight: only what is short.
        assert_eq!(top_up(799_900, 500_000, 300_000, false), 100);
    }

    #[test]
    fn unused_ids_go_back_only_while_nothing_was_handed_out_after_them() {
        let mut pool = IdPool {
            next: 101,
            last: 1_000,
            floor: 0,
            spare: true,
        };
        let taken = Seeded {
            first: 1,
            last: 100,
        };
        pool.give_back(taken, 40);
        assert_eq!(pool.next, 40);
        assert_eq!(pool.fresh(), 961);
        pool.next = 500;
        pool.give_back(taken, 40);
        assert_eq!(pool.next, 500);
    }
}

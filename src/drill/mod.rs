//! Restore drills: prove a backup restores within RPO and RTO, then clean up; and the
//! `cleanup` operation that deletes what an earlier drill left.

mod recorder;
pub mod report;
mod run;
mod vm_disks;
mod workload;

pub use recorder::{Recorder, RestoreInFlight};
pub use run::{run_cleanup, run_drill, DrillOutcome, DrillVerdict, DRILL_TAG};
pub use workload::{RecoveryPoint, RestoreWorkload, RestoredResource, TargetProblem};

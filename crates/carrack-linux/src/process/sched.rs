//! `process.scheduler` (sched_setattr(2)) and `process.ioPriority` (ioprio_set(2)), applied by
//! the process itself before it drops its capabilities (a real-time policy needs
//! CAP_SYS_NICE, the real-time I/O class CAP_SYS_ADMIN).

use carrack_spec::runtime::{
    IoPriority, IoPriorityClass, Scheduler, SchedulerFlag, SchedulerPolicy,
};

use crate::error::Error;
use crate::sys::SchedAttr;

/// sched_setattr(2)'s arguments for `s`, or which member the kernel has no value for.
pub(crate) fn sched_attr(s: &Scheduler) -> Result<SchedAttr, Error> {
    let policy = match &s.policy {
        SchedulerPolicy::Normal => 0,
        SchedulerPolicy::Fifo => 1,
        SchedulerPolicy::Rr => 2,
        SchedulerPolicy::Batch => 3,
        SchedulerPolicy::Iso => 4,
        SchedulerPolicy::Idle => 5,
        SchedulerPolicy::Deadline => 6,
        other => {
            return Err(Error::config(
                "/process/scheduler/policy",
                format!("unknown policy {other}"),
            ));
        }
    };
    let mut flags = 0u64;
    for (i, f) in s.flags.iter().flatten().enumerate() {
        flags |= match f {
            SchedulerFlag::ResetOnFork => 0x01,
            SchedulerFlag::Reclaim => 0x02,
            SchedulerFlag::DlOverrun => 0x04,
            SchedulerFlag::KeepPolicy => 0x08,
            SchedulerFlag::KeepParams => 0x10,
            SchedulerFlag::UtilClampMin => 0x20,
            SchedulerFlag::UtilClampMax => 0x40,
            other => {
                return Err(Error::config(
                    format!("/process/scheduler/flags/{i}"),
                    format!("unknown flag {other}"),
                ));
            }
        };
    }
    let priority = u32::try_from(s.priority.unwrap_or(0))
        .map_err(|_| Error::config("/process/scheduler/priority", "a priority is not negative"))?;
    Ok(SchedAttr {
        size: 0,
        policy,
        flags,
        nice: s.nice.unwrap_or(0),
        priority,
        runtime: s.runtime.unwrap_or(0),
        deadline: s.deadline.unwrap_or(0),
        period: s.period.unwrap_or(0),
    })
}

/// ioprio_set(2)'s class and level for `p`.
pub(crate) fn io_priority(p: &IoPriority) -> Result<(u32, u32), Error> {
    let class = match &p.class {
        IoPriorityClass::RealTime => 1,
        IoPriorityClass::BestEffort => 2,
        IoPriorityClass::Idle => 3,
        other => {
            return Err(Error::config(
                "/process/ioPriority/class",
                format!("unknown class {other}"),
            ));
        }
    };
    let level = u32::try_from(p.priority.unwrap_or(0))
        .ok()
        .filter(|l| *l <= 7)
        .ok_or_else(|| Error::config("/process/ioPriority/priority", "a level is 0 to 7"))?;
    Ok((class, level))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_numbers_of_the_spec_names() {
        let mut s = Scheduler::new(SchedulerPolicy::Batch);
        s.nice = Some(5);
        s.flags = Some(vec![SchedulerFlag::ResetOnFork, SchedulerFlag::KeepParams]);
        let a = sched_attr(&s).expect("attr");
        assert_eq!((a.policy, a.nice, a.flags), (3, 5, 0x11));
        s.priority = Some(-1);
        assert!(sched_attr(&s).is_err());
        let mut p = IoPriority::new(IoPriorityClass::BestEffort);
        p.priority = Some(6);
        assert_eq!(io_priority(&p).expect("prio"), (2, 6));
        p.priority = Some(8);
        assert!(io_priority(&p).is_err());
    }

    #[test]
    fn sched_attr_is_the_kernels_first_version() {
        assert_eq!(std::mem::size_of::<SchedAttr>(), 48);
    }
}

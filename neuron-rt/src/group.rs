//! [`NeuronCoreGroup`]: a contiguous range of this process's cores, claimed exclusively.

use crate::device::Device;
use crate::error::{Error, Result};
use ncg_planner::{CoreRange, Plan};
use std::fmt;

/// A contiguous range of the process's visible NeuronCores, claimed exclusively within the
/// process: two groups never overlap. A group holds at most one model — loading consumes it
/// ([`NeuronCoreGroup::load`]) and unloading gives it back. Dropping it releases the cores.
///
/// Core numbers are relative to the visible cores (0 is the first core this process reserved),
/// as the runtime numbers them.
#[must_use = "dropping a NeuronCoreGroup releases its cores at once"]
pub struct NeuronCoreGroup<'d> {
    device: &'d Device,
    cores: CoreRange,
}

impl<'d> NeuronCoreGroup<'d> {
    /// The cores, relative to the visible cores.
    pub fn cores(&self) -> CoreRange {
        self.cores
    }

    /// The cores as global ids (what `NEURON_RT_VISIBLE_CORES` and neuron-ls show), when the
    /// visible range is known.
    pub fn global_cores(&self) -> Option<CoreRange> {
        let start = self.device.visible_range()?.start();
        CoreRange::new(start + self.cores.start(), self.cores.count()).ok()
    }

    /// Number of cores.
    pub fn len(&self) -> u32 {
        self.cores.count()
    }

    /// Always `false`: a group has at least one core.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The device the group belongs to.
    pub fn device(&self) -> &'d Device {
        self.device
    }
}

impl Drop for NeuronCoreGroup<'_> {
    fn drop(&mut self) {
        let mut claimed = self.device.inner.claimed.lock();
        if let Some(i) = claimed.iter().position(|r| *r == self.cores) {
            claimed.swap_remove(i);
        }
    }
}

impl fmt::Debug for NeuronCoreGroup<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NeuronCoreGroup({})", self.cores)
    }
}

impl Device {
    /// Claim the cores `cores` (relative to the visible cores).
    ///
    /// # Errors
    /// [`Error::GroupOutOfRange`] past the visible cores; [`Error::GroupOverlap`] naming both
    /// ranges when another group holds any of them.
    ///
    /// ```
    /// use neuron_rt::{Backend, CoreRange, Device, Error};
    /// let device = Device::builder().backend(Backend::emulator("inf2.24xlarge")).emulator_lock_dir(std::env::temp_dir().join(format!("nrt-doc-{}", std::process::id()))).open()?;
    /// let a = device.core_group(CoreRange::new(0, 2)?)?;
    /// let err = device.core_group(CoreRange::new(1, 2)?).unwrap_err();
    /// assert!(matches!(err, Error::GroupOverlap { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn core_group(&self, cores: CoreRange) -> Result<NeuronCoreGroup<'_>> {
        let visible = self.visible_cores();
        if cores.end() > visible {
            return Err(Error::GroupOutOfRange {
                requested: cores,
                visible,
            });
        }
        self.claim(&mut self.inner.claimed.lock(), cores)
    }

    /// Claim `cores` in `claimed`, the locked list of this device's groups.
    fn claim(&self, claimed: &mut Vec<CoreRange>, cores: CoreRange) -> Result<NeuronCoreGroup<'_>> {
        if let Some(existing) = claimed.iter().find(|r| r.overlaps(&cores)) {
            return Err(Error::GroupOverlap {
                requested: cores,
                existing: *existing,
            });
        }
        claimed.push(cores);
        Ok(NeuronCoreGroup {
            device: self,
            cores,
        })
    }

    /// Claim the next free block of `size` cores: the lowest one that stays inside one chip when
    /// `size` fits in a chip (aligned to chip boundaries when larger), else the lowest free one.
    ///
    /// # Errors
    /// [`Error::NoFreeCores`] listing the free blocks; [`Error::InvalidSetting`] for size 0.
    pub fn core_group_of_size(&self, size: u32) -> Result<NeuronCoreGroup<'_>> {
        if size == 0 {
            return Err(Error::InvalidSetting {
                what: "core group size",
                given: "0".into(),
                expected: format!("1 to {} cores", self.visible_cores()),
            });
        }
        let visible = self.visible_cores();
        let offset = self.visible_range().map_or(0, |r| r.start());
        let per_chip = self.cores_per_chip().unwrap_or(1).max(1);
        // Choose and claim under one lock: two threads never pick the same free block.
        let mut claimed = self.inner.claimed.lock();
        let free = |start: u32| {
            CoreRange::new(start, size)
                .ok()
                .filter(|r| r.end() <= visible && !claimed.iter().any(|c| c.overlaps(r)))
        };
        let chip_friendly = |r: &CoreRange| {
            let (first, last) = (offset + r.start(), offset + r.end() - 1);
            if size <= per_chip {
                first / per_chip == last / per_chip
            } else {
                first % per_chip == 0
            }
        };
        let starts = 0..visible.saturating_sub(size - 1);
        let pick = starts
            .clone()
            .filter_map(free)
            .find(chip_friendly)
            .or_else(|| starts.filter_map(free).next());
        match pick {
            Some(range) => self.claim(&mut claimed, range),
            None => {
                drop(claimed); // free_blocks_text takes the lock again
                Err(Error::NoFreeCores {
                    size,
                    visible,
                    free: self.free_blocks_text(),
                })
            }
        }
    }

    /// The free (unclaimed) blocks of visible cores, lowest first.
    pub fn free_core_blocks(&self) -> Vec<CoreRange> {
        let claimed = self.inner.claimed.lock();
        let mut blocks = Vec::new();
        let mut start = None;
        for core in 0..=self.visible_cores() {
            let free = core < self.visible_cores() && !claimed.iter().any(|r| r.contains(core));
            match (free, start) {
                (true, None) => start = Some(core),
                (false, Some(s)) => {
                    blocks.extend(CoreRange::new(s, core - s));
                    start = None;
                }
                _ => {}
            }
        }
        blocks
    }

    /// Global core ranges a new plan must avoid (for `ncg_planner::PlanRequest::busy_ranges`):
    /// the cores outside this process's visible range and those its groups hold, so a plan
    /// made while other groups exist only picks cores [`Device::core_groups_for_plan`] can
    /// claim. Empty when the visible range is unknown.
    pub fn busy_core_ranges(&self) -> Vec<CoreRange> {
        let Some(visible) = self.visible_range() else {
            return Vec::new();
        };
        let mut busy = Vec::new();
        let mut next = 0; // first global core not yet accounted for
        for block in self.free_core_blocks() {
            let start = block.start() + visible.start();
            busy.extend(CoreRange::new(next, start - next)); // nothing when start == next
            next = start + block.count();
        }
        busy.extend(CoreRange::new(
            next,
            self.total_cores().saturating_sub(next),
        ));
        busy
    }

    fn free_blocks_text(&self) -> String {
        let blocks: Vec<String> = self
            .free_core_blocks()
            .iter()
            .map(ToString::to_string)
            .collect();
        if blocks.is_empty() {
            "none".into()
        } else {
            blocks.join(", ")
        }
    }

    /// Claim one group per worker of an ncg-planner [`Plan`] (in the plan's worker order), for
    /// workers that run in this process. The plan's global core ids are mapped onto this
    /// process's visible cores; all groups are claimed or none.
    ///
    /// # Errors
    /// [`Error::GroupOutOfRange`] when a worker's cores are not visible to this process (or the
    /// visible range is unknown); [`Error::GroupOverlap`] when cores are already claimed.
    pub fn core_groups_for_plan(&self, plan: &Plan) -> Result<Vec<NeuronCoreGroup<'_>>> {
        let visible = self.visible_cores();
        let offset = self.visible_range().map(|r| r.start());
        let mut groups = Vec::with_capacity(plan.workers().len());
        for worker in plan.workers() {
            let global = worker.cores;
            let local = offset
                .and_then(|o| global.start().checked_sub(o))
                .and_then(|start| CoreRange::new(start, global.count()).ok())
                .ok_or(Error::GroupOutOfRange {
                    requested: global,
                    visible,
                })?;
            // On error, the groups claimed so far are dropped, releasing their cores.
            groups.push(self.core_group(local)?);
        }
        Ok(groups)
    }
}

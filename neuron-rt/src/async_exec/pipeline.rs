//! [`Pipeline`]: `k` async bindings kept in flight.

use super::AsyncMode;
use super::binding::AsyncBinding;
use crate::error::Result;
use crate::model::Model;

/// `depth` [`AsyncBinding`]s of one model, used round-robin so that up to `depth` requests are
/// in flight at once: while request *i* computes, request *i+1*'s inputs are being written and
/// request *i−1*'s outputs read.
///
/// ```
/// use neuron_rt::{Backend, Device};
/// use neuron_neff::ModelBuilder;
/// let device = Device::builder().backend(Backend::emulator("inf2.xlarge")).emulator_lock_dir(std::env::temp_dir().join(format!("nrt-doc-pipe-{}", std::process::id()))).open()?;
/// let neff = ModelBuilder::mlp("mlp", &[4, 8, 3], 2, 7).build()?;
/// let model = device.core_group_of_size(1)?.load(&neff)?;
/// let mut pipeline = model.pipeline(2)?;
/// let mut sums = Vec::new();
/// let mut probs = [0f32; 6];
/// neuron_rt::block_on(pipeline.run(
///     5,
///     |i, b| b.write_input("input", &[i as f32; 8]),
///     |_, b| {
///         b.read_output("probs", &mut probs)?;
///         sums.push(probs[..3].iter().sum::<f32>());
///         Ok(())
///     },
/// ))?;
/// assert_eq!(sums.len(), 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Pipeline<'m, 'd> {
    bindings: Vec<AsyncBinding<'m, 'd>>,
}

impl<'m, 'd> Pipeline<'m, 'd> {
    pub(crate) fn new(model: &'m Model<'d>, depth: usize) -> Result<Self> {
        let bindings = (0..depth.max(1))
            .map(|_| AsyncBinding::new(model))
            .collect::<Result<Vec<_>>>()?;
        Ok(Pipeline { bindings })
    }

    /// Requests in flight at most.
    pub fn depth(&self) -> usize {
        self.bindings.len()
    }

    /// How the requests run.
    pub fn mode(&self) -> AsyncMode {
        self.bindings[0].mode()
    }

    /// The bindings (e.g. to preset inputs that never change).
    pub fn bindings_mut(&mut self) -> &mut [AsyncBinding<'m, 'd>] {
        &mut self.bindings
    }

    /// Run `count` requests, keeping up to [`depth`](Self::depth) in flight. `fill(i, binding)`
    /// writes request `i`'s inputs; `drain(i, binding)` reads its outputs once it completed.
    /// Requests complete and are drained in order. The first error stops the pipeline (requests
    /// already in flight complete in the background, see [`AsyncBinding`]).
    pub async fn run<F, G>(&mut self, count: usize, mut fill: F, mut drain: G) -> Result<()>
    where
        F: FnMut(usize, &mut AsyncBinding<'m, 'd>) -> Result<()>,
        G: FnMut(usize, &AsyncBinding<'m, 'd>) -> Result<()>,
    {
        let depth = self.bindings.len();
        let (mut next, mut done) = (0, 0);
        while done < count {
            while next < count && next - done < depth {
                let binding = &mut self.bindings[next % depth];
                fill(next, binding)?;
                binding.start()?;
                next += 1;
            }
            let binding = &self.bindings[done % depth];
            binding.ready().await?;
            drain(done, binding)?;
            done += 1;
        }
        Ok(())
    }
}

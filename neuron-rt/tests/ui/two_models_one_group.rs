// A group holds one model: loading consumes it.
use neuron_rt::Device;

fn main() -> Result<(), neuron_rt::Error> {
    let device = Device::open()?;
    let group = device.core_group_of_size(1)?;
    let _a = group.load(b"neff a")?;
    let _b = group.load(b"neff b")?;
    Ok(())
}

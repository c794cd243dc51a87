// A binding borrows its model: it cannot outlive it.
use neuron_rt::Device;

fn main() -> Result<(), neuron_rt::Error> {
    let device = Device::open()?;
    let mut binding = {
        let model = device.core_group_of_size(1)?.load(b"neff")?;
        model.binding()?
    };
    binding.execute()?;
    Ok(())
}

// A binding belongs to the model that made it: there is no way to execute it on another model.
use neuron_rt::Device;

fn main() -> Result<(), neuron_rt::Error> {
    let device = Device::open()?;
    let model_a = device.core_group_of_size(1)?.load(b"a")?;
    let model_b = device.core_group_of_size(1)?.load(b"b")?;
    let mut binding_a = model_a.binding()?;
    model_b.execute(&mut binding_a)?;
    Ok(())
}

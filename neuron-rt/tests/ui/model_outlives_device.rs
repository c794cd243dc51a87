// A model borrows its device: it cannot be used after the scope that created the device.
use neuron_rt::{Device, Model};

fn main() {
    let model: Model<'_>;
    {
        let device = Device::open().unwrap();
        model = device.core_group_of_size(1).unwrap().load(b"neff").unwrap();
    }
    let _ = model.name();
}

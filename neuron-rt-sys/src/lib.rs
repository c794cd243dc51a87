//! neuron-rt-sys (work in progress).

//! neuron-rt (work in progress).

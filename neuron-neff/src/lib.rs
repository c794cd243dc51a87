//! neuron-neff (work in progress).

//! ncg-planner (work in progress).

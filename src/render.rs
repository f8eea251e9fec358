//! Renderings of reports and progress for people (the terminal) and machines.
pub mod ci;
pub mod human;

//! Windows registry files (`.reg`).

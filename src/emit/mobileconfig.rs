//! macOS configuration profiles (`.mobileconfig`).

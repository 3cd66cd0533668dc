//! The library's only window on the outside world.
//!
//! `file()` reads and `env()` lookups go through a [`Host`], implemented by
//! the CLI over the real file system and environment, and by tests in memory.

/// Why a `file()` read failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// The file does not exist.
    NotFound,
    /// The path resolves (through a symbolic link) outside the policy set.
    OutsidePolicySet,
    /// Any other I/O error, described.
    Other(String),
}

/// File reads and environment lookups.
pub trait Host: Sync {
    /// Reads a file. `path` is relative to the policy set's root directory,
    /// normalised (no `.` or `..` components), with `/` separators. The host
    /// must refuse paths that resolve outside the root through links.
    ///
    /// # Errors
    /// When the file cannot be read.
    fn read_file(&self, path: &str) -> Result<String, HostError>;

    /// The value of an environment variable.
    fn env(&self, name: &str) -> Option<String>;

    /// Whether [`Host::env`] gives the variables' values. A host that gives
    /// stand-ins instead (`polc diff` builds with `<env:NAME>`) says no, and
    /// the build then does not check them as values: a stand-in is not the
    /// value a device will get.
    fn env_is_real(&self) -> bool {
        true
    }
}

/// A host with no files and no environment (for checks that must not read
/// anything, and tests).
#[derive(Debug, Default, Clone)]
pub struct NoHost;

impl Host for NoHost {
    fn read_file(&self, _path: &str) -> Result<String, HostError> {
        Err(HostError::NotFound)
    }

    fn env(&self, _name: &str) -> Option<String> {
        None
    }
}

/// An in-memory host for tests and embedding.
#[derive(Debug, Default, Clone)]
pub struct MemoryHost {
    /// Files by normalised relative path.
    pub files: std::collections::BTreeMap<String, String>,
    /// Environment variables.
    pub env: std::collections::BTreeMap<String, String>,
}

impl Host for MemoryHost {
    fn read_file(&self, path: &str) -> Result<String, HostError> {
        self.files.get(path).cloned().ok_or(HostError::NotFound)
    }

    fn env(&self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }
}

//! The policy set's source files.
//!
//! The library never reads the file system: the CLI (or a test) loads the
//! files and hands them over as a [`SourceSet`]. Files are kept in sorted
//! path order, so that the order in which they were given never changes the
//! output.

use codespan_reporting::files::{self, Files};
use std::ops::Range;

/// Index of a file in a [`SourceSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// One policy file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as shown to the user (as given on the command line, joined
    /// with the file's path inside a directory).
    pub name: String,
    /// The text, or `None` when the bytes were not valid UTF-8.
    pub text: Option<String>,
    /// For a file that is not UTF-8: its text with invalid bytes replaced,
    /// for showing where the problem is.
    lossy: Option<String>,
    /// Byte offset of the first invalid byte when the file is not UTF-8.
    pub invalid_utf8_at: Option<usize>,
    /// The directory of the file relative to the policy set's root, with `/`
    /// separators (`""` for a file at the root). `file()` paths are relative
    /// to it.
    pub dir: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    fn new(name: String, dir: String, bytes: Vec<u8>) -> Self {
        let (text, lossy, invalid_utf8_at) = match String::from_utf8(bytes) {
            Ok(t) => (Some(t), None, None),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                (
                    None,
                    Some(String::from_utf8_lossy(e.as_bytes()).into_owned()),
                    Some(at),
                )
            }
        };
        let line_starts =
            files::line_starts(text.as_deref().or(lossy.as_deref()).unwrap_or("")).collect();
        SourceFile {
            name,
            text,
            lossy,
            invalid_utf8_at,
            dir,
            line_starts,
        }
    }

    /// The text; for a file that is not UTF-8, the text with invalid bytes
    /// replaced by U+FFFD (the offset of the first one is unchanged).
    #[must_use]
    pub fn source(&self) -> &str {
        self.text.as_deref().or(self.lossy.as_deref()).unwrap_or("")
    }

    /// 0-based line index of a byte offset.
    #[must_use]
    pub fn line_index_of(&self, byte: usize) -> usize {
        match self.line_starts.binary_search(&byte) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// 1-based (line, column) of a byte offset; the column counts characters.
    #[must_use]
    pub fn line_col(&self, byte: usize) -> (usize, usize) {
        let line = self.line_index_of(byte);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let src = self.source();
        let byte = byte.min(src.len());
        let col = src
            .get(start..byte)
            .map_or(byte - start, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

/// Every file of a policy set, sorted by name.
#[derive(Debug, Default, Clone)]
pub struct SourceSet {
    files: Vec<SourceFile>,
}

impl SourceSet {
    /// Builds a set from `(display name, bytes)` pairs, all at the root of
    /// the policy set. The files are sorted by name, so the order of `files`
    /// does not matter.
    #[must_use]
    pub fn new(files: Vec<(String, Vec<u8>)>) -> Self {
        Self::from_tree("", files)
    }

    /// Builds a set from files below a root directory: `files` holds
    /// `(path relative to the root with / separators, bytes)`; each file is
    /// shown as `root/path` (or `path` when `root` is empty). Sorted by path.
    #[must_use]
    pub fn from_tree(root: &str, mut files: Vec<(String, Vec<u8>)>) -> Self {
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files.dedup_by(|a, b| a.0 == b.0);
        let root = root.trim_end_matches('/');
        SourceSet {
            files: files
                .into_iter()
                .map(|(rel, bytes)| {
                    let dir = rel.rsplit_once('/').map_or("", |(d, _)| d).to_string();
                    let name = if root.is_empty() {
                        rel
                    } else {
                        format!("{root}/{rel}")
                    };
                    SourceFile::new(name, dir, bytes)
                })
                .collect(),
        }
    }

    /// Adds one more file after construction (used for the schema file,
    /// which is not a policy file but can carry diagnostics).
    pub fn add(&mut self, name: String, bytes: Vec<u8>) -> FileId {
        self.files.push(SourceFile::new(name, String::new(), bytes));
        FileId(u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX))
    }

    /// All file ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = FileId> + '_ {
        (0..self.files.len()).map(|i| FileId(u32::try_from(i).unwrap_or(u32::MAX)))
    }

    /// The file behind an id.
    ///
    /// # Panics
    /// Never for ids produced by this set.
    #[must_use]
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Number of files.
    #[must_use]
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// A copy in which the bytes of each span are replaced by `*` (keeping a
    /// string literal's quotes), for rendering diagnostics without printing
    /// secrets that a policy wrongly holds in plain text. Offsets and line
    /// numbers stay the same.
    #[must_use]
    pub fn redacted(&self, spans: &[crate::span::Span]) -> SourceSet {
        let mut out = self.clone();
        for span in spans {
            let Some(file) = out.files.get_mut(span.file.0 as usize) else {
                continue;
            };
            let Some(text) = file.text.as_mut() else {
                continue;
            };
            let mut range = span.range();
            if range.end > text.len() || range.start >= range.end {
                continue;
            }
            let bytes = text.as_bytes();
            if range.end - range.start >= 2
                && bytes[range.start] == b'"'
                && bytes[range.end - 1] == b'"'
            {
                range = range.start + 1..range.end - 1;
            }
            let mut masked = std::mem::take(text).into_bytes();
            for b in &mut masked[range] {
                *b = b'*';
            }
            // Replacing whole UTF-8 sequences by ASCII keeps the text valid,
            // but a span edge inside a sequence would not: fall back to lossy.
            *text = String::from_utf8(masked)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        }
        out
    }

    fn get(&self, id: FileId) -> Result<&SourceFile, files::Error> {
        self.files
            .get(id.0 as usize)
            .ok_or(files::Error::FileMissing)
    }
}

impl<'a> Files<'a> for SourceSet {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, files::Error> {
        Ok(self.get(id)?.name.as_str())
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, files::Error> {
        Ok(self.get(id)?.source())
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, files::Error> {
        Ok(self.get(id)?.line_index_of(byte_index))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, files::Error> {
        let file = self.get(id)?;
        let start = *file
            .line_starts
            .get(line_index)
            .ok_or(files::Error::LineTooLarge {
                given: line_index,
                max: file.line_starts.len() - 1,
            })?;
        let end = file
            .line_starts
            .get(line_index + 1)
            .copied()
            .unwrap_or(file.source().len());
        Ok(start..end)
    }
}

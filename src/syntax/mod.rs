//! The syntax stage: text → [`crate::ast::File`].
//!
//! pest is used only inside this module. A syntax error stops only the file
//! it is in; the caller still resolves and checks the other files.

use crate::ast;
use crate::diag::Diagnostics;
use crate::source::FileId;

/// Parses one file. Returns `None` when the file has a syntax error (which
/// is reported in `diags`).
pub fn parse_file(id: FileId, text: &str, diags: &mut Diagnostics) -> Option<ast::File> {
    let _ = (id, text, diags);
    None
}

//! The stable diagnostic codes.
//!
//! Codes are grouped by pipeline stage by their letter: `S` syntax,
//! `R` resolve, `C` check (schema violations), `L` lint (likely mistakes in
//! otherwise valid policies), `B` build, `I` import, `X` schema file. A code is never
//! reused for another meaning; a retired code stays in this list.

use super::Severity;

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = ($code:literal, $name:literal, $sev:ident), )*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in numbering order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as shown to users, e.g. `C0201`.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// A short kebab-case name, e.g. `unknown-key`.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The `polc explain` page of this code (Markdown).
            #[must_use]
            pub fn explanation(self) -> &'static str {
                match self { $(Code::$variant => include_str!(concat!("explain/", $code, ".md")),)* }
            }

            /// The severity a diagnostic with this code has unless the schema
            /// says otherwise.
            #[must_use]
            pub fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }
        }
    };
}

codes! {
    // ---- syntax ----
    /// The file does not follow the grammar.
    SyntaxError = ("S0001", "syntax-error", Error),
    /// The file is not valid UTF-8.
    InvalidUtf8 = ("S0002", "invalid-utf8", Error),
    /// A string escape is malformed (`\q`, `\u{110000}`).
    InvalidEscape = ("S0003", "invalid-escape", Error),
    /// A number literal does not fit (integer overflow).
    InvalidNumber = ("S0004", "invalid-number", Error),
    /// An object literal names the same key twice.
    DuplicateObjectKey = ("S0005", "duplicate-object-key", Error),
    /// A `meta` block inside a `meta` block, or a `meta` block used with an operator.
    MisplacedMeta = ("S0006", "misplaced-meta", Error),

    // ---- resolve ----
    /// `extends` names a profile that does not exist.
    UnknownParent = ("R0101", "unknown-parent", Error),
    /// Profiles extend each other in a cycle.
    InheritanceCycle = ("R0102", "inheritance-cycle", Error),
    /// Two profiles have the same name.
    DuplicateProfile = ("R0103", "duplicate-profile", Error),
    /// Two `let`s bind the same name in one scope.
    DuplicateLet = ("R0104", "duplicate-let", Error),
    /// Two unrelated ancestors set a key to different values.
    AmbiguousInheritance = ("R0105", "ambiguous-inheritance", Error),
    /// One profile body assigns a key with `=` twice.
    DuplicateAssignment = ("R0106", "duplicate-assignment", Error),
    /// A name that is neither a `let` nor a loop variable.
    UnknownVariable = ("R0107", "unknown-variable", Error),
    /// `let`s that refer to each other in a cycle.
    LetCycle = ("R0108", "let-cycle", Error),
    /// A profile name that cannot be used in file names and identifiers.
    InvalidProfileName = ("R0109", "invalid-profile-name", Error),
    /// An expression used where its kind of value does not fit (looping over
    /// a number, interpolating a list, field access on a string).
    InvalidExpression = ("R0110", "invalid-expression", Error),
    /// Field access names a field the object does not have.
    UnknownField = ("R0111", "unknown-field", Error),
    /// `file()` names a path outside the policy set's directory.
    FileOutsidePolicySet = ("R0112", "file-outside-policy-set", Error),
    /// `file()` names a file that cannot be read.
    FileUnreadable = ("R0113", "file-unreadable", Error),
    /// A profile names the same parent twice.
    DuplicateParent = ("R0114", "duplicate-parent", Warning),
    /// `-=` removes something that is not there.
    NothingToRemove = ("R0115", "nothing-to-remove", Warning),
    /// An `=` discards a `+=`, `-=` or `unset` made by an unrelated ancestor.
    DiscardedChange = ("R0116", "discarded-change", Warning),
    /// `profile` used outside a string that belongs to a profile.
    ProfileOutsideProfile = ("R0117", "profile-outside-profile", Error),

    // ---- check ----
    /// A key the schema does not know.
    UnknownKey = ("C0201", "unknown-key", Error),
    /// A value of the wrong type for its key.
    TypeMismatch = ("C0202", "type-mismatch", Error),
    /// A value that is not one of the key's allowed values.
    InvalidEnumValue = ("C0203", "invalid-enum-value", Error),
    /// A number outside its range, or a text that is too long.
    OutOfRange = ("C0204", "out-of-range", Error),
    /// A value that does not have the required format.
    InvalidFormat = ("C0205", "invalid-format", Error),
    /// A URL that embeds a user name or password.
    CredentialsInUrl = ("C0206", "credentials-in-url", Error),
    /// A concrete profile that lacks what its provider needs.
    IncompleteProvider = ("C0207", "incomplete-provider", Error),
    /// A key that needs another key which is not set.
    MissingDependency = ("C0208", "missing-dependency", Error),
    /// Keys or fields that must not be used together.
    ConflictingKeys = ("C0209", "conflicting-keys", Error),
    /// Two entries of a list with the same identity (two MCP servers named `jira`).
    DuplicateIdentity = ("C0210", "duplicate-identity", Error),
    /// An object entry without a required field.
    MissingField = ("C0211", "missing-field", Error),
    /// An object entry with a field its type does not have.
    UnknownObjectField = ("C0212", "unknown-object-field", Error),
    /// A concrete profile without `meta.identifier`.
    MissingIdentifier = ("C0213", "missing-identifier", Error),
    /// A `meta` field that does not exist or has a bad value.
    InvalidMeta = ("C0214", "invalid-meta", Error),
    /// `+=` or `-=` on a key whose type has nothing to add to or remove from.
    InvalidOperator = ("C0215", "invalid-operator", Error),
    /// More than one of a set of alternatives that must be exclusive.
    TooManyAlternatives = ("C0216", "too-many-alternatives", Error),
    /// A profile delivered by bootstrap whose devices never fetch the response.
    BootstrapNotFetched = ("C0217", "bootstrap-not-fetched", Error),
    /// A URL with a loopback host in a bootstrap response: the app drops it.
    LoopbackInBootstrap = ("C0218", "loopback-in-bootstrap", Error),
    /// A served base URL on another origin than the bootstrap URL: the app drops it.
    BootstrapOriginMismatch = ("C0219", "bootstrap-origin-mismatch", Error),
    /// Two concrete profiles with the same identifier: one replaces the other on devices.
    DuplicateIdentifier = ("C0220", "duplicate-identifier", Error),
    /// Two keys whose names differ only in case: one registry value on Windows.
    RegistryNameCollision = ("C0221", "registry-name-collision", Error),

    // ---- lint ----
    /// A key of a provider other than the selected one: the app ignores it.
    InactiveProviderKey = ("L0301", "inactive-provider-key", Warning),
    /// A deprecated key.
    DeprecatedKey = ("L0302", "deprecated-key", Warning),
    /// A deprecated value of a key.
    DeprecatedValue = ("L0303", "deprecated-value", Warning),
    /// A key newer than the fleet's oldest app version.
    KeyNewerThanFleet = ("L0304", "key-newer-than-fleet", Warning),
    /// A secret written as plain text in the policy.
    PlaintextSecret = ("L0305", "plaintext-secret", Warning),
    /// An override equal to the inherited value.
    RedundantOverride = ("L0306", "redundant-override", Warning),
    /// A profile that sets only app-behavior keys leaves the local configuration editable.
    AppBehaviorOnly = ("L0307", "app-behavior-only", Info),
    /// A key that the standard (first-party) deployment reads and third-party mode ignores.
    IgnoredKey = ("L0308", "ignored-key", Warning),
    /// A key known only from reverse engineering, not from the vendor's documentation.
    UnverifiedKey = ("L0309", "unverified-key", Info),
    /// A combination the app accepts but that probably does not do what was meant.
    SuspiciousCombination = ("L0310", "suspicious-combination", Warning),

    // ---- build ----
    /// `env()` names a variable that is not set at build time.
    MissingEnv = ("B0401", "missing-env", Error),
    /// A value has a character a `.mobileconfig` (XML) cannot hold.
    UnrepresentableInPlist = ("B0402", "unrepresentable-in-plist", Error),
    /// A value has a character a `.reg` (REG_SZ) cannot hold.
    UnrepresentableInReg = ("B0404", "unrepresentable-in-reg", Error),
    /// A value read with `env()` is not valid where it is used.
    InvalidEnvValue = ("B0403", "invalid-env-value", Error),
    /// A rule of the schema is broken once the values `env()` reads are known.
    EnvRuleViolation = ("B0405", "env-rule-violation", Error),

    // ---- import ----
    /// The file to import is not a configuration polc can read.
    ImportUnreadable = ("I0501", "import-unreadable", Error),
    /// The imported configuration has a key the schema does not know.
    ImportUnknownKey = ("I0502", "import-unknown-key", Warning),
    /// An imported value cannot be decoded as its key's type.
    ImportUndecodableValue = ("I0503", "import-undecodable-value", Error),
    /// An imported secret was replaced by an `env()` reference.
    ImportSecret = ("I0504", "import-secret", Info),
    /// The imported file holds settings the app does not apply as its managed
    /// configuration (MCX `Set-Once`, `HKCU` under machine policy, subkeys).
    ImportIgnoredSettings = ("I0505", "import-ignored-settings", Warning),
    /// An imported registry value has a type the app cannot read.
    ImportUnreadableType = ("I0506", "import-unreadable-type", Error),
    /// An imported registry value is a `REG_DWORD`, which not every app version reads.
    ImportDwordValue = ("I0507", "import-dword-value", Warning),
    /// An imported key has different values in two places of equal rank.
    ImportConflictingValues = ("I0508", "import-conflicting-values", Error),

    // ---- schema file ----
    /// The schema file is not valid JSON or does not follow the schema format.
    InvalidSchema = ("X0901", "invalid-schema", Error),
}

impl Code {
    /// Whether a diagnostic with this code is about a secret written in the
    /// source (a plain-text secret, a URL with a password): its primary
    /// span is masked wherever a source line is quoted.
    #[must_use]
    pub fn marks_secret(self) -> bool {
        matches!(self, Code::PlaintextSecret | Code::CredentialsInUrl)
    }

    /// Looks a code up by its code (`C0201`, case-insensitive) or its name
    /// (`unknown-key`).
    #[must_use]
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(text) || c.name() == text)
    }
}

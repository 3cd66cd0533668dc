//! Profile Manifest (`pfm_` plist) and Jamf JSON-schema manifest generated from the schema.

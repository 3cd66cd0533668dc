//! ADMX/ADML administrative templates (a zip) generated from the schema.

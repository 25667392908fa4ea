// Package pluginconfig turns a plugin's schema into HCL decoding, the way
// Terraform does for providers: the host decodes and checks the body of a
// connector or step block against the schema the plugin declared, before the
// plugin is configured or even started, so that a typo is reported at the
// user's file, line and column.
//
// Spec builds the hcldec specification of a schema block; Decode applies it
// and marks sensitive values so that they are never printed. Diagnostics maps
// the attribute paths of a plugin's own diagnostics (from Configure) back to
// source ranges, and Document renders a schema as the plain-text reference
// shown by `switchboard plugins inspect`.
package pluginconfig

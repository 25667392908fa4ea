// Package lockfile reads and writes the plugin lock file,
// switchboard.lock.json: for every plugin a configuration uses, its kind,
// name, version, protocol version, the sha256 of its executable and the
// schema it declared. `switchboard plugins lock` writes it after starting
// each plugin once; `validate` and `test` read it to decode and check the
// configuration without starting any plugin, and the host refuses to start
// an executable whose checksum differs.
//
// The file is JSON with a format version, its entries sorted by kind and
// name and each schema in the wire contract's JSON form, so that the same
// plugins always give the same bytes and a change reads well in a diff.
package lockfile

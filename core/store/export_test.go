package store

// RowsWritten is how many rows s has inserted, updated or deleted in
// committed transactions, for the benchmarks.
func RowsWritten(s Store) int64 { return s.(*sqlStore).written.Load() }

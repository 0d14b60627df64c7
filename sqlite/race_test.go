//go:build race

package sqlite

// raceEnabled scales down the tests that seed large corpora: the race
// detector makes them ten times slower and finds nothing more in them.
const raceEnabled = true

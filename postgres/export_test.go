package postgres

import "time"

// SetListenBackoff sets the listener's first reconnect delay, so a test can
// act while it is disconnected; the returned func restores it.
func SetListenBackoff(d time.Duration) (restore func()) {
	old := listenBackoffMin
	listenBackoffMin = d
	return func() { listenBackoffMin = old }
}

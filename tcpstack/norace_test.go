//go:build !race

package tcpstack

const raceEnabled = false

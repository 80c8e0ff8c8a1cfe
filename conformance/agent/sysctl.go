package agent

import "regexp"

// sysctlKey is what the sysctl op takes: net.* keys only, in dotted form.
var sysctlKey = regexp.MustCompile(`^net\.[a-z0-9_]+(\.[a-z0-9_]+)+$`)

func checkSysctl(key, value string) error {
	if !sysctlKey.MatchString(key) {
		return badRequest("sysctl %q: want a net.* key in dotted form, such as net.ipv4.tcp_sack", key)
	}
	if value == "" || len(value) > 256 {
		return badRequest("sysctl %s: want a value of 1 to 256 bytes", key)
	}
	for _, c := range value {
		if c < ' ' && c != '\t' || c > '~' {
			return badRequest("sysctl %s: value %q has a control character", key, value)
		}
	}
	return nil
}

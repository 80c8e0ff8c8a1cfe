package html

import (
	"strings"
	"unicode"
)

// rfc9293Sections maps each requirement label of RFC 9293 (Appendix B:
// MUST-1..69, SHLD-1..31, MAY-1..18) to the section of the RFC's body where
// the label stands, read from the RFC's text: the first place the label
// appears (MUST-22, which the body states without its label, at the
// paragraph of §3.8.3 that says it).
var rfc9293Sections = map[string]string{
	"MUST-1": "3.1", "MUST-2": "3.1", "MUST-3": "3.1", "MUST-4": "3.1", "MUST-5": "3.1",
	"MUST-6": "3.1", "MUST-7": "3.1", "MUST-8": "3.4.1", "MUST-9": "3.4.1", "MUST-10": "3.5",
	"MUST-11": "3.5", "MUST-12": "3.6", "MUST-13": "3.6.1", "MUST-14": "3.1", "MUST-15": "3.7.1",
	"MUST-16": "3.7.1", "MUST-17": "3.7.4", "MUST-18": "3.8.1", "MUST-19": "3.8.2", "MUST-20": "3.8.3",
	"MUST-21": "3.8.3", "MUST-22": "3.8.3", "MUST-23": "3.8.3", "MUST-24": "3.8.4", "MUST-25": "3.8.4",
	"MUST-26": "3.8.4", "MUST-27": "3.8.4", "MUST-28": "3.8.4", "MUST-29": "3.8.4", "MUST-30": "3.8.5",
	"MUST-31": "3.8.5", "MUST-32": "3.8.5", "MUST-33": "3.8.5", "MUST-34": "3.8.6", "MUST-35": "3.8.6",
	"MUST-36": "3.8.6.1", "MUST-37": "3.8.6.1", "MUST-38": "3.8.6.2.1", "MUST-39": "3.8.6.2.2", "MUST-40": "3.8.6.3",
	"MUST-41": "3.9.1.1", "MUST-42": "3.9.1.1", "MUST-43": "3.9.1.1", "MUST-44": "3.9.1.1", "MUST-45": "3.9.1.1",
	"MUST-46": "3.9.1.1", "MUST-47": "3.9.1.8", "MUST-48": "3.9.1.9", "MUST-49": "3.9.2", "MUST-50": "3.9.2",
	"MUST-51": "3.9.2.1", "MUST-52": "3.9.2.1", "MUST-53": "3.9.2.1", "MUST-54": "3.9.2.2", "MUST-55": "3.9.2.2",
	"MUST-56": "3.9.2.2", "MUST-57": "3.9.2.3", "MUST-58": "3.10.7.4", "MUST-59": "3.10.7.4", "MUST-60": "3.9.1.2",
	"MUST-61": "3.9.1.2", "MUST-62": "3.8.5", "MUST-63": "3.9.2.3", "MUST-64": "3.2", "MUST-65": "3.2",
	"MUST-66": "3.4", "MUST-67": "3.7.1", "MUST-68": "3.1", "MUST-69": "3.1",
	"SHLD-1": "3.4.1", "SHLD-2": "3.5.3", "SHLD-3": "3.6.1", "SHLD-4": "3.6.1", "SHLD-5": "3.7.1",
	"SHLD-6": "3.7.3", "SHLD-7": "3.7.4", "SHLD-8": "3.8.2", "SHLD-9": "3.8.3", "SHLD-10": "3.8.3",
	"SHLD-11": "3.8.3", "SHLD-12": "3.8.4", "SHLD-13": "3.8.5", "SHLD-14": "3.8.6", "SHLD-15": "3.8.6",
	"SHLD-16": "3.8.6", "SHLD-17": "3.8.6", "SHLD-18": "3.8.6.3", "SHLD-19": "3.8.6.3", "SHLD-20": "3.9.1.8",
	"SHLD-21": "3.9.1.9", "SHLD-22": "3.9.1.9", "SHLD-23": "3.9.2", "SHLD-24": "3.9.2.1", "SHLD-25": "3.9.2.2",
	"SHLD-26": "3.9.2.2", "SHLD-27": "3.9.1.2", "SHLD-28": "3.9.1.2", "SHLD-29": "3.8.6.1", "SHLD-30": "3.8.6.1",
	"SHLD-31": "3.10.7.4",
	"MAY-1":   "3.6.1", "MAY-2": "3.6.1", "MAY-3": "3.7.1", "MAY-4": "3.8.1", "MAY-5": "3.8.4",
	"MAY-6": "3.8.4", "MAY-7": "3.8.6", "MAY-8": "3.8.6.1", "MAY-9": "3.9.1.9", "MAY-10": "3.9.2",
	"MAY-11": "3.9.2", "MAY-12": "3.10.7.4", "MAY-13": "3.10.7.4", "MAY-14": "3.9.1.7", "MAY-15": "3.9.1.2",
	"MAY-16": "3.9.1.2", "MAY-17": "3.9.1.3", "MAY-18": "3.8.2",
}

// rfcBase is where the RFC Editor publishes RFCs, one HTML page each, with
// an anchor per section ("#section-3.10.7.4").
const rfcBase = "https://www.rfc-editor.org/rfc/"

// RequirementURL returns the address of the place in its RFC that a case's
// requirement names, or "" when req does not name an RFC:
//
//	"RFC9293 MUST-53"            → …/rfc9293#section-3.9.2.1 (the label's section)
//	"RFC9293 §3.10.7.4"          → …/rfc9293#section-3.10.7.4
//	"RFC1337 §3 (fix F1)"        → …/rfc1337#section-3
//	"RFC9293 SHLD-31 (partial)"  → …/rfc9293#section-3.10.7.4
//	"RFC2018"                    → …/rfc2018
func RequirementURL(req string) string {
	f := strings.Fields(req)
	if len(f) == 0 || len(f[0]) < 4 || !strings.EqualFold(f[0][:3], "RFC") {
		return ""
	}
	num := f[0][3:]
	for _, c := range num {
		if !unicode.IsDigit(c) {
			return ""
		}
	}
	page := rfcBase + "rfc" + num
	if len(f) < 2 {
		return page
	}
	ref := strings.ToUpper(strings.TrimRight(f[1], ",;:"))
	if num == "9293" {
		if strings.HasPrefix(ref, "SHOULD-") {
			ref = "SHLD-" + strings.TrimPrefix(ref, "SHOULD-")
		}
		if sec, ok := rfc9293Sections[ref]; ok {
			return page + "#section-" + sec
		}
	}
	if sec, ok := strings.CutPrefix(f[1], "§"); ok && sec != "" {
		return page + "#section-" + strings.TrimRight(sec, ".,;:")
	}
	return page
}

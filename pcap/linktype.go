package pcap

import (
	"fmt"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// LinkType is a libpcap link-layer header type (LINKTYPE_*/DLT_*). It is a
// [gopacket.Decoder], so a handle's link type can decode its packets:
//
//	gopacket.NewPacketSource(h, h.LinkType())
type LinkType int

// Common link types.
const (
	LinkTypeNull      LinkType = 0
	LinkTypeEthernet  LinkType = 1
	LinkTypeRaw       LinkType = 101
	LinkTypeLoop      LinkType = 108
	LinkTypeLinuxSLL  LinkType = 113
	LinkTypeIPv4      LinkType = 228
	LinkTypeIPv6      LinkType = 229
	LinkTypeLinuxSLL2 LinkType = 276
)

// String returns libpcap's name for the link type ("EN10MB", "RAW", ...),
// or LinkType(N) when libpcap has none.
func (l LinkType) String() string {
	if name, _ := cDatalinkName(l.dlt()); name != "" {
		return name
	}
	return fmt.Sprintf("LinkType(%d)", int(l))
}

// Description returns libpcap's description of the link type ("Ethernet",
// "Raw IP", ...), or the empty string.
func (l LinkType) Description() string {
	_, desc := cDatalinkName(l.dlt())
	return desc
}

// Decode decodes a packet of this link type with gopacket's layers.
func (l LinkType) Decode(data []byte, p gopacket.PacketBuilder) error {
	return layers.LinkType(l).Decode(data, p)
}

// LinkTypeByName looks a link type up by libpcap's name, case-insensitively
// ("EN10MB", "raw", "LINUX_SLL"; the DLT_ prefix is optional).
func LinkTypeByName(name string) (LinkType, error) {
	if v := cDatalinkByName(name); v >= 0 {
		return fromDLT(v), nil
	}
	if len(name) > 4 && (name[:4] == "DLT_" || name[:4] == "dlt_") {
		if v := cDatalinkByName(name[4:]); v >= 0 {
			return fromDLT(v), nil
		}
	}
	return 0, fmt.Errorf("pcap: unknown link type name %q (libpcap names look like EN10MB, RAW, LINUX_SLL)", name)
}

// LinkTypeInfo describes one link type a device offers.
type LinkTypeInfo struct {
	Type        LinkType
	Name        string
	Description string
}

// LinkType returns the handle's link-layer header type.
// It stays known after Close.
func (h *Handle) LinkType() LinkType { return h.lt }

// SetLinkType selects one of the link types the device offers (see
// [Handle.ListLinkTypes]).
func (h *Handle) SetLinkType(lt LinkType) error {
	if err := h.use(); err != nil {
		return err
	}
	defer h.release()
	h.cMu.Lock()
	defer h.cMu.Unlock()
	if r := cSetDatalink(h.c, lt.dlt()); r < 0 {
		return statusError("setlinktype", h.source, r, cGeterr(h.c))
	}
	h.lt = fromDLT(cDatalink(h.c))
	return nil
}

// ListLinkTypes returns the link types the device can deliver.
func (h *Handle) ListLinkTypes() ([]LinkTypeInfo, error) {
	if err := h.use(); err != nil {
		return nil, err
	}
	defer h.release()
	h.cMu.Lock()
	list, r := cListDatalinks(h.c)
	msg := ""
	if r < 0 {
		msg = cGeterr(h.c)
	}
	h.cMu.Unlock()
	if r < 0 {
		return nil, statusError("listlinktypes", h.source, r, msg)
	}
	out := make([]LinkTypeInfo, len(list))
	for i, v := range list {
		name, desc := cDatalinkName(v)
		out[i] = LinkTypeInfo{Type: fromDLT(v), Name: name, Description: desc}
	}
	return out, nil
}

// TimestampType is a source of time stamps (PCAP_TSTAMP_*).
type TimestampType int

// libpcap's API speaks DLT_* values, which differ from the LINKTYPE_* values
// stored in files for a few link types; LinkType is always the LINKTYPE_*
// value (what files hold and gopacket decodes), converted at the C boundary.
var dltToLinkType = map[int]LinkType{
	11: 100, // DLT_ATM_RFC1483
	12: 101, // DLT_RAW
	15: 102, // DLT_SLIP_BSDOS
	16: 103, // DLT_PPP_BSDOS
	19: 106, // DLT_ATM_CLIP (Linux)
}

var linkTypeToDLT = map[LinkType]int{100: 11, 101: 12, 102: 15, 103: 16, 106: 19}

func fromDLT(v int) LinkType {
	if lt, ok := dltToLinkType[v]; ok {
		return lt
	}
	return LinkType(v)
}

func (l LinkType) dlt() int {
	if v, ok := linkTypeToDLT[l]; ok {
		return v
	}
	return int(l)
}

// String returns libpcap's name for the time stamp type ("host", "adapter", ...).
func (t TimestampType) String() string {
	if name, _ := cTstampTypeName(int(t)); name != "" {
		return name
	}
	return fmt.Sprintf("TimestampType(%d)", int(t))
}

// Description returns libpcap's description of the time stamp type.
func (t TimestampType) Description() string {
	_, desc := cTstampTypeName(int(t))
	return desc
}

// TimestampTypeByName looks a time stamp type up by name ("host", "adapter_unsynced", ...).
func TimestampTypeByName(name string) (TimestampType, error) {
	if v := cTstampTypeByName(name); v >= 0 {
		return TimestampType(v), nil
	}
	return 0, fmt.Errorf("pcap: unknown time stamp type %q (names: host, host_lowprec, host_hiprec, adapter, adapter_unsynced)", name)
}

// TimestampTypes lists the time stamp types the device supports; call it
// before Activate. An empty list means only the default is available.
func (h *Handle) TimestampTypes() ([]TimestampType, error) {
	if h.closed() {
		return nil, ErrClosed
	}
	if !h.acquire() {
		return nil, ErrClosed
	}
	defer h.release()
	list, r := cListTstampTypes(h.c)
	if r < 0 {
		return nil, statusError("listtstamptypes", h.source, r, cGeterr(h.c))
	}
	out := make([]TimestampType, len(list))
	for i, v := range list {
		out[i] = TimestampType(v)
	}
	return out, nil
}

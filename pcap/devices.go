package pcap

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"
)

// Flags are an interface's PCAP_IF_* flags.
type Flags uint32

// Interface flags.
const (
	FlagLoopback Flags = Flags(cIfLoopback)
	FlagUp       Flags = Flags(cIfUp)
	FlagRunning  Flags = Flags(cIfRunning)
	FlagWireless Flags = Flags(cIfWireless)
)

// Loopback reports whether the interface is a loopback interface.
func (f Flags) Loopback() bool { return f&FlagLoopback != 0 }

// Up reports whether the interface is up.
func (f Flags) Up() bool { return f&FlagUp != 0 }

// Running reports whether the interface is running.
func (f Flags) Running() bool { return f&FlagRunning != 0 }

// Wireless reports whether the interface is wireless (not necessarily Wi-Fi).
func (f Flags) Wireless() bool { return f&FlagWireless != 0 }

// ConnectionStatus returns the interface's connection status.
func (f Flags) ConnectionStatus() ConnectionStatus {
	return ConnectionStatus(uint32(f) & cIfConnStatusMask)
}

func (f Flags) String() string {
	var parts []string
	for _, x := range []struct {
		on   bool
		name string
	}{{f.Up(), "UP"}, {f.Running(), "RUNNING"}, {f.Loopback(), "LOOPBACK"}, {f.Wireless(), "WIRELESS"}} {
		if x.on {
			parts = append(parts, x.name)
		}
	}
	if cs := f.ConnectionStatus(); cs != StatusUnknown {
		parts = append(parts, cs.String())
	}
	return strings.Join(parts, ",")
}

// ConnectionStatus is whether an interface is connected to a network.
type ConnectionStatus uint32

// Connection states.
const (
	StatusUnknown       ConnectionStatus = 0
	StatusConnected     ConnectionStatus = ConnectionStatus(cIfConnConnected)
	StatusDisconnected  ConnectionStatus = ConnectionStatus(cIfConnDisconnected)
	StatusNotApplicable ConnectionStatus = ConnectionStatus(cIfConnNotApplic)
)

func (s ConnectionStatus) String() string {
	switch s {
	case StatusConnected:
		return "CONNECTED"
	case StatusDisconnected:
		return "DISCONNECTED"
	case StatusNotApplicable:
		return "NOT_APPLICABLE"
	}
	return "UNKNOWN"
}

// Family is the kind of a device address.
type Family int

// Address families. FamilyLink is a link-layer address (AF_PACKET on Linux,
// AF_LINK on the BSDs and macOS).
const (
	FamilyNone  Family = Family(cAFNone)
	FamilyInet  Family = Family(cAFInet)
	FamilyInet6 Family = Family(cAFInet6)
	FamilyLink  Family = Family(cAFLink)
)

func (f Family) String() string {
	switch f {
	case FamilyInet:
		return "inet"
	case FamilyInet6:
		return "inet6"
	case FamilyLink:
		return "link"
	}
	return "none"
}

// Sockaddr is one address of any family. The zero value (Family
// FamilyNone) means the address is absent.
type Sockaddr struct {
	Family       Family
	IP           net.IP           // FamilyInet, FamilyInet6
	Zone         string           // IPv6 scope (interface name), when set
	HardwareAddr net.HardwareAddr // FamilyLink
	Index        int              // FamilyLink: interface index
	HardwareType int              // FamilyLink: ARPHRD_* (Linux) or IFT_* type
	OSFamily     int              // the operating system's AF_* number; 0 when absent
}

// IsZero reports whether the address is absent.
func (a Sockaddr) IsZero() bool { return a.Family == FamilyNone }

func (a Sockaddr) String() string {
	switch a.Family {
	case FamilyInet, FamilyInet6:
		if a.Zone != "" {
			return a.IP.String() + "%" + a.Zone
		}
		return a.IP.String()
	case FamilyLink:
		return a.HardwareAddr.String()
	}
	return ""
}

// InterfaceAddress is one address of an interface with its netmask,
// broadcast and point-to-point destination addresses; each is the zero
// Sockaddr when libpcap reports none.
type InterfaceAddress struct {
	Addr        Sockaddr
	Netmask     Sockaddr
	Broadcast   Sockaddr
	Destination Sockaddr
}

// IPNet returns the address and netmask as a net.IPNet, or nil when the
// address is not an IP address.
func (a InterfaceAddress) IPNet() *net.IPNet {
	if a.Addr.Family != FamilyInet && a.Addr.Family != FamilyInet6 {
		return nil
	}
	n := &net.IPNet{IP: a.Addr.IP}
	if a.Netmask.Family == a.Addr.Family {
		n.Mask = net.IPMask(a.Netmask.IP)
	}
	return n
}

// Interface is a capture device.
type Interface struct {
	Name        string
	Description string
	Flags       Flags
	Addresses   []InterfaceAddress
}

// FindAllDevs lists the capture devices and every address of each, of any
// family.
func FindAllDevs() ([]Interface, error) {
	eb := newErrbuf()
	defer eb.free()
	devs, ok := cFindAllDevs(eb)
	if !ok {
		msg := eb.String()
		err := &Error{Op: "findalldevs", Code: -1, Msg: msg}
		if isPermissionText(msg) {
			err.Err = ErrPermission
		}
		return nil, err
	}
	out := make([]Interface, 0, len(devs))
	for _, d := range devs {
		ifc := Interface{Name: d.name, Description: d.desc, Flags: Flags(d.flags)}
		for _, a := range d.addrs {
			ifc.Addresses = append(ifc.Addresses, InterfaceAddress{
				Addr: sockaddr(a[0]), Netmask: sockaddr(a[1]), Broadcast: sockaddr(a[2]), Destination: sockaddr(a[3]),
			})
		}
		out = append(out, ifc)
	}
	return out, nil
}

func sockaddr(a cDevAddr) Sockaddr {
	s := Sockaddr{Family: Family(a.kind), OSFamily: a.family}
	switch s.Family {
	case FamilyInet, FamilyInet6:
		s.IP = net.IP(a.addr)
		if a.scope != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.scope)); err == nil {
				s.Zone = ifi.Name
			} else {
				s.Zone = fmt.Sprint(a.scope)
			}
		}
	case FamilyLink:
		if len(a.addr) > 0 {
			s.HardwareAddr = net.HardwareAddr(a.addr)
		}
		s.Index = a.index
		s.HardwareType = a.hatype
	}
	return s
}

// LookupNet returns the IPv4 network number and netmask of device.
func LookupNet(device string) (network, mask net.IP, err error) {
	eb := newErrbuf()
	defer eb.free()
	n, m, ok := cLookupNet(device, eb)
	if !ok {
		msg := eb.String()
		e := &Error{Op: "lookupnet", Source: device, Code: -1, Msg: msg}
		if strings.Contains(msg, "No such device") {
			return nil, nil, &DeviceError{Device: device, Available: deviceNames()}
		}
		return nil, nil, e
	}
	return netIP(n), netIP(m), nil
}

// LookupDev returns the default capture device: the first device that is up,
// not a loopback and has an address, as libpcap's pcap_lookupdev chose it.
func LookupDev() (string, error) {
	devs, err := FindAllDevs()
	if err != nil {
		return "", err
	}
	for _, d := range devs {
		if d.Flags.Up() && !d.Flags.Loopback() && len(d.Addresses) > 0 {
			return d.Name, nil
		}
	}
	for _, d := range devs {
		if d.Flags.Up() && !d.Flags.Loopback() {
			return d.Name, nil
		}
	}
	if len(devs) > 0 {
		return devs[0].Name, nil
	}
	return "", fmt.Errorf("pcap: lookupdev: %w: no capture devices are visible", ErrNoSuchDevice)
}

func deviceNames() []string {
	devs, err := FindAllDevs()
	if err != nil {
		return nil
	}
	names := make([]string, len(devs))
	for i, d := range devs {
		names[i] = d.Name
	}
	return names
}

// netIP turns a bpf_u_int32 holding an address in network byte order into
// a net.IP.
func netIP(v uint32) net.IP {
	ip := make(net.IP, 4)
	binary.NativeEndian.PutUint32(ip, v)
	return ip
}

// hostToNet turns a host-order IPv4 value into the network-order form
// libpcap's bpf_u_int32 arguments take.
func hostToNet(v uint32) uint32 {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return binary.NativeEndian.Uint32(b[:])
}

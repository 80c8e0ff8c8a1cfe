package tcpdump

import "github.com/gopacket/gopacket/layers"

// LinkHeaderLen returns the length of the link-level header that tcpdump -x
// and -X leave out of their hex dump of a packet of link type lt: the
// Ethernet header with its 802.1Q tags, the Linux SLL or SLL2 header, the
// loopback family, IP over InfiniBand's header, the PPP, Cisco HDLC,
// ARCNET or Juniper header; 0 for raw IP and link types
// the printer does not know.
func LinkHeaderLen(lt layers.LinkType, data []byte) int {
	switch lt {
	case layers.LinkTypeEthernet:
		if len(data) < 14 {
			return len(data)
		}
		n := 14
		for n+4 <= len(data) && isVLAN(be16(data[n-2:n])) {
			n += 4
		}
		return n
	case layers.LinkTypeLinuxSLL:
		return 16
	case layers.LinkTypeLinuxSLL2:
		return 20
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return 4
	case linkTypeIPoIB:
		return 44
	case linkTypePPPSerial, linkTypeCHDLC:
		// Address, control and protocol; only address and control for a
		// PPP_SERIAL frame tcpdump cannot tell.
		n := 4
		if lt == linkTypePPPSerial && len(data) > 0 && data[0] != 0xff && data[0] != 0x0f && data[0] != 0x8f {
			n = 2
		}
		return min(n, len(data))
	case linkTypeARCNET, linkTypeARCNETLinux:
		return arcnetHeaderLen(lt, data)
	case linkTypeJuniperEther:
		return juniperHeaderLen(data)
	}
	return 0
}

// appendLinkTypeName appends libpcap's name for a link type
// (pcap_datalink_val_to_name: "EN10MB", "FRELAY"), or "LinkType(N)" for one
// libpcap does not name.
func appendLinkTypeName(b []byte, lt layers.LinkType) []byte {
	return appendTok(b, linkTypeNames, lt, "LinkType(", ")")
}

// linkTypeNames are libpcap's (1.10) names of link types, by the value
// pcap_datalink() reports for a capture file's link type.
var linkTypeNames = map[layers.LinkType]string{
	0:   "NULL",
	1:   "EN10MB",
	6:   "IEEE802",
	7:   "ARCNET",
	8:   "SLIP",
	9:   "PPP",
	10:  "FDDI",
	11:  "ATM_RFC1483",
	12:  "RAW",
	15:  "SLIP_BSDOS",
	16:  "PPP_BSDOS",
	19:  "ATM_CLIP",
	50:  "PPP_SERIAL",
	51:  "PPP_ETHER",
	99:  "SYMANTEC_FIREWALL",
	100: "ATM_RFC1483",
	101: "RAW",
	102: "SLIP_BSDOS",
	103: "PPP_BSDOS",
	104: "C_HDLC",
	105: "IEEE802_11",
	106: "ATM_CLIP",
	107: "FRELAY",
	108: "LOOP",
	109: "ENC",
	113: "LINUX_SLL",
	114: "LTALK",
	117: "PFLOG",
	119: "PRISM_HEADER",
	122: "IP_OVER_FC",
	123: "SUNATM",
	127: "IEEE802_11_RADIO",
	129: "ARCNET_LINUX",
	130: "JUNIPER_MLPPP",
	131: "JUNIPER_MLFR",
	132: "JUNIPER_ES",
	133: "JUNIPER_GGSN",
	134: "JUNIPER_MFR",
	135: "JUNIPER_ATM2",
	136: "JUNIPER_SERVICES",
	137: "JUNIPER_ATM1",
	138: "APPLE_IP_OVER_IEEE1394",
	139: "MTP2_WITH_PHDR",
	140: "MTP2",
	141: "MTP3",
	142: "SCCP",
	143: "DOCSIS",
	144: "LINUX_IRDA",
	163: "IEEE802_11_RADIO_AVS",
	164: "JUNIPER_MONITOR",
	165: "BACNET_MS_TP",
	166: "PPP_PPPD",
	167: "JUNIPER_PPPOE",
	168: "JUNIPER_PPPOE_ATM",
	169: "GPRS_LLC",
	170: "GPF_T",
	171: "GPF_F",
	174: "JUNIPER_PIC_PEER",
	175: "ERF_ETH",
	176: "ERF_POS",
	177: "LINUX_LAPD",
	178: "JUNIPER_ETHER",
	179: "JUNIPER_PPP",
	180: "JUNIPER_FRELAY",
	181: "JUNIPER_CHDLC",
	182: "MFR",
	183: "JUNIPER_VP",
	184: "A429",
	185: "A653_ICM",
	186: "USB_FREEBSD",
	187: "BLUETOOTH_HCI_H4",
	188: "IEEE802_16_MAC_CPS",
	189: "USB_LINUX",
	190: "CAN20B",
	191: "IEEE802_15_4_LINUX",
	192: "PPI",
	193: "IEEE802_16_MAC_CPS_RADIO",
	194: "JUNIPER_ISM",
	195: "IEEE802_15_4",
	196: "SITA",
	197: "ERF",
	198: "RAIF1",
	199: "IPMB_KONTRON",
	200: "JUNIPER_ST",
	201: "BLUETOOTH_HCI_H4_WITH_PHDR",
	202: "AX25_KISS",
	209: "IPMB_LINUX",
	215: "IEEE802_15_4_NONASK_PHY",
	216: "LINUX_EVDEV",
	219: "MPLS",
	220: "USB_LINUX_MMAPPED",
	221: "DECT",
	222: "AOS",
	223: "WIHART",
	224: "FC_2",
	225: "FC_2_WITH_FRAME_DELIMS",
	226: "IPNET",
	227: "CAN_SOCKETCAN",
	228: "IPV4",
	229: "IPV6",
	230: "IEEE802_15_4_NOFCS",
	231: "DBUS",
	232: "JUNIPER_VS",
	233: "JUNIPER_SRX_E2E",
	234: "JUNIPER_FIBRECHANNEL",
	235: "DVB_CI",
	236: "MUX27010",
	237: "STANAG_5066_D_PDU",
	238: "JUNIPER_ATM_CEMIC",
	239: "NFLOG",
	240: "NETANALYZER",
	241: "NETANALYZER_TRANSPARENT",
	242: "IPOIB",
	243: "MPEG_2_TS",
	244: "NG40",
	245: "NFC_LLCP",
	246: "PFSYNC",
	247: "INFINIBAND",
	248: "SCTP",
	249: "USBPCAP",
	250: "RTAC_SERIAL",
	251: "BLUETOOTH_LE_LL",
	253: "NETLINK",
	254: "BLUETOOTH_LINUX_MONITOR",
	255: "BLUETOOTH_BREDR_BB",
	256: "BLUETOOTH_LE_LL_WITH_PHDR",
	257: "PROFIBUS_DL",
	258: "PKTAP",
	259: "EPON",
	260: "IPMI_HPM_2",
	261: "ZWAVE_R1_R2",
	262: "ZWAVE_R3",
	263: "WATTSTOPPER_DLM",
	264: "ISO_14443",
	265: "RDS",
	266: "USB_DARWIN",
	267: "OPENFLOW",
	268: "SDLC",
	269: "TI_LLN_SNIFFER",
	271: "VSOCK",
	272: "NORDIC_BLE",
	273: "DOCSIS31_XRA31",
	274: "ETHERNET_MPACKET",
	275: "DISPLAYPORT_AUX",
	276: "LINUX_SLL2",
	278: "OPENVIZSLA",
	279: "EBHSCR",
	280: "VPP_DISPATCH",
	281: "DSA_TAG_BRCM",
	282: "DSA_TAG_BRCM_PREPEND",
	283: "IEEE802_15_4_TAP",
	284: "DSA_TAG_DSA",
	285: "DSA_TAG_EDSA",
	286: "ELEE",
	287: "Z_WAVE_SERIAL",
	288: "USB_2_0",
	289: "ATSC_ALP",
}

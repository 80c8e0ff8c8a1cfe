// The floor of reading a capture file with libpcap: one C loop over
// pcap_dispatch whose callback touches every packet, with no Go on the way.
// cloop.go calls it once per benchmark iteration.

#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	long long packets;
	uint64_t sum;
} cloop_acc;

static void cloop_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
	cloop_acc *a = (cloop_acc *)user;
	a->packets++;
	if (h->caplen > 0) a->sum += bytes[0];
}

// cloop_dispatch_sum reads the whole capture at path, counting the packets and
// summing their first bytes. With stdio_buf 0 libpcap opens the file itself
// (pcap_open_offline: stdio's default buffer, st_blksize bytes, 4 KiB on
// ext4); otherwise the file is opened here with a stdio buffer of stdio_buf
// bytes. It returns 0, or -1 with a message in errbuf (PCAP_ERRBUF_SIZE
// bytes).
int cloop_dispatch_sum(const char *path, size_t stdio_buf, long long *packets, uint64_t *sum, char *errbuf) {
	cloop_acc a = {0, 0};
	pcap_t *p;
	char *vbuf = NULL;
	if (stdio_buf == 0) {
		p = pcap_open_offline(path, errbuf);
		if (p == NULL) return -1;
	} else {
		FILE *f = fopen(path, "rb");
		if (f == NULL) {
			snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", strerror(errno));
			return -1;
		}
		// glibc ignores the size unless it is given the buffer too.
		vbuf = malloc(stdio_buf);
		if (vbuf == NULL || setvbuf(f, vbuf, _IOFBF, stdio_buf) != 0) {
			snprintf(errbuf, PCAP_ERRBUF_SIZE, "setting a %zu-byte stdio buffer failed", stdio_buf);
			fclose(f);
			free(vbuf);
			return -1;
		}
		p = pcap_fopen_offline(f, errbuf);
		if (p == NULL) {
			fclose(f);
			free(vbuf);
			return -1;
		}
	}
	int r;
	while ((r = pcap_dispatch(p, -1, cloop_cb, (u_char *)&a)) > 0) {
	}
	if (r < 0) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(p));
	}
	pcap_close(p); // closes the stream, so the buffer is free only after it
	free(vbuf);
	if (r < 0) return -1;
	*packets = a.packets;
	*sum = a.sum;
	return 0;
}

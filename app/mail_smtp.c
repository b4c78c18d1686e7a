/* mail_smtp.c - an e-mail's text and its delivery over SMTP (libcurl). */
#include "mail_smtp.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Encoded words carry at most this many bytes of text each (RFC 2047:
 * an encoded word is at most 75 characters). */
#define WORD_BYTES	45
/* Lines of a 7bit body stay under this (RFC 5322 allows 998). */
#define LINE_MAX_7BIT	900

void mail_address_of(const char *from, char *out, size_t size)
{
	const char *lt = strrchr(from, '<'), *gt;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		snprintf(out, size, "%.*s", (int)(gt - lt - 1), lt + 1);
	else
		snprintf(out, size, "%s", from);
}

static int is_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* Standard base64 (with padding) of n bytes, appended to out. */
static void b64_append(struct buf *out, const unsigned char *p, size_t n)
{
	buf_grow(out, 4 * ((n + 2) / 3) + 1);
	out->len += (size_t)EVP_EncodeBlock((unsigned char *)out->data + out->len,
	    p, (int)n);
	out->data[out->len] = '\0';
}

/* Header text s: as it is when ASCII, else RFC 2047 encoded words of at
 * most WORD_BYTES bytes each, cut between UTF-8 sequences, folded. */
static void header_text(struct buf *out, const char *s)
{
	size_t n = strlen(s), at = 0, take;

	if (is_ascii(s, n)) {
		buf_puts(out, s);
		return;
	}
	while (at < n) {
		take = n - at < WORD_BYTES ? n - at : WORD_BYTES;
		/* do not cut inside a sequence: back up to a lead byte */
		while (at + take < n && take > 1 &&
		    ((unsigned char)s[at + take] & 0xc0) == 0x80)
			take--;
		if (at > 0)
			buf_puts(out, "\r\n ");
		buf_puts(out, "=?UTF-8?B?");
		b64_append(out, (const unsigned char *)s + at, take);
		buf_puts(out, "?=");
		at += take;
	}
}

/* The From header's value: the display name quoted (or encoded), then
 * the address. */
static void from_header(struct buf *out, const char *from)
{
	const char *lt = strrchr(from, '<');
	char addr[320], name[256];
	size_t n, i;

	if (lt == NULL) {
		buf_puts(out, from);
		return;
	}
	mail_address_of(from, addr, sizeof(addr));
	n = (size_t)(lt - from);
	while (n > 0 && from[n - 1] == ' ')
		n--;
	snprintf(name, sizeof(name), "%.*s", (int)n, from);
	if (name[0] == '"' && n >= 2 && name[n - 1] == '"') {
		memmove(name, name + 1, n - 2);
		name[n - 2] = '\0';
	}
	if (name[0] == '\0') {
		buf_printf(out, "<%s>", addr);
		return;
	}
	if (is_ascii(name, strlen(name))) {
		buf_putc(out, '"');
		for (i = 0; name[i]; i++) {
			if (name[i] == '"' || name[i] == '\\')
				buf_putc(out, '\\');
			buf_putc(out, name[i]);
		}
		buf_putc(out, '"');
	} else
		header_text(out, name);
	buf_printf(out, " <%s>", addr);
}

/* RFC 5322 date of t, in UTC, with English names whatever the locale. */
static void date_header(struct buf *out, int64_t t)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	buf_printf(out, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Whether body can travel as 7bit: ASCII, no NUL or CR, short lines. */
static int body_is_7bit(const char *body)
{
	size_t line = 0;
	const char *p;

	for (p = body; *p; p++) {
		if ((unsigned char)*p >= 0x80 || *p == '\r')
			return 0;
		line = *p == '\n' ? 0 : line + 1;
		if (line > LINE_MAX_7BIT)
			return 0;
	}
	return 1;
}

void mail_format(const struct mail_message *m, struct buf *out)
{
	const char *p;
	size_t n = strlen(m->body), i;

	buf_puts(out, "From: ");
	from_header(out, m->from);
	buf_printf(out, "\r\nTo: %s\r\nSubject: ", m->to);
	header_text(out, m->subject);
	buf_puts(out, "\r\nDate: ");
	date_header(out, m->date);
	buf_printf(out, "\r\nMessage-ID: <%s>\r\n", m->message_id);
	buf_puts(out, "Auto-Submitted: auto-generated\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n");
	if (body_is_7bit(m->body)) {
		buf_puts(out, "Content-Transfer-Encoding: 7bit\r\n\r\n");
		for (p = m->body; *p; p++) {
			if (*p == '\n')
				buf_putc(out, '\r');
			buf_putc(out, *p);
		}
		if (n == 0 || m->body[n - 1] != '\n')
			buf_puts(out, "\r\n");
		return;
	}
	buf_puts(out, "Content-Transfer-Encoding: base64\r\n\r\n");
	for (i = 0; i < n; i += 57) {
		b64_append(out, (const unsigned char *)m->body + i,
		    n - i < 57 ? n - i : 57);
		buf_puts(out, "\r\n");
	}
}

/* ------------------------------------------------------------------ */
/* Delivery */

struct upload {
	const char	*data;
	size_t		 len, at;
	int		(*cancelled)(void);
};

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->len - u->at)
		n = u->len - u->at;
	memcpy(ptr, u->data + u->at, n);
	u->at += n;
	return n;
}

static int progress_cb(void *arg, curl_off_t dt, curl_off_t dn,
    curl_off_t ut, curl_off_t un)
{
	struct upload *u = arg;

	(void)dt; (void)dn; (void)ut; (void)un;
	return u->cancelled != NULL && u->cancelled() ? 1 : 0;
}

int smtp_send(const struct smtp_server *s, const char *from_addr,
    const char *to, const char *data, size_t len, struct buf *err)
{
	struct upload u = { data, len, 0, s->cancelled };
	char errbuf[CURL_ERROR_SIZE] = "", env_from[340];
	struct curl_slist *rcpt = NULL;
	struct buf addr = { 0 };
	long code = 0, use_ssl = CURLUSESSL_ALL;
	CURL *h;
	CURLcode rc;

	if ((h = curl_easy_init()) == NULL) {
		buf_puts(err, "libcurl cannot start");
		return -1;
	}
	if (strcmp(s->starttls, "try") == 0)
		use_ssl = CURLUSESSL_TRY;
	else if (strcmp(s->starttls, "off") == 0)
		use_ssl = CURLUSESSL_NONE;
	snprintf(env_from, sizeof(env_from), "<%s>", from_addr);
	buf_printf(&addr, "<%s>", to);
	rcpt = curl_slist_append(rcpt, addr.data);
	curl_easy_setopt(h, CURLOPT_URL, s->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_USE_SSL, use_ssl);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, env_from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &u);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    s->timeout_ms < 10000 ? s->timeout_ms : 10000L);
	if (s->username != NULL && *s->username != '\0') {
		curl_easy_setopt(h, CURLOPT_USERNAME, s->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
		    s->password ? s->password : "");
	}
	if (s->ca_file != NULL && *s->ca_file != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		buf_printf(err, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		if (code > 0)
			buf_printf(err, " (server reply %ld)", code);
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	buf_free(&addr);
	return rc == CURLE_OK ? 0 : -1;
}

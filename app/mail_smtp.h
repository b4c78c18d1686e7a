/* mail_smtp.h - the text of an e-mail (RFC 5322, MIME) and its delivery
 * to an SMTP server with libcurl: smtp:// with STARTTLS required, tried
 * or off, or smtps:// (TLS from the start), optional AUTH.
 *
 * Nothing here touches the database or the configuration: the sender
 * (mail_sender.c) passes what to send and where. Error texts never hold
 * the password.
 */
#ifndef PM_MAIL_SMTP_H
#define PM_MAIL_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Where and how to deliver. */
struct smtp_server {
	const char	*url;		/* smtp://HOST:PORT or smtps://HOST:PORT */
	const char	*starttls;	/* "required", "try" or "off" */
	const char	*username;	/* "" or NULL: no AUTH */
	const char	*password;
	const char	*ca_file;	/* "" or NULL: the system's CAs */
	long		 timeout_ms;	/* the whole delivery */
	/* Polled during the delivery: non-zero aborts it. NULL: never. */
	int		(*cancelled)(void);
};

/* One message. Text is UTF-8; body lines end with "\n". */
struct mail_message {
	const char	*from;		/* "address" or "Name <address>" */
	const char	*to;		/* an address */
	const char	*subject;
	const char	*body;
	const char	*message_id;	/* without the angle brackets */
	int64_t		 date;		/* UTC epoch seconds */
};

/* The address of a sender written "Name <address>" or "address", into out
 * (cut to size). */
void mail_address_of(const char *from, char *out, size_t size);
/* Append message m to out as it travels: headers (non-ASCII text as
 * RFC 2047 encoded words), a text/plain UTF-8 body (7bit when it is
 * ASCII with short lines, else base64), CRLF line ends. */
void mail_format(const struct mail_message *m, struct buf *out);
/* Deliver the len bytes of data (made by mail_format) from envelope
 * sender from_addr to the one recipient to through server s. Returns 0
 * when the server accepted the message, or -1 with the reason (libcurl's
 * and the server's last reply) appended to err. */
int smtp_send(const struct smtp_server *s, const char *from_addr,
    const char *to, const char *data, size_t len, struct buf *err);

#endif

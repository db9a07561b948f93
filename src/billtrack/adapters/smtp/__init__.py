"""Mail over SMTP (the standard library's smtplib), with STARTTLS, TLS or neither; Amazon SES's SMTP interface is one such server."""

/*
 * version.h: the product name and version shown in greetings, Received:
 * fields and --version output.
 */
#ifndef LIB_VERSION_H
#define LIB_VERSION_H

#define SMTPD_PRODUCT	"smtpd"
#define SMTPD_VERSION	"0.1"

#endif

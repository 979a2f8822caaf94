/*
 * makemap.h: makemap and newaliases, personalities of smtpctl
 * (spec/tables.md sections 9 and 10, spec/ctl.md section 10).
 * makemap_db.c turns a text table into the Tokyo Cabinet database that
 * aliases/table_db.c reads (parse and check everything first, then build
 * a temporary file beside the target and rename it over); makemap.c is
 * the command line of both programs. ctl/main.c dispatches to the
 * *_main() functions; the unit tests call makemap_parse()/makemap_write().
 */
#ifndef CTL_MAKEMAP_H
#define CTL_MAKEMAP_H

#include <sys/types.h>

#include <stddef.h>

#include "aliases/table.h"

#define MAKEMAP_ERR_MAX		1024	/* room for one message */

enum makemap_type {
	MAKEMAP_PLAIN,		/* key -> value, stored verbatim */
	MAKEMAP_ALIASES,	/* values checked as aliases format (section 3) */
	MAKEMAP_SET,		/* keys only */
};

/* Who the new database belongs to (section 9.1: like the source). */
struct makemap_owner {
	int		 chown;		/* 0: keep the creator's uid/gid */
	uid_t		 uid;
	gid_t		 gid;
	mode_t		 mode;		/* permission bits */
};

/*
 * Parses a text table (tables.md section 2; with MAKEMAP_ALIASES the
 * continuation rule and value check of section 3; with MAKEMAP_SET every
 * line is a key). `name` is FILE in "FILE:LINE: message". strict: a
 * duplicate key is an error (makemap) rather than a warning to the
 * table_set_warn() hook (the daemon's file: tables). A plain source that
 * the section 2 grammar makes a list (first entry without a value, or
 * `# @list`) comes back as MAKEMAP_SET in *typep; an aliases source must
 * be a mapping. 0 with *memp (the caller frees it with table_mem_free),
 * or -1 with "FILE:LINE: message" in err.
 */
int	makemap_parse(const char *name, const char *buf, size_t len,
	    enum makemap_type type, int strict, struct table_mem **memp,
	    enum makemap_type *typep, char *err, size_t errsz);

/*
 * Writes the entries of mem as the database dbfile, atomically (section
 * 10.2): a temporary file in the same directory, synced, given owner and
 * mode, renamed over dbfile, directory synced. `source` (an absolute path,
 * or "-" for standard input) and srclen go into the metadata record and
 * the tuning. 0, or -1 with "DBFILE: message" in err and dbfile untouched.
 * A failure to sync the directory after the rename is only a warning
 * (written to err, return 1): the new database is in place.
 */
int	makemap_write(const char *dbfile, const struct table_mem *mem,
	    enum makemap_type type, const char *source, size_t srclen,
	    const struct makemap_owner *owner, char *err, size_t errsz);

const char *makemap_type_name(enum makemap_type);

/* The personalities: exit status 0 or 1. */
int	makemap_main(int argc, char *argv[]);
int	newaliases_main(int argc, char *argv[]);
/* sendmail -bi, sendmail -I, makemap -bi: newaliases without options. */
int	newaliases_compat(void);

#endif

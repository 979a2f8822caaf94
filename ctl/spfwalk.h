/*
 * spfwalk.h: `smtpctl spf walk` (OpenSMTPD's spfwalk): the SPF records of
 * the domains read on stdin walked through include:, redirect=, a and mx,
 * every address or network they allow printed once. The walk asks its DNS
 * through a small table of functions (libunbound in ctl/spfwalk_unbound.c,
 * fixed answers in t/unit/spfwalk_test.c).
 */
#ifndef CTL_SPFWALK_H
#define CTL_SPFWALK_H

#include <stddef.h>
#include <stdio.h>

#include "ctl/spfwalk_packet.h"

#define SPFWALK_DEPTH_MAX	10	/* nested include:/redirect= */
#define SPFWALK_INFLIGHT_MAX	32	/* DNS queries outstanding at once */

typedef void (*spfwalk_dns_cb)(void *, const struct spfwalk_answer *);

/*
 * A resolver. query() calls back exactly once: from run(), or before it
 * returns 0 (an answer known at once); never if it returns -1.
 */
struct spfwalk_dns {
	int	(*query)(struct spfwalk_dns *, const char *, int,
		    spfwalk_dns_cb, void *);
	int	(*run)(struct spfwalk_dns *);	/* until none outstanding */
	void	(*close)(struct spfwalk_dns *);
};

struct spfwalk_lookup;

struct spfwalk {
	struct spfwalk_dns	*dns;
	FILE			*out;
	FILE			*err;
	void			*asked;		/* tsearch: lookups made */
	void			*printed;	/* tsearch: lines printed */
	struct spfwalk_lookup	*head;		/* waiting to be asked */
	struct spfwalk_lookup	*tail;
	size_t			 inflight;
	int			 pumping;	/* in spfwalk_pump() */
};

void	spfwalk_init(struct spfwalk *, struct spfwalk_dns *, FILE *, FILE *);
void	spfwalk_domain(struct spfwalk *, const char *, size_t);
int	spfwalk_run(struct spfwalk *);
void	spfwalk_free(struct spfwalk *);
int	spfwalk_main(void);

struct spfwalk_dns *spfwalk_unbound_open(const char *);

#endif
